/**
 * The services' file formats (SVC-6): device files, the drivers table, the hotplug schedule and
 * daemon arguments, with their one-line errors; and init's summary of a scripted boot (SVC-8).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDrivers } from '../../src/services/driver-manager-program.ts';
import { parseDeviceFile, parseSchedule } from '../../src/services/driver-program.ts';
import { summarise, unitKey } from '../../src/services/init-report.ts';
import { parseServiceArgs } from '../../src/services/service-program.ts';
import { MS, mkUnit, runInit } from './init-harness.ts';

test('a device file: ids, class and per-driver probe outcomes', () => {
  const d = parseDeviceFile(
    '00.03.0',
    'class = 2\nvendor = 0x8086\ndevice = 0x100e\n[probe]\ne1000d = ["deferred", "bound"]\n[crash_ms]\ne1000d = 5',
  );
  assert.deepEqual(d.desc, { id: '00.03.0', bus: 'pci', classCode: 2, vendor: 0x8086, device: 0x100e });
  assert.deepEqual(d.probe, { e1000d: ['deferred', 'bound'] });
  assert.deepEqual(d.crashMs, { e1000d: 5 });
  assert.throws(
    () => parseDeviceFile('x', '[probe]\nd = ["maybe"]'),
    /^Error: device x: field probe\.d: not valid; allowed: a non-empty list of bound, fatal, not-supported, deferred$/,
  );
  assert.throws(() => parseDeviceFile('x', 'bus = "isa"'), /field bus: not valid; allowed: pci, acpi/);
});

test('the drivers table and the hotplug schedule', () => {
  const drivers = parseDrivers(
    '[[drivers]]\nname = "e1000d"\nclass = 2\nids = [[0x8086, 0x100e]]\n[[drivers]]\nname = "x"\nbus = "acpi"',
  );
  assert.deepEqual(drivers, [
    { name: 'e1000d', bus: 'pci', classCode: 2, ids: [[0x8086, 0x100e]] },
    { name: 'x', bus: 'acpi', classCode: null, ids: [] },
  ]);
  assert.deepEqual(parseSchedule('# plug\nremove a 70\nadd a 30\n'), [
    { kind: 'add', id: 'a', atNs: 30 * MS },
    { kind: 'remove', id: 'a', atNs: 70 * MS },
  ]);
  assert.throws(() => parseSchedule('plug a 3'), /line "plug a 3": allowed: add ID MS, remove ID MS/);
});

test('daemon arguments: key=value, a bare word is yes', () => {
  assert.deepEqual(parseServiceArgs(['ready_ms=5', 'notify=no', 'verbose']), {
    ready_ms: '5',
    notify: 'no',
    verbose: 'yes',
  });
  assert.equal(unitKey('ramfs@logging.service'), 'ramfs_logging_service');
});

test('init summary: boot time is login readiness; per-unit ready times', () => {
  const units = [
    mkUnit('a.service', []),
    mkUnit('90_login.service', ['a.service'], 'notify', { cmd: 'login' }),
  ];
  const { core } = runInit(units, 'improved', {
    behaviours: { 'a.service': [{ readyNs: 7 * MS }], '90_login.service': [{ readyNs: 3 * MS }] },
    roots: ['90_login.service'],
    endNs: 1e9,
  });
  const s = summarise(core);
  assert.equal(s.numbers.booted, 1);
  assert.equal(s.numbers.boot_ms, 10);
  assert.equal(s.numbers.ready_ms_a_service, 7);
  assert.deepEqual(s.criticalChain, ['90_login.service @0.010s +0.003s', '  a.service @0.007s +0.007s']);
  assert.equal(s.deadlock, null);
});
