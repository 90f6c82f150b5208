/** The booted system's time-compression measure (bench-services.ts): both points run their full window. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBenchServices, runBenchServices } from '../../src/report/bench-services.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';

test('bench services --quick: idle and busy booted machines, 120 simulated s each, rates consistent', () => {
  const s = runBenchServices(
    { root: process.cwd(), load: (file, set) => loadScenarioFile(file, { set }) },
    true,
  );
  assert.deepEqual(
    s.points.map((p) => [p.machine, p.scenario, p.sim_s]),
    [
      ['idle', 'boot-to-login.toml', 120],
      ['busy', 'stress-72h.toml', 120],
    ],
  );
  for (const p of s.points) {
    assert.ok(p.cpu_ms > 0 && p.wall_ms > 0);
    // The fields are rounded: the rate agrees with them within 1 %.
    const rate = p.sim_s / (p.cpu_ms / 1000);
    assert.ok(Math.abs(p.sim_s_per_cpu_s - rate) <= 0.01 * rate + 1, `${p.sim_s_per_cpu_s} vs ${rate}`);
    assert.ok(
      Math.abs(p.cpu_min_for_72h - 259_200 / p.sim_s_per_cpu_s / 60) < 0.05 * p.cpu_min_for_72h + 0.01,
    );
  }
  assert.match(
    formatBenchServices(s)[1]!,
    /^booted busy \(stress-72h\.toml\): \d+ simulated s per CPU s, \d+ per wall s; 72 simulated hours in [\d.]+ CPU min \(goal < 10\)$/,
  );
});
