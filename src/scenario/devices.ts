/**
 * `[[device]]` tables (issue 18): a device's kind, its parameters with the defaults documented
 * in the hw files (hw/devices/nvme.ts NVME_DEFAULTS, hw/devices/e1000.ts E1000_DEFAULTS) and its
 * interrupt quirks (hw/pci/quirks.ts), and (readDeviceSetup) the `[kernel] irq_routing` and
 * `[machine] iommu` keys that only mean something with devices. Anything malformed is refused
 * with the one-line error naming the field and what is allowed. machine/devices.ts builds them.
 */
import { E1000_DEFAULTS } from '../hw/devices/e1000.ts';
import { NVME_DEFAULTS } from '../hw/devices/nvme.ts';
import { isPciQuirk, PCI_QUIRKS, type PciQuirk } from '../hw/pci/quirks.ts';
import {
  DEVICE_KINDS,
  type DeviceConfig,
  type DeviceSetupConfig,
  type E1000DeviceConfig,
  type NvmeDeviceConfig,
} from '../machine/device-config.ts';
import type { RoutingMode } from '../kernel/irqs/legacy-routes.ts';
import {
  fail,
  fieldPath,
  isTable,
  kindOf,
  own,
  type ReadContext,
  readChoice,
  readInt,
  readTable,
  show,
} from './fields.ts';

export { DEVICE_KINDS, type DeviceConfig, type DeviceKind } from '../machine/device-config.ts';
export type { E1000DeviceConfig, NvmeDeviceConfig } from '../machine/device-config.ts';

const COMMON = ['kind', 'name', 'quirks', 'dma_bits'];
const NVME_KEYS = [
  ...COMMON,
  'queues',
  'queue_entries',
  'read_ns',
  'write_ns',
  'admin_ns',
  'parallelism',
  'blocks',
];
const E1000_KEYS = [...COMMON, 'packets_per_sec', 'packet_bytes', 'wire_mbps'];

export function readDevices(ctx: ReadContext, values: readonly unknown[]): DeviceConfig[] {
  const names = new Set<string>();
  return values.map((value, i) => {
    const prefix = `device.${i}`;
    if (!isTable(value)) fail(ctx, prefix, `expected a table, got ${kindOf(value)}`);
    const kind = readChoice(ctx, value, 'kind', prefix, { choices: DEVICE_KINDS, noun: 'a device kind' });
    const device = kind === 'nvme' ? readNvme(ctx, value, prefix, i) : readE1000(ctx, value, prefix, i);
    if (names.has(device.name))
      fail(ctx, fieldPath(prefix, 'name'), `"${device.name}" names two devices`, 'a unique name');
    names.add(device.name);
    return device;
  });
}

function readName(
  ctx: ReadContext,
  table: Record<string, unknown>,
  prefix: string,
  fallback: string,
): string {
  const value = own(table, 'name');
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(value))
    fail(
      ctx,
      fieldPath(prefix, 'name'),
      `${show(value)} is not a device name`,
      'a-z, 0-9 and -, up to 32, a letter first',
    );
  return value;
}

function readQuirks(ctx: ReadContext, table: Record<string, unknown>, prefix: string): PciQuirk[] {
  const value = own(table, 'quirks');
  if (value === undefined) return [];
  const field = fieldPath(prefix, 'quirks');
  if (!Array.isArray(value))
    fail(ctx, field, `expected an array, got ${kindOf(value)}`, PCI_QUIRKS.join(', '));
  const out: PciQuirk[] = [];
  value.forEach((q: unknown, i: number) => {
    if (typeof q !== 'string' || !isPciQuirk(q))
      fail(ctx, `${field}.${i}`, `${show(q)} is not a quirk`, PCI_QUIRKS.join(', '));
    if (!out.includes(q)) out.push(q);
  });
  return out;
}

function readNvme(ctx: ReadContext, value: unknown, prefix: string, i: number): NvmeDeviceConfig {
  const t = readTable(ctx, value, prefix, NVME_KEYS);
  const d = NVME_DEFAULTS;
  const int = (key: string, min: number, max: number, fallback: number) =>
    readInt(ctx, t, key, prefix, { min, max, fallback });
  return {
    kind: 'nvme',
    name: readName(ctx, t, prefix, `nvme${i}`),
    ioQueues: int('queues', 1, 64, d.ioQueues),
    queueEntries: int('queue_entries', 2, 4096, d.queueEntries),
    readNs: int('read_ns', 1, 1e9, d.readNs),
    writeNs: int('write_ns', 1, 1e9, d.writeNs),
    adminNs: int('admin_ns', 1, 1e9, d.adminNs),
    parallelism: int('parallelism', 1, 1024, d.parallelism),
    blocks: int('blocks', 8, 2 ** 40, d.blocks),
    quirks: readQuirks(ctx, t, prefix),
    dmaBits: readDmaBits(ctx, t, prefix),
  };
}

function readDmaBits(ctx: ReadContext, t: Record<string, unknown>, prefix: string): number {
  return readInt(ctx, t, 'dma_bits', prefix, { min: 16, max: 64, fallback: 64 });
}

function readE1000(ctx: ReadContext, value: unknown, prefix: string, i: number): E1000DeviceConfig {
  const t = readTable(ctx, value, prefix, E1000_KEYS);
  const d = E1000_DEFAULTS;
  return {
    kind: 'e1000',
    name: readName(ctx, t, prefix, `e1000-${i}`),
    packetsPerSec: readInt(ctx, t, 'packets_per_sec', prefix, {
      min: 0,
      max: 10_000_000,
      fallback: d.packetsPerSec,
    }),
    packetBytes: readInt(ctx, t, 'packet_bytes', prefix, { min: 64, max: 1518, fallback: d.packetBytes }),
    wireMbps: readInt(ctx, t, 'wire_mbps', prefix, { min: 10, max: 100_000, fallback: d.wireMbps }),
    quirks: readQuirks(ctx, t, prefix),
    dmaBits: readDmaBits(ctx, t, prefix),
  };
}

export const IRQ_ROUTINGS = ['redox', 'improved'] as const;

/**
 * The devices, the routing (default: `improved` under the fair scheduler, the improved kernel;
 * `redox` under dwrr and redbear) and the IOMMU (default off, the baseline). Null when the
 * scenario has no `[[device]]`: the machine is built as before. Routing or an IOMMU asked for
 * without a device is refused, so a setting cannot silently mean nothing.
 */
export function readDeviceSetup(
  ctx: ReadContext,
  values: readonly unknown[],
  kernel: Record<string, unknown>,
  machine: Record<string, unknown>,
  scheduler: string,
): DeviceSetupConfig | null {
  const devices = readDevices(ctx, values);
  const routingValue = own(kernel, 'irq_routing');
  const iommuValue = own(machine, 'iommu');
  if (devices.length === 0) {
    if (routingValue !== undefined)
      fail(ctx, 'kernel.irq_routing', 'the scenario has no [[device]]', 'a [[device]] table');
    if (iommuValue !== undefined)
      fail(ctx, 'machine.iommu', 'the scenario has no [[device]]', 'a [[device]] table');
    return null;
  }
  const irqRouting: RoutingMode = readChoice(ctx, kernel, 'irq_routing', 'kernel', {
    choices: IRQ_ROUTINGS,
    noun: 'an IRQ routing',
    fallback: scheduler === 'fair' ? 'improved' : 'redox',
  });
  if (iommuValue !== undefined && typeof iommuValue !== 'boolean')
    fail(ctx, 'machine.iommu', `expected a boolean, got ${kindOf(iommuValue)}`, 'true, false');
  return { devices, irqRouting, iommu: iommuValue ?? false };
}

/** `[[device]]` tables for `devices`, as readDevices reads them back (scenario/render.ts). */
export function renderDevices(devices: readonly DeviceConfig[]): Record<string, unknown>[] {
  return devices.map((d) => {
    const common = { kind: d.kind, name: d.name, quirks: [...d.quirks], dma_bits: d.dmaBits };
    if (d.kind === 'e1000')
      return {
        ...common,
        packets_per_sec: d.packetsPerSec,
        packet_bytes: d.packetBytes,
        wire_mbps: d.wireMbps,
      };
    return {
      ...common,
      queues: d.ioQueues,
      queue_entries: d.queueEntries,
      read_ns: d.readNs,
      write_ns: d.writeNs,
      admin_ns: d.adminNs,
      parallelism: d.parallelism,
      blocks: d.blocks,
    };
  });
}
