/**
 * The driver manager's state machine (SVC-6, U5, U7): probe outcomes, deferred retries (3
 * improved, 30 redox), the permanently-skipped set, reaping with cleanup, incremental versus
 * full re-scan, and the de-duplicated timeline.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DeviceDesc,
  type DriverEntry,
  DriverManagerState,
  driverManagerConfig,
} from '../../src/services/driver-manager.ts';

const IDE: DeviceDesc = { id: 'pci:00:01.1', bus: 'pci', classCode: 0x01, vendor: 0x8086, device: 0x7010 };
const NIC: DeviceDesc = { id: 'pci:00:03.0', bus: 'pci', classCode: 0x02, vendor: 0x8086, device: 0x100e };
const DRIVERS: DriverEntry[] = [
  { name: 'ided', bus: 'pci', classCode: 0x01, ids: [] },
  { name: 'ahcid', bus: 'pci', classCode: 0x01, ids: [] },
  { name: 'e1000d', bus: 'pci', classCode: 0x02, ids: [[0x8086, 0x100e]] },
];
const POLL = 2_000_000_000;

function mgr(variant: 'redox' | 'improved') {
  return new DriverManagerState(DRIVERS, driverManagerConfig(variant));
}

test('first scan probes the first matching driver of each device', () => {
  const m = mgr('improved');
  assert.deepEqual(m.scan(0, [IDE, NIC]), [
    { deviceId: IDE.id, driver: 'ided', retry: 0 },
    { deviceId: NIC.id, driver: 'e1000d', retry: 0 },
  ]);
  m.probed(1, NIC.id, 'e1000d', 'bound');
  assert.equal(m.stateOf(NIC.id), 'bound');
  assert.deepEqual(m.scan(POLL, [IDE, NIC]), []); // IDE still probing, NIC bound
});

test('improved: a fatal pair is skipped forever and the next driver is tried; redox re-probes ided every poll', () => {
  const imp = mgr('improved');
  imp.scan(0, [IDE]);
  imp.probed(1, IDE.id, 'ided', 'fatal', 'ENOENT');
  assert.deepEqual(imp.scan(POLL, [IDE]), [{ deviceId: IDE.id, driver: 'ahcid', retry: 0 }]);
  imp.probed(POLL + 1, IDE.id, 'ahcid', 'not-supported');
  for (let i = 2; i < 10; i++) assert.deepEqual(imp.scan(i * POLL, [IDE]), []);
  assert.equal(imp.skipped.size, 2);
  assert.equal(imp.probes.length, 2);

  const red = mgr('redox');
  for (let i = 0; i < 10; i++) {
    assert.deepEqual(red.scan(i * POLL, [IDE]), [{ deviceId: IDE.id, driver: 'ided', retry: 0 }]);
    red.probed(i * POLL + 1, IDE.id, 'ided', 'fatal', 'ENOENT');
  }
  assert.equal(red.probes.length, 10);
  assert.equal(red.timeline.entries.filter((e) => e.message === 'fatal (ENOENT)').length, 10);
  assert.equal(imp.timeline.entries.filter((e) => e.message === 'fatal (ENOENT)').length, 1);
});

test('deferred: at most 3 retries improved (then skipped), 30 redox', () => {
  for (const [variant, limit] of [
    ['improved', 3],
    ['redox', 30],
  ] as const) {
    const m = mgr(variant);
    let probes = 0;
    for (let i = 0; i < 40; i++) {
      const reqs = m.scan(i * POLL, [NIC]);
      for (const r of reqs) {
        probes++;
        m.probed(i * POLL + 1, r.deviceId, r.driver, 'deferred', 'EAGAIN');
      }
      if (variant === 'improved' && i === limit) assert.equal(m.stateOf(NIC.id), 'unbound');
    }
    // The first probe and `limit` retries; redox's full re-scan then starts over.
    if (variant === 'improved') assert.equal(probes, limit + 1);
    else assert.equal(probes, 40);
    const giveUps = m.timeline.entries.filter((e) => e.message === `deferred ${limit} times, giving up`);
    assert.equal(giveUps.length, 1);
  }
});

test('a deferred probe that then binds', () => {
  const m = mgr('improved');
  m.scan(0, [NIC]);
  m.probed(1, NIC.id, 'e1000d', 'deferred');
  assert.deepEqual(m.scan(POLL, [NIC]), [{ deviceId: NIC.id, driver: 'e1000d', retry: 1 }]);
  m.probed(POLL + 1, NIC.id, 'e1000d', 'bound');
  assert.equal(m.stateOf(NIC.id), 'bound');
});

test('a crashed driver: improved reaps and cleans scheme, binding, IRQ; redox leaves a zombie claim', () => {
  const imp = mgr('improved');
  imp.scan(0, [NIC]);
  imp.probed(1, NIC.id, 'e1000d', 'bound');
  imp.driverExited(5, NIC.id, 139);
  assert.deepEqual(imp.cleanups, [
    { deviceId: NIC.id, driver: 'e1000d', released: ['scheme', 'binding', 'irq'] },
  ]);
  assert.deepEqual(imp.leakedClaims([NIC.id]), []);
  assert.deepEqual(imp.scan(POLL, [NIC]), []); // the pair is skipped: no crash loop

  const red = mgr('redox');
  red.scan(0, [NIC]);
  red.probed(1, NIC.id, 'e1000d', 'bound');
  red.driverExited(5, NIC.id, 139);
  assert.equal(red.stateOf(NIC.id), 'zombie');
  assert.deepEqual(red.leakedClaims([NIC.id]), [NIC.id]);
  assert.deepEqual(red.cleanups, []);
});

test('hot remove: improved releases the bound device; redox keeps the claim of a device that is gone', () => {
  const imp = mgr('improved');
  imp.scan(0, [NIC]);
  imp.probed(1, NIC.id, 'e1000d', 'bound');
  imp.scan(POLL, []);
  assert.equal(imp.stateOf(NIC.id), null);
  assert.equal(imp.cleanups.length, 1);
  const red = mgr('redox');
  red.scan(0, [NIC]);
  red.probed(1, NIC.id, 'e1000d', 'bound');
  red.scan(POLL, []);
  assert.deepEqual(red.leakedClaims([]), [NIC.id]);
});

test('hot add after boot is probed at the next poll; status lists every device', () => {
  const m = mgr('improved');
  m.scan(0, [IDE]);
  m.probed(1, IDE.id, 'ided', 'bound');
  assert.deepEqual(m.scan(POLL, [IDE, NIC]), [{ deviceId: NIC.id, driver: 'e1000d', retry: 0 }]);
  assert.deepEqual(m.status(), [`${IDE.id} bound ided`, `${NIC.id} probing e1000d`]);
});
