// `[[device]]` tables (scenario/devices.ts): defaults from the hw files, and every malformed
// setting refused with a one-line error naming file, field and what is allowed (issue 18).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NVME_DEFAULTS } from '../../src/hw/devices/nvme.ts';
import { readDevices } from '../../src/scenario/devices.ts';
import { ScenarioError } from '../../src/scenario/errors.ts';

const ctx = { file: 'scenarios/x.toml' };

test('defaults and explicit settings', () => {
  const [nvme, nic] = readDevices(ctx, [
    { kind: 'nvme', quirks: ['NO_MSIX', 'NO_MSIX'] },
    { kind: 'e1000', name: 'eth0', packets_per_sec: 20_000, dma_bits: 32 },
  ]);
  assert.deepEqual(nvme, {
    kind: 'nvme',
    name: 'nvme0',
    ...omitNames(NVME_DEFAULTS),
    quirks: ['NO_MSIX'],
    dmaBits: 64,
  });
  assert.deepEqual(nic, {
    kind: 'e1000',
    name: 'eth0',
    packetsPerSec: 20_000,
    packetBytes: 1514,
    wireMbps: 1000,
    quirks: [],
    dmaBits: 32,
  });
});

function omitNames(d: typeof NVME_DEFAULTS) {
  return {
    ioQueues: d.ioQueues,
    queueEntries: d.queueEntries,
    readNs: d.readNs,
    writeNs: d.writeNs,
    adminNs: d.adminNs,
    parallelism: d.parallelism,
    blocks: d.blocks,
  };
}

test('malformed device and quirk settings: one line naming the field and the allowed values', () => {
  const cases: [unknown[], string][] = [
    [
      [{ kind: 'ahci' }],
      'scenarios/x.toml: device.0.kind: "ahci" is not a device kind (allowed: nvme, e1000)',
    ],
    [
      [{ kind: 'nvme', quirks: ['NO_MSIXX'] }],
      'scenarios/x.toml: device.0.quirks.0: "NO_MSIXX" is not a quirk (allowed: FORCE_LEGACY, NO_MSI, NO_MSIX)',
    ],
    [
      [{ kind: 'nvme', quirks: 'NO_MSI' }],
      'scenarios/x.toml: device.0.quirks: expected an array, got a string (allowed: FORCE_LEGACY, NO_MSI, NO_MSIX)',
    ],
    [[{ kind: 'nvme', queues: 0 }], 'scenarios/x.toml: device.0.queues: 0 is out of range (allowed: 1..64)'],
    [
      [{ kind: 'e1000', packet_bytes: 9000 }],
      'scenarios/x.toml: device.0.packet_bytes: 9000 is out of range (allowed: 64..1518)',
    ],
    [[{ kind: 'e1000', queues: 4 }], 'scenarios/x.toml: device.0.queues: unknown key'],
    [
      [{ kind: 'nvme' }, { kind: 'nvme', name: 'nvme0' }],
      'scenarios/x.toml: device.1.name: "nvme0" names two devices (allowed: a unique name)',
    ],
  ];
  for (const [value, message] of cases) {
    assert.throws(
      () => readDevices(ctx, value),
      (e: unknown) =>
        e instanceof ScenarioError && e.message.startsWith(message) && !e.message.includes('\n'),
      message,
    );
  }
});
