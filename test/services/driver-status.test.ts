/**
 * `pcid-spawner --status` (SVC-6, services/driver-status.ts): the driver manager's status file
 * carries per device its state, the driver's pid, restarts and last exit; `drvmgr-status` prints
 * it. Exact lines for driver-hotplug at 5 s: e1000d crashed at 3 s (reaped, SIGSEGV), the codec's
 * driver deferred twice so far, ided failed (EIO) before ahcid bound, xhcid bound at 4 s.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runConfig } from '../../src/report/run.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { parseStatusLine, statusReport } from '../../src/services/driver-status.ts';
import { deviceStatusLines } from '../../src/services/unit-status.ts';

const SEED = join(import.meta.dirname, '..', '..', 'scenarios', 'seeds', 'driver-hotplug.toml');

function hotplugWithStatus(afterMs: number) {
  const text = `${readFileSync(SEED, 'utf8')}\n[[workload]]\nkind = "program"\nprogram = "drvmgr-status"\nafter_ms = ${afterMs}\n`;
  return runConfig(parseScenario(text, 'driver-hotplug+status.toml', { set: ['workload.0.status="full"'] }));
}

test('driver-hotplug at 5 s: state, pid, restarts and last exit per device', () => {
  const r = hotplugWithStatus(5000);
  assert.equal(r.passed, true);
  assert.deepEqual(r.guest_text?.['drvmgr-status']?.status, [
    '00.03.0 e1000d unbound, pid -, restarts 0, last exit signal 11 (SIGSEGV)',
    '00.04.0 ihdad deferred, pid -, restarts 2, last exit status 5',
    '00.05.0 xhcid bound, pid 11, restarts 0, last exit none',
    '00.1f.2 ahcid bound, pid 9, restarts 1, last exit status 1',
  ]);
  assert.equal(r.metrics['workload.drvmgr-status.devices'], 4);
  assert.equal(r.metrics['workload.drvmgr-status.found'], 1);
});

test('after the graceful shutdown (9.5 s) the stopped driver shows its SIGTERM', () => {
  const lines = hotplugWithStatus(9500).guest_text?.['drvmgr-status']?.status ?? [];
  assert.equal(lines.at(-1), '00.1f.2 ahcid bound, pid -, restarts 1, last exit signal 15 (SIGTERM)');
  assert.equal(lines.length, 3, 'the removed USB controller is gone');
});

test('the status file format: fields after the state; init keeps its short device lines', () => {
  const file =
    '00.03.0 zombie e1000d pid=7 restarts=0 exit=-\n00.04.0 unbound pid=- restarts=3 exit=status:5 driver=ihdad\n';
  assert.deepEqual(statusReport(file), [
    '00.03.0 e1000d zombie, pid 7, restarts 0, last exit none',
    '00.04.0 ihdad unbound, pid -, restarts 3, last exit status 5',
  ]);
  assert.deepEqual(deviceStatusLines(file), ['× 00.03.0 zombie (e1000d)', '○ 00.04.0 unbound']);
  assert.equal(parseStatusLine('   '), null);
  assert.deepEqual(statusReport('00.1f.2 bound ahcid\n'), [
    '00.1f.2 ahcid bound (no pid, restarts or exit: the manager runs with status=short)',
  ]);
  assert.throws(() => parseStatusLine('just'), /drvmgr\.status: line "just": allowed: ID STATE \[DRIVER\]/);
});

test('as a oneshot unit after boot: it reads the full status file, exits 0 and init marks it done', () => {
  const seed = join(import.meta.dirname, '..', '..', 'scenarios', 'seeds', 'boot-to-login.toml');
  const text = readFileSync(seed, 'utf8')
    .replace('args = ["variant=improved"]', 'args = ["variant=improved", "status=full"]')
    .concat(
      '\n[[file]]\npath = "/etc/init.d/95_drvmgr-status.service"\ntext = """\n[unit]\n' +
        'requires_weak = ["90_login.service"]\n[service]\ncmd = "drvmgr-status"\nargs = ["after_ms=100"]\n' +
        'type = "oneshot"\n"""\n',
    );
  const r = runConfig(parseScenario(text, 'boot-to-login+status.toml'));
  const status = r.guest_text?.['svc-init']?.status ?? [];
  const line = status.find((l) => l.includes('95_drvmgr-status.service'));
  assert.match(line ?? '', /^● 95_drvmgr-status\.service, active \(exited\)/);
  assert.equal(r.metrics['workload.svc-init.units_failed'], 0);
});
