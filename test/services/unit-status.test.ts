/** `systemctl status`-style lines for units and the driver manager's devices (unit-status.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UnitRecord } from '../../src/services/init-core.ts';
import { deviceStatusLines, unitStatusLines } from '../../src/services/unit-status.ts';
import { mkUnit } from './init-harness.ts';

function rec(name: string, patch: Partial<UnitRecord>, description = ''): UnitRecord {
  const unit = { ...mkUnit(name, []), description };
  return {
    unit,
    state: 'queued',
    settledNs: null,
    lastReadyNs: null,
    restarts: 0,
    reason: '',
    ...patch,
  } as UnitRecord;
}

test('unit status: marker, systemd state, since the last readiness, pid, restarts, reason', () => {
  const lines = unitStatusLines(
    [
      rec('b.service', { state: 'failed', restarts: 4, reason: 'gave up after 5 failures' }, 'flaky'),
      rec('a.service', { state: 'up', settledNs: 5e6, lastReadyNs: 3_006_000_000, restarts: 1 }),
      rec('c.service', { state: 'restart-wait' }),
    ],
    new Map([
      ['a.service', 8],
      ['b.service', 9],
    ]),
  );
  assert.deepEqual(lines, [
    '● a.service, active (running), since @3.006s, pid 8, restarts 1',
    '× b.service, failed, restarts 4, gave up after 5 failures - flaky',
    '○ c.service, activating (auto-restart)',
  ]);
});

test('device status from the status file: bound ●, zombie ×, others ○', () => {
  assert.deepEqual(deviceStatusLines('00.03.0 bound e1000d\n00.04.0 zombie ihdad\n00.05.0 unbound\n'), [
    '● 00.03.0 bound (e1000d)',
    '× 00.04.0 zombie (ihdad)',
    '○ 00.05.0 unbound',
  ]);
});
