// The README's fidelity section (issue 23) shows the recorded `smpsim fidelity --json` results:
// its table is the one fidelityMarkdown makes from them, and its prose's bounds hold for them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fidelityMarkdown } from '../src/report/fidelity/table.ts';

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
