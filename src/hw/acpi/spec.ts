/**
 * What the firmware describes: the machine's processors with their APIC ids, its I/O APICs,
 * interrupt overrides, NMI wiring and NUMA layout, derived from the hardware topology. The
 * table builders turn this into bytes; nothing here is bytes yet.
 *
 * APIC ids come as the hardware has them (the topology's, packed), as CPU indices (`linear`,
 * contiguous, for table tests) or packed afresh from the topology's fields (`packed`: SMT, core
 * and package fields each rounded up to a power of two, as CPUID leaf 0xB describes and Linux
 * arch/x86/kernel/cpu/topology.c decodes), which puts ids above 255 on machines with far fewer
 * than 256 CPUs.
 */
import { assert } from '../../engine/assert.ts';
import { PAGE_SIZE } from '../memory.ts';
import type { Topology } from '../topology.ts';

/** Local APIC MMIO base (Intel SDM vol. 3 §11.4.1); MADT +36 and type 5. */
export const LAPIC_ADDRESS = 0xfee0_0000;
/** First I/O APIC MMIO base and the spacing of further ones (one per NUMA node here). */
export const IOAPIC_ADDRESS = 0xfec0_0000;
const IOAPIC_STRIDE = 0x1000;
/** Interrupt inputs per I/O APIC (the 82093AA has 24). */
export const IOAPIC_PINS = 24;
/** HPET MMIO base, as PC chipsets and QEMU place it. */
export const HPET_ADDRESS = 0xfed0_0000;
/** LINT pin wired to NMI on PCs (LINT1). */
export const NMI_LINT = 1;
/** ACPI processor UID meaning every processor in NMI entries: 0xFF (type 4), 0xFFFFFFFF (type 10). */
export const ALL_PROCESSORS_U8 = 0xff;
export const ALL_PROCESSORS_U32 = 0xffff_ffff;
/** xAPIC ids stop below 255 (0xFF is broadcast); larger ids need MADT type 9 (ACPI 6.5 §5.2.12.12). */
export const XAPIC_ID_LIMIT = 255;

export interface FirmwareCpu {
  apicId: number;
  /** ACPI processor UID: the index of the processor object (u8 in type 0, u32 in type 9). */
  uid: number;
  enabled: boolean;
  /** Hot-pluggable: not running at boot, may be brought online later (MADT rev ≥ 5). */
  onlineCapable: boolean;
  /** SRAT proximity domain; null for a slot the SRAT does not describe. */
  domain: number | null;
}

export interface FirmwareIoApic {
  id: number;
  address: number;
  gsiBase: number;
}

export interface FirmwareOverride {
  bus: number;
  sourceIrq: number;
  gsi: number;
  /** MPS INTI flags: bits 0–1 polarity, 2–3 trigger mode. */
  flags: number;
}

export interface FirmwareMemory {
  domain: number;
  baseBytes: number;
  lengthBytes: number;
  hotPluggable: boolean;
}

export interface FirmwareSpec {
  cpus: FirmwareCpu[];
  ioApics: FirmwareIoApic[];
  overrides: FirmwareOverride[];
  memory: FirmwareMemory[];
  /** SLIT matrix by proximity domain, `distances[i][j]`. */
  distances: number[][];
  lapicAddress: number;
  hpetAddress: number;
  /** Physical address of the multiprocessor wakeup mailbox (MADT type 0x10), or null for none. */
  wakeupMailbox: number | null;
}

export interface SpecOptions {
  /** Bytes of RAM the SRAT describes; split into equal ranges per node as PhysicalMemory does. */
  memoryBytes: number;
  /** The hardware's own ids (default), CPU indices (`linear`), or packed from the topology. */
  apicIds?: 'topology' | 'linear' | 'packed';
  /** Disabled, online-capable MADT entries after the present CPUs (hot-plug sockets). */
  hotplugSlots?: number;
  wakeupMailbox?: number | null;
}

/** The firmware description of `topology`; CPU order is the topology's (the BSP first). */
export function specFromTopology(topology: Topology, options: SpecOptions): FirmwareSpec {
  const ids =
    options.apicIds === 'packed'
      ? packedApicIds(topology)
      : options.apicIds === 'linear'
        ? topology.cpus.map((c) => c.cpuId)
        : topology.cpus.map((c) => c.apicId);
  const cpus: FirmwareCpu[] = topology.cpus.map((c, i) => ({
    apicId: ids[i]!,
    uid: i,
    enabled: true,
    onlineCapable: false,
    domain: c.nodeId,
  }));
  let nextId = Math.max(...ids) + 1;
  for (let s = 0; s < (options.hotplugSlots ?? 0); s++) {
    cpus.push({ apicId: nextId++, uid: cpus.length, enabled: false, onlineCapable: true, domain: null });
  }
  const nodes = topology.nodeCount;
  return {
    cpus,
    ioApics: Array.from({ length: nodes }, (_, n) => ({
      id: n,
      address: IOAPIC_ADDRESS + n * IOAPIC_STRIDE,
      gsiBase: n * IOAPIC_PINS,
    })),
    // The PC's two overrides, as QEMU and most firmware emit them: the PIT's IRQ 0 on GSI 2,
    // and the SCI (IRQ 9) level-triggered active-high (flags 0b1101).
    overrides: [
      { bus: 0, sourceIrq: 0, gsi: 2, flags: 0 },
      { bus: 0, sourceIrq: 9, gsi: 9, flags: 0xd },
    ],
    memory: memoryRanges(options.memoryBytes, nodes),
    distances: Array.from({ length: nodes }, (_, i) =>
      Array.from({ length: nodes }, (_, j) => topology.nodeDistance(i, j)),
    ),
    lapicAddress: LAPIC_ADDRESS,
    hpetAddress: HPET_ADDRESS,
    wakeupMailbox: options.wakeupMailbox ?? null,
  };
}

/** Equal page-aligned ranges per node, the last taking the rest (PhysicalMemory.nodeOf). */
function memoryRanges(memoryBytes: number, nodes: number): FirmwareMemory[] {
  const frames = Math.floor(memoryBytes / PAGE_SIZE);
  assert(frames >= 2 * nodes, 'acpi: memory too small for its nodes');
  const perNode = Math.floor(frames / nodes);
  return Array.from({ length: nodes }, (_, n) => ({
    domain: n,
    baseBytes: n * perNode * PAGE_SIZE,
    lengthBytes: (n === nodes - 1 ? frames - n * perNode : perNode) * PAGE_SIZE,
    hotPluggable: false,
  }));
}

/** Bits to hold `count` distinct values (CPUID leaf 0xB shift widths). */
function bitsFor(count: number): number {
  return count <= 1 ? 0 : Math.ceil(Math.log2(count));
}

/** x86 APIC ids: package | core-in-package | SMT thread, each field a power of two wide. */
export function packedApicIds(topology: Topology): number[] {
  const cpus = topology.cpus;
  const smt = Math.max(...cpus.map((c) => c.smtIndex)) + 1;
  const packages = Math.max(...cpus.map((c) => c.packageId)) + 1;
  const coresPerPackage = cpus.length / packages / smt;
  const smtBits = bitsFor(smt);
  const coreBits = bitsFor(coresPerPackage);
  return cpus.map((c) => {
    const coreInPackage = c.coreId - c.packageId * coresPerPackage;
    return ((c.packageId << (smtBits + coreBits)) | (coreInPackage << smtBits) | c.smtIndex) >>> 0;
  });
}
