/**
 * Init's orphan reap loop (issue 19, services/orphan-reaper.ts): in `orphan-reaping` it reaps
 * the 5 orphans the Linux rule hands init, each logged once; the Redox rule leaves them to the
 * session (5 zombies). Its waitpid(-1) also collects init's own unit children before their
 * watchers can: service-restart with the loop on keeps every restart, readiness and give-up it
 * has without it (the watcher takes the exit from the loop).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runConfig } from '../../src/report/run.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';

const SEEDS = join(import.meta.dirname, '..', '..', 'scenarios', 'seeds');

function run(file: string, set: string[] = []) {
  return runConfig(loadScenarioFile(join(SEEDS, file), { set }));
}

test('orphan-reaping: init reaps the 5 adopted orphans, one log line each; Redox leaves 5 zombies', () => {
  const r = run('orphan-reaping.toml');
  assert.equal(r.passed, true);
  assert.equal(r.metrics['workload.svc-init.orphans_reaped'], 5);
  assert.equal(r.metrics['workload.svc-init.census_zombies'], 0);
  const log = r.guest_text?.['svc-init']?.log ?? [];
  assert.equal(log.filter((l) => /^reaped orphan \d+ \(status 0\)$/.test(l)).length, 5);
  assert.equal(r.metrics['compare.redox.workload.svc-init.census_zombies'], 5);
  assert.equal(r.metrics['compare.subreaper.workload.svc-init.census_zombies'], 0);
});

test('service-restart with the reap loop on: the same restarts, readiness times within 1 ms, no orphans', () => {
  const off = run('service-restart.toml').metrics;
  const on = run('service-restart.toml', ['workload.0.reap_orphans=1']).metrics;
  for (const unit of ['30_netd', '31_flaky', '32_wedged'])
    assert.equal(
      on[`workload.svc-init.restarts_${unit}_service`],
      off[`workload.svc-init.restarts_${unit}_service`],
    );
  assert.equal(on['workload.svc-init.gave_up'], off['workload.svc-init.gave_up']);
  assert.equal(on['workload.svc-init.gave_up'], 1);
  const ready = 'workload.svc-init.last_ready_ms_30_netd_service';
  assert.ok(Math.abs(on[ready]! - off[ready]!) < 1, `${on[ready]} vs ${off[ready]}`);
  assert.equal(on['workload.svc-init.orphans_reaped'], 0);
  assert.equal(off['workload.svc-init.orphans_reaped'], undefined, 'published only with the loop on');
});
