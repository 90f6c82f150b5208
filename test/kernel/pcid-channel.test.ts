// pcid's channel protocol (abi/pcid.ts, kernel/devio/pcid-channel.ts; redox-os/drivers
// pcid/src/driver_interface/mod.rs and driver_handler.rs): bincode bytes exactly as pcid writes
// them, the channel's state machine (EINVAL out of turn), and each request's answer for an NVMe
// function (MSI-X), an e1000 (MSI) and quirked functions (features hidden).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EINVAL, ENOLCK } from '../../src/abi/errno.ts';
import type { Program } from '../../src/abi/effects.ts';
import { O_RDWR } from '../../src/abi/fd.ts';
import type { Guest } from '../../src/abi/guest.ts';
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  Feature,
  type PcidResponse,
} from '../../src/abi/pcid.ts';
import { errno } from '../../src/libc/errno.ts';
import { open, read, write } from '../../src/libc/io.ts';
import { putBytes } from '../../src/libc/io-bytes.ts';
import { mmap_anonymous } from '../../src/libc/sys.ts';
import type { DeviceSetupConfig } from '../../src/machine/device-config.ts';
import {
  enableDevice,
  fetchAllFeatures,
  msixTableSize,
  pcidCall,
  pcidConnect,
  readConfig,
  writeConfig,
} from '../../src/services/drivers/pcid-client.ts';
import { quietNic } from '../support/bar.ts';
import { runGuest } from '../support/guest.ts';

test('pcid codec: requests as bincode 1 writes them (u32 variant, then the fields)', () => {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  assert.equal(hex(encodeRequest({ op: 'EnableDevice' })), '00000000');
  assert.equal(hex(encodeRequest({ op: 'RequestConfig' })), '01000000');
  assert.equal(hex(encodeRequest({ op: 'EnableFeature', feature: Feature.MsiX })), '0400000001000000');
  assert.equal(hex(encodeRequest({ op: 'ReadConfig', offset: 0x34 })), '070000003400');
  assert.equal(hex(encodeRequest({ op: 'WriteConfig', offset: 4, value: 0x0406 })), '08000000040006040000');
  assert.equal(hex(encodeRequest({ op: 'SetMsixFunctionMask', mask: true })), '06000000010000000101');
  assert.equal(hex(encodeRequest({ op: 'SetMsixFunctionMask', mask: null })), '060000000100000000');
  for (const bad of ['09000000', '040000000200000', '04000000', '0700000034', '060000000000000000'])
    assert.equal(decodeRequest(Buffer.from(bad, 'hex')), null, bad);
  const reqs = [
    { op: 'FeatureInfo', feature: Feature.Msi },
    { op: 'WriteConfig', offset: 0xffc, value: 0xdead_beef },
    { op: 'RequestVendorCapabilities' },
  ] as const;
  for (const r of reqs) assert.deepEqual(decodeRequest(encodeRequest(r)), r);
});

test('pcid codec: responses behind an 8-byte length, and back', () => {
  const withLength = encodeResponse({ op: 'ReadConfig', value: 0x1234_5678 });
  assert.equal(Buffer.from(withLength).toString('hex'), '08000000000000000900000078563412');
  const responses: PcidResponse[] = [
    { op: 'AllFeatures', features: [Feature.Msi, Feature.MsiX] },
    { op: 'Error', error: { error: 'NonexistentFeature', feature: Feature.Msi } },
    { op: 'Error', error: { error: 'InvalidBitPattern' } },
    {
      op: 'FeatureInfo',
      info: { msix: { tableBar: 0, tableOffset: 0x2000, tableSize: 17, pbaBar: 0, pbaOffset: 0x3000 } },
    },
    {
      op: 'FeatureInfo',
      info: { msi: { log2MultipleMessageCapable: 0, is64bit: true, hasPerVectorMasking: false } },
    },
    {
      op: 'Config',
      config: {
        segment: 0,
        bus: 0,
        device: 3,
        function: 0,
        bars: [{ kind: 'memory32', addr: 0xc000_0000, size: 0x2_0000 }, ...Array(5).fill({ kind: 'none' })],
        legacyIrq: 16,
        id: { vendorId: 0x8086, deviceId: 0x100e, classCode: 2, subclass: 0, interface: 0, revision: 3 },
      },
    },
    { op: 'WriteConfig' },
  ];
  for (const r of responses) assert.deepEqual(decodeResponse(encodeResponse(r).subarray(8)), r);
  // Config: 5 address bytes, 6 BARs (12 + 5 * 4), Some(line) + None phandle, 8 id bytes, after the tag.
  assert.equal(encodeResponse(responses[5]!).length, 8 + 4 + 5 + 32 + 3 + 8);
});

const nvme = (name: string, quirks: ('FORCE_LEGACY' | 'NO_MSI' | 'NO_MSIX')[] = []) => ({
  kind: 'nvme' as const,
  name,
  ioQueues: 4,
  queueEntries: 64,
  readNs: 1000,
  writeNs: 1000,
  parallelism: 4,
  blocks: 1024,
  adminNs: 1000,
  quirks,
  dmaBits: 64,
});
const DEVICES: DeviceSetupConfig = {
  irqRouting: 'improved',
  iommu: false,
  devices: [nvme('nvme0'), quietNic('eth0'), nvme('nvme1', ['NO_MSIX']), quietNic('eth1', ['FORCE_LEGACY'])],
};

test("pcid channel: each request's answer, and EINVAL out of turn", () => {
  const seen: Record<string, unknown> = {};
  runGuest(
    function* (t: Guest): Program<number> {
      const h = yield* pcidConnect(t, 'test', 'nvme0');
      seen.config = {
        addr: [h.config.bus, h.config.device, h.config.function],
        bar0: h.config.bars[0],
        others: h.config.bars.slice(1).every((b) => b.kind === 'none'),
        vendor: h.config.id.vendorId,
        klass: [h.config.id.classCode, h.config.id.subclass],
      };
      seen.command = (yield* readConfig(t, h, 0x04)) & 0x6;
      yield* enableDevice(t, h);
      seen.enabled = (yield* readConfig(t, h, 0x04)) & 0x6;
      seen.features = yield* fetchAllFeatures(t, h);
      seen.tableSize = yield* msixTableSize(t, h);
      yield* writeConfig(t, h, 0x3c, 0x0000_010b);
      seen.intLine = (yield* readConfig(t, h, 0x3c)) & 0xff;
      seen.unaligned = (yield* pcidCall(t, h, { op: 'ReadConfig', offset: 2 })).op;
      seen.mask = yield* pcidCall(t, h, { op: 'SetMsixFunctionMask', mask: true });
      seen.vendorCaps = yield* pcidCall(t, h, { op: 'RequestVendorCapabilities' });
      // Out of turn: a read with no request, a write while a response waits, garbage.
      const buf = yield* mmap_anonymous(t, 4096);
      const res = (r: number) => (r < 0 ? -errno(t) : r);
      seen.readFirst = res(yield* read(t, h.channel, buf, 64));
      putBytes(t, buf, encodeRequest({ op: 'RequestFeatures' }));
      yield* write(t, h.channel, buf, 4);
      seen.writeAgain = res(yield* write(t, h.channel, buf, 4));
      seen.partial = [yield* read(t, h.channel, buf, 3), yield* read(t, h.channel, buf, 100)];
      putBytes(t, buf, Uint8Array.of(0x2a, 0, 0, 0));
      seen.garbage = res(yield* write(t, h.channel, buf, 4));
      const eth0 = yield* pcidConnect(t, 'test', 'eth0');
      seen.eth0 = yield* fetchAllFeatures(t, eth0);
      seen.eth0MsiInfo = yield* pcidCall(t, eth0, { op: 'FeatureInfo', feature: Feature.Msi });
      seen.eth0NoMsix = yield* pcidCall(t, eth0, { op: 'EnableFeature', feature: Feature.MsiX });
      const nvme1 = yield* pcidConnect(t, 'test', 'nvme1');
      seen.nvme1 = yield* fetchAllFeatures(t, nvme1);
      seen.nvme1Msix = yield* pcidCall(t, nvme1, { op: 'EnableFeature', feature: Feature.MsiX });
      const eth1 = yield* pcidConnect(t, 'test', 'eth1');
      seen.eth1 = [yield* fetchAllFeatures(t, eth1), eth1.config.legacyIrq !== null];
      seen.reopen = res(yield* open(t, 'pci:0000--00--03.0/channel', O_RDWR));
      return 0;
    },
    null,
    { cpus: 2, devices: DEVICES },
  );
  assert.deepEqual(seen, {
    config: {
      addr: [0, 3, 0],
      bar0: { kind: 'memory32', addr: 0xc000_0000, size: 0x4000 }, // the NVMe model's 16 KiB BAR
      others: true,
      vendor: 0x8086,
      klass: [1, 8],
    },
    command: 0,
    enabled: 0x6,
    features: [Feature.Msi, Feature.MsiX],
    tableSize: 5, // 4 I/O queues and the admin queue
    intLine: 0x0b,
    unaligned: 'Error',
    mask: { op: 'SetFeatureInfo', feature: Feature.MsiX },
    vendorCaps: { op: 'VendorCapabilities', capabilities: [] },
    readFirst: -EINVAL,
    writeAgain: -EINVAL,
    partial: [3, 8 + 4 + 8 + 2 * 4 - 3], // length, tag, Vec length, two features
    garbage: -EINVAL,
    eth0: [Feature.Msi],
    eth0MsiInfo: {
      op: 'FeatureInfo',
      info: { msi: { log2MultipleMessageCapable: 0, is64bit: true, hasPerVectorMasking: false } },
    },
    eth0NoMsix: { op: 'Error', error: { error: 'NonexistentFeature', feature: Feature.MsiX } },
    nvme1: [Feature.Msi], // NO_MSIX
    nvme1Msix: { op: 'Error', error: { error: 'NonexistentFeature', feature: Feature.MsiX } },
    eth1: [[], true],
    reopen: -ENOLCK, // still held by this process
  });
});
