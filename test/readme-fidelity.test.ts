// The README's fidelity section (issue 23) shows the recorded `smpsim fidelity --json` results:
// its table is the one fidelityMarkdown makes from them, and its prose's bounds hold for them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fidelityMarkdown, syncFidelityMarkdown } from '../src/report/fidelity/table.ts';
import { sieveCount } from '../src/workloads/primes-math.ts';

const ROOT = join(import.meta.dirname, '..');
const recorded = (f: string) => JSON.parse(readFileSync(join(ROOT, 'bench/results/fidelity', f), 'utf8'));
const DEFAULTS = recorded('2026-12-02-default-costs.json');
const PROFILED = recorded('2026-12-02-host-profile.json');

test('the README fidelity table is the recorded results', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- fidelity:begin -->\n([\s\S]*?)\n<!-- fidelity:end -->/.exec(readme);
  assert.ok(block !== null, 'the README has the fidelity block');
  assert.equal(block[1], fidelityMarkdown(DEFAULTS, PROFILED));
});

test("the README's fidelity prose: its bounds hold for the recorded results", () => {
  type P = { speedup_error: number; time_error: number; same_work: boolean };
  const worst = (ps: P[], k: 'speedup_error' | 'time_error') => Math.max(...ps.map((p) => Math.abs(p[k])));
  assert.ok(worst(DEFAULTS.points, 'speedup_error') <= 0.022, 'default costs: every speedup within 2.2%');
  assert.ok(worst(PROFILED.points, 'speedup_error') <= 0.02, 'profile: every speedup within 2.0%');
  assert.ok(worst(PROFILED.points, 'time_error') <= 0.037, 'profile: every time within 3.7%');
  assert.ok([...DEFAULTS.points, ...PROFILED.points].every((p: P) => p.same_work));
  const profile = readFileSync(join(ROOT, 'bench/results/fidelity/2026-12-02-host.toml'), 'utf8');
  assert.match(profile, /divisionCycles = 5\.1\nc/);
  assert.match(profile, /syscallNs = 153\ncontextSwitchNs = 2005\n/);
});

test("the README's fidelity prose: the figures it quotes are the recorded ones", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
  const says = (text: string) => assert.ok(readme.includes(text), `README should say ${text}`);
  const profile = readFileSync(join(ROOT, 'bench/results/fidelity/2026-12-02-host.toml'), 'utf8');
  const cost = (k: string) => Number(new RegExp(`${k} = ([\\d.]+)`).exec(profile)![1]);
  says(`${(cost('divisionCycles') / 3).toFixed(1)} ns per trial division (${cost('divisionCycles')} cycles`);
  says(
    `${cost('syscallNs')} ns per system call, ${(cost('contextSwitchNs') / 1000).toFixed(1)} µs per context switch`,
  );
  says(`same ${sieveCount(2, 20_000_000).count.toLocaleString('en-US')} primes`);
  const slow = DEFAULTS.points.map((p: { sim_ns: number; host_ns: number }) => p.sim_ns / p.host_ns);
  assert.ok(Math.min(...slow) >= 4 && Math.max(...slow) <= 5, `default costs 4-5x slow: ${slow}`);
  const [one, two] = PROFILED.pingpong as {
    time_error: number;
    host_ns_per_handoff: number;
    sim_ns_per_handoff: number;
  }[];
  says(`one CPU is close (+${Math.round(one!.time_error * 100)}%)`);
  says(`the host is ${(two!.host_ns_per_handoff / two!.sim_ns_per_handoff).toFixed(1)}× slower`);
});

const XEON = recorded('2026-12-03-host-profile.json');
const XEON_EARLIER = recorded('2026-12-03-host-profile-earlier.json');

test('the README second fidelity table is the recorded Xeon run', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- fidelity-sync:begin -->\n([\s\S]*?)\n<!-- fidelity-sync:end -->/.exec(readme);
  assert.ok(block !== null, 'the README has the fidelity-sync block');
  assert.equal(block[1], syncFidelityMarkdown(XEON));
});

test("the README's Xeon fidelity prose: its bounds hold for the recorded runs", () => {
  type P = { speedup_error: number; time_error: number; same_work: boolean; host_ns: number };
  const worst = (ps: P[], k: 'speedup_error' | 'time_error') => Math.max(...ps.map((p) => Math.abs(p[k])));
  assert.ok(worst(XEON.points, 'speedup_error') <= 0.038, 'primes: every speedup within 3.8%');
  assert.ok(worst(XEON.points, 'time_error') < 0.1275, 'primes: every time within 12.7% (rounded)');
  const moved = XEON.points.map((p: P, i: number) =>
    Math.abs(XEON_EARLIER.points[i].host_ns / p.host_ns - 1),
  );
  assert.ok(Math.max(...moved) <= 0.105, `host times moved by up to 10%: ${moved}`);
  const all = ['points', 'mutex', 'condherd', 'schbench'].flatMap((k) => XEON[k] as P[]);
  assert.ok(
    all.every((p) => p.same_work),
    'the same work on both sides',
  );
  assert.ok(
    XEON.condherd.every((p: P) => Math.abs(p.time_error) <= 0.08),
    "the herd's rounds within 8%",
  );
  const outside = XEON.mutex.find(
    (p: { cpus: number; outside_cycles: number }) => p.cpus === 1 && p.outside_cycles > 0,
  );
  assert.ok(Math.abs(outside.time_error) < 0.0025, 'the 1-CPU mutex loop with outside work within 0.2%');
  type S = { host_p50_ns: number; sim_p50_ns: number; host_p99_ns: number; sim_p99_ns: number };
  const p50 = XEON.schbench.map((p: S) => p.host_p50_ns / p.sim_p50_ns);
  const p99 = XEON.schbench.map((p: S) => p.host_p99_ns / p.sim_p99_ns);
  assert.ok(Math.min(...p50) >= 1.95 && Math.max(...p50) < 6.5, `medians 2-6x slower: ${p50}`);
  assert.ok(Math.min(...p99) >= 3.5 && Math.max(...p99) < 17.5, `p99s 4-17x slower: ${p99}`);
  const profile = readFileSync(join(ROOT, 'bench/results/fidelity/2026-12-03-host.toml'), 'utf8');
  assert.match(profile, /\natomicNs = 11\n/);
});
