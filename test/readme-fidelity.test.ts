// The README's fidelity section (issue 23) shows the recorded `smpsim fidelity --json` results of
// the Xeon host, calibrated and run in one session: its tables are the ones fidelityMarkdown and
// syncFidelityMarkdown make from them, and its prose's bounds and figures hold for them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fidelityMarkdown, syncFidelityMarkdown } from '../src/report/fidelity/table.ts';
import { sieveCount } from '../src/workloads/primes-math.ts';

const ROOT = join(import.meta.dirname, '..');
const RESULTS = join(ROOT, 'bench/results/fidelity');
const recorded = (f: string) => JSON.parse(readFileSync(join(RESULTS, f), 'utf8'));
const DEFAULTS = recorded('2026-12-03b-default-costs.json');
const PROFILED = recorded('2026-12-03b-host-profile.json');
const PROFILE = readFileSync(join(RESULTS, '2026-12-03b-host.toml'), 'utf8');
const readme = () => readFileSync(join(ROOT, 'README.md'), 'utf8');
const says = (text: string) =>
  assert.ok(readme().replace(/\s+/g, ' ').includes(text), `README should say ${text}`);
const cost = (k: string) => Number(new RegExp(`\\n${k} = ([\\d.]+)\\n`).exec(PROFILE)![1]);

type P = { speedup_error: number; time_error: number; same_work: boolean; host_ns: number; sim_ns: number };
const worst = (ps: P[], k: 'speedup_error' | 'time_error') => Math.max(...ps.map((p) => Math.abs(p[k])));

test('the README fidelity tables are the recorded results', () => {
  const block = (name: string) =>
    new RegExp(`<!-- ${name}:begin -->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`).exec(readme());
  assert.equal(block('fidelity')?.[1], fidelityMarkdown(DEFAULTS, PROFILED));
  assert.equal(block('fidelity-sync')?.[1], syncFidelityMarkdown(PROFILED));
});

test("the README's primes prose: its bounds hold for the recorded results", () => {
  assert.ok(
    worst(DEFAULTS.points, 'speedup_error') < 0.0255,
    'default costs: every speedup within 2.5% (rounded)',
  );
  assert.ok(worst(PROFILED.points, 'speedup_error') <= 0.024, 'profile: every speedup within 2.4%');
  assert.ok(worst(PROFILED.points, 'time_error') <= 0.065, 'profile: every time within 6.5%');
  assert.ok([...DEFAULTS.points, ...PROFILED.points].every((p: P) => p.same_work));
  const slow = DEFAULTS.points.map((p: P) => p.sim_ns / p.host_ns);
  assert.ok(Math.min(...slow) >= 2.8 && Math.max(...slow) <= 3.1, `default costs about 3x slow: ${slow}`);
  says(`same ${sieveCount(2, 20_000_000).count.toLocaleString('en-US')} primes`);
  says(`${(cost('divisionCycles') / 3).toFixed(1)} ns per trial division (${cost('divisionCycles')} cycles`);
  says(
    `${cost('syscallNs')} ns per system call, ${(cost('contextSwitchNs') / 1000).toFixed(1)} µs per context switch, ${cost('cacheLineNs')} ns per cache-line transfer`,
  );
  const check = PROFILED.division_check as { host_vs_charge: number; drift: number };
  says(`the host ${(check.host_vs_charge * 100).toFixed(1)}% slower than the profile's charge`);
  says(`${(-check.drift * 100).toFixed(1)}% faster at the end`);
});

test("the README's other studies: the figures it quotes are the recorded ones", () => {
  const [one, two] = PROFILED.pingpong as {
    time_error: number;
    host_ns_per_handoff: number;
    sim_ns_per_handoff: number;
  }[];
  says(`slower in smpsim (+${Math.round(one!.time_error * 100)}%)`);
  says(`the host is ${(two!.host_ns_per_handoff / two!.sim_ns_per_handoff).toFixed(1)}× slower`);
  assert.ok(
    PROFILED.condherd.every((p: P) => Math.abs(p.time_error) <= 0.0705),
    "the herd's rounds within 7%",
  );
  const outside = PROFILED.mutex.find(
    (p: { cpus: number; outside_cycles: number }) => p.cpus === 1 && p.outside_cycles > 0,
  );
  assert.ok(Math.abs(outside.time_error) <= 0.0765, 'the 1-CPU mutex loop with outside work within 7.6%');
  const wake = /wake-up on the other CPU (\d+) ns after 20 us asleep, (\d+) ns after 2000 us/.exec(PROFILE)!;
  says(`${(Number(wake[1]) / 1000).toFixed(1)} µs after 20 µs asleep`);
  says(`and ${Math.round(Number(wake[2]) / 1000)} µs after 2 ms`);
  type S = { cpus: number; workers: number; host_p50_ns: number; sim_p50_ns: number; p50_error: number };
  const sb = PROFILED.schbench as S[];
  const single = sb.find((p) => p.cpus === 2 && p.workers === 1)!;
  assert.ok(Math.abs(single.p50_error) <= 0.01, `schbench 1x1 on 2 CPUs: ${single.p50_error}`);
  const rest = sb.filter((p) => p !== single).map((p) => p.host_p50_ns / p.sim_p50_ns);
  assert.ok(Math.min(...rest) >= 1.75 && Math.max(...rest) < 2.65, `other medians 1.8-2.6x: ${rest}`);
  assert.ok(
    ['points', 'mutex', 'condherd', 'schbench'].every((k) => (PROFILED[k] as P[]).every((p) => p.same_work)),
    'the same work on both sides',
  );
});
