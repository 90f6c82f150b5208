/**
 * The kernel's side of devices for userspace drivers (issue 18): what Redox's `pci:`, `memory:`
 * and `irq:` schemes hold, in the two routing modes of kernel/irqs/ (HW-10, HW-11, K11, K13,
 * K21):
 * - the PCI functions the board has (their config space, BAR0, INTx GSI, requester id, quirks);
 * - the IOAPIC routing of the legacy lines, programmed at boot from the MADT the kernel parsed
 *   (kernel/irqs/ioapic-routing.ts), and the vector matrix/domain the improved mode allocates in;
 * - the open irq handles: where each one's vector is, its count and last ack, its waiters, and
 *   the (CPU, vector) -> handle lookup the interrupt entry needs for device vectors (irq.ts);
 * - the IRQ counts in each mode's layout with the lock the hot path takes (irq-counts.ts, K13);
 * - per-function DMA: an IOMMU domain with its IOVA allocator when the machine has an IOMMU,
 *   else direct with a SWIOTLB pool for narrow masks (kernel/dma/);
 * - the figures `smpsim metrics` lists (report/device-metrics.ts).
 * Vector placement: `redox` puts every vector on the BSP, first fit from 32 over the vectors its
 * IDT leaves free (models-2.md §7.3, §8.3: pcid targets the BSP); `improved` asks the domain: the
 * most-free online CPU for a line or an admin vector, a managed vector on the queue's CPU for an
 * MSI-X queue (nvme_setup_irqs, §8.7).
 */
import type { Iommu } from '../../hw/iommu.ts';
import type { DmaPort } from '../../hw/dma-port.ts';
import { IOAPIC_EOI, IOREGSEL, IOWIN } from '../../hw/ioapic.ts';
import { PAGE_SIZE } from '../../hw/memory.ts';
import type { PciQuirk } from '../../hw/pci/quirks.ts';
import { SpinLock } from '../../hw/spinlock.ts';
import {
  VEC_HRTIMER,
  VEC_IPI_PIT,
  VEC_IPI_SWITCH,
  VEC_IPI_TLB,
  VEC_IPI_WAKEUP,
  VEC_LAPIC_TIMER,
  VEC_PIT,
} from '../../hw/vectors.ts';
import { DmaApi, dmaBitMask, type DmaDevice } from '../dma/dma-api.ts';
import { FaultReport } from '../dma/fault-report.ts';
import { IovaAllocator } from '../dma/iova.ts';
import { Swiotlb } from '../dma/swiotlb.ts';
import { IoApicRouting } from '../irqs/ioapic-routing.ts';
import { IrqCounts } from '../irqs/irq-counts.ts';
import type { RoutingMode } from '../irqs/legacy-routes.ts';
import { VectorDomain } from '../irqs/vector-domain.ts';
import { VectorMatrix } from '../irqs/vector-matrix.ts';
import type { Kernel } from '../kernel.ts';
import type { Thread } from '../thread.ts';
import type { WaitQueue } from '../fd/wait-queue.ts';
import { DevioStats } from './stats.ts';

/** A PCI function as the kernel's `pci:` scheme sees it. */
export interface PciFunction {
  readonly name: string;
  /** abi/devio.ts DEVICE_KIND_*. */
  readonly kindCode: number;
  readonly cfg: {
    read(offset: number, size: 1 | 2 | 4): number;
    write(offset: number, size: 1 | 2 | 4, value: number): void;
  };
  readonly bar0: number;
  readonly barBytes: number;
  readonly intxGsi: number;
  readonly requesterId: number;
  readonly quirks: readonly PciQuirk[];
  readonly dmaBits: number;
  readonly ioQueues: number;
  /**
   * Requests the device holds that will complete on interrupt source `source` (NVMe: commands on
   * the CQs with that vector; a NIC: 0). Stands in for blk-mq's tag walk (blk_mq_hctx_has_requests)
   * in the drain before a managed vector shuts down: the driver is in userspace here, so the
   * kernel asks the device model what the driver's queue has outstanding (hotplug-vectors.ts).
   */
  readonly inFlight: (source: number) => number;
}

export type IrqMode = 'intx' | 'msi' | 'msix';

export interface IrqHandle {
  readonly id: number;
  readonly fn: number;
  readonly source: number;
  readonly mode: IrqMode;
  /** The domain's IRQ number (improved), also the counts' key. */
  readonly irq: number;
  readonly managed: boolean;
  cpu: number;
  vector: number;
  count: number;
  acked: number;
  /** A level line the handler masked until the driver acknowledges. */
  masked: boolean;
  /** Closed: a reader still blocked on it wakes with EBADF. */
  closed: boolean;
  readonly waiters: Thread[];
  readonly pid: number;
  /** Threads in poll() on the handle's irq: file (made at the first poll; irq-scheme.ts). */
  pollers?: WaitQueue;
}

export interface DevioSetup {
  readonly mode: RoutingMode;
  readonly functions: readonly PciFunction[];
  readonly iommu: Iommu | null;
  /** The memory side of DMA (what SWIOTLB copies through). */
  readonly direct: DmaPort;
  /** A line a device may still raise: any device timer pending (deadlock.ts asks). */
  readonly busy: () => boolean;
}

/** Kernel vectors no device gets: the timer, the IPIs, the hrtimer one-shot (hw/vectors.ts). */
const SYSTEM_VECTORS = [
  VEC_PIT,
  VEC_LAPIC_TIMER,
  VEC_IPI_WAKEUP,
  VEC_IPI_TLB,
  VEC_IPI_SWITCH,
  VEC_IPI_PIT,
  VEC_HRTIMER,
];
/** Redox's BSP IDT: 32-47 legacy, 48 LAPIC timer, 49 LAPIC error, 0x40-0x44 IPIs (models-2.md §7.3). */
const REDOX_RESERVED = [...Array.from({ length: 18 }, (_, i) => 32 + i), 0x40, 0x41, 0x42, 0x43, 0x44];
const DEVICE_IRQ_BASE = 32;
const SWIOTLB_SLOTS = 128;
const LOW_FRAMES = 32;

export class Devio {
  readonly mode: RoutingMode;
  readonly functions: readonly PciFunction[];
  readonly routing: IoApicRouting;
  readonly domain: VectorDomain;
  readonly counts: IrqCounts;
  readonly countLocks: SpinLock[];
  readonly stats: DevioStats;
  readonly iommu: Iommu | null;
  /** The kernel's rate-limited report of the IOMMU's fault records (kernel/dma/fault-report.ts). */
  readonly faultReport = new FaultReport();
  readonly dma: DmaApi;
  readonly swiotlb: Swiotlb | null;
  readonly dmaDevices: DmaDevice[];
  /** The interrupt mode each function was given at its first irq open (null: none yet). */
  readonly modes: (IrqMode | null)[];
  /**
   * Low frames for coherent allocations of narrow-mask devices without an IOMMU (Linux's
   * ZONE_DMA32 for dma_alloc_coherent: coherent memory is never bounced), taken at boot beside
   * the SWIOTLB pool.
   */
  readonly lowFrames: number[] = [];
  readonly handles = new Map<number, IrqHandle>();
  readonly #byVector = new Map<number, IrqHandle>();
  /**
   * (CPU, vector) pairs a CPU offline moved handles away from, still naming the handle, so an
   * interrupt already in flight to (or pending at) the old pair is sent on to the new one
   * (hotplug-vectors.ts; Linux's fixup_irqs retrigger). Cleared when the CPU comes back.
   */
  readonly #moved = new Map<number, IrqHandle>();
  /** Interrupts that reached a vector moved away by a CPU offline and were sent on. */
  forwarded = 0;
  readonly #redoxUsed = new Uint8Array(256);
  readonly #k: Kernel;
  readonly #busy: () => boolean;
  #nextHandle = 1;

  constructor(k: Kernel, setup: DevioSetup) {
    this.#k = k;
    this.mode = setup.mode;
    this.functions = setup.functions;
    this.iommu = setup.iommu;
    if (setup.iommu !== null) setup.iommu.onFault = (f) => this.faultReport.note(f);
    this.#busy = setup.busy;
    const cpus = k.cpus.length;
    const matrix = new VectorMatrix({
      cpus,
      allocStart: 0x20,
      allocEnd: 0xec,
      systemVectors: SYSTEM_VECTORS,
    });
    for (let c = 0; c < cpus; c++) matrix.online(c);
    this.domain = new VectorDomain(matrix);
    for (const v of REDOX_RESERVED) this.#redoxUsed[v] = 1;
    this.counts = new IrqCounts(setup.mode, cpus);
    this.countLocks = Array.from(
      { length: setup.mode === 'redox' ? 1 : cpus },
      (_, c) => new SpinLock(this.counts.lockFor(c)),
    );
    this.stats = new DevioStats(cpus);
    this.modes = setup.functions.map(() => null);
    this.routing = new IoApicRouting({
      mode: setup.mode,
      ioApics: k.firmware.ioApics,
      overrides: k.firmware.overrides,
      apicIds: k.cpus.map((c) => c.cpuid.apicId),
      access: { read: (a, i) => this.#ioapicRead(a, i), write: (a, i, v) => this.#ioapicWrite(a, i, v) },
      domain: this.domain,
    });
    this.routing.init();
    this.swiotlb = this.#makeSwiotlb(setup);
    this.dma = new DmaApi(this.swiotlb);
    this.dmaDevices = setup.functions.map((fn) => this.#dmaDevice(fn));
  }

  /** Any device may still interrupt (a blocked driver is then waiting, not deadlocked). */
  busy(): boolean {
    return this.stats.pendingRaises() > 0 || this.#busy();
  }

  apicIdOf(cpu: number): number {
    return this.#k.cpus[cpu]!.cpuid.apicId;
  }

  /** The handle behind `vector` on `cpu`, or undefined. */
  handleAt(cpu: number, vector: number): IrqHandle | undefined {
    return this.#byVector.get(cpu * 256 + vector);
  }

  /** A handle moved off (`cpu`, `vector`) by a CPU offline, or undefined. */
  movedFrom(cpu: number, vector: number): IrqHandle | undefined {
    return this.#moved.get(cpu * 256 + vector);
  }

  /** Moves a handle off an offlined CPU, remembering the old pair for interrupts in flight. */
  moveOff(h: IrqHandle, cpu: number, vector: number): void {
    if (h.cpu >= 0) this.#moved.set(h.cpu * 256 + h.vector, h);
    this.moveHandle(h, cpu, vector);
  }

  /** `cpu` is back online: its old vectors may be handed out again, so they no longer forward. */
  forgetMoved(cpu: number): void {
    for (const key of [...this.#moved.keys()]) if (Math.floor(key / 256) === cpu) this.#moved.delete(key);
  }

  /** The count lock the interrupt on `cpu` takes (K13: one for all in redox, its own improved). */
  countLock(cpu: number): SpinLock {
    return this.countLocks[this.mode === 'redox' ? 0 : cpu]!;
  }

  /** A vector for a new handle, or the errno name; `cpu` < 0: the kernel chooses. */
  place(irq: number, mode: IrqMode, cpu: number): { cpu: number; vector: number; managed: boolean } | string {
    if (this.mode === 'redox') {
      for (let v = 0x20; v < 0xff; v++) {
        if (this.#redoxUsed[v] === 1) continue;
        this.#redoxUsed[v] = 1;
        return { cpu: 0, vector: v, managed: false };
      }
      return 'ENOSPC';
    }
    const managed = mode === 'msix' && cpu >= 0;
    const p = managed
      ? this.domain.allocateManaged(irq, [cpu])
      : this.domain.allocate(irq, cpu >= 0 ? [cpu] : this.domain.onlineCpus());
    return typeof p === 'string' ? p : { ...p, managed };
  }

  /** Records a new handle at its vector. */
  addHandle(h: Omit<IrqHandle, 'id' | 'irq'> & { irq?: number }): IrqHandle {
    const id = this.#nextHandle++;
    const handle: IrqHandle = { ...h, id, irq: h.irq ?? this.nextIrq() };
    this.handles.set(id, handle);
    this.#byVector.set(handle.cpu * 256 + handle.vector, handle);
    return handle;
  }

  /** The IRQ number the next handle gets (the domain's key). */
  nextIrq(): number {
    return DEVICE_IRQ_BASE + this.#nextHandle;
  }

  /** Moves a handle's vector (affinity); the lookup follows. */
  moveHandle(h: IrqHandle, cpu: number, vector: number): void {
    this.#byVector.delete(h.cpu * 256 + h.vector);
    h.cpu = cpu;
    h.vector = vector;
    if (cpu >= 0) {
      this.#byVector.set(cpu * 256 + vector, h);
      this.#moved.delete(cpu * 256 + vector);
    }
  }

  closeHandle(h: IrqHandle): void {
    h.closed = true;
    this.#byVector.delete(h.cpu * 256 + h.vector);
    for (const [key, moved] of this.#moved) if (moved === h) this.#moved.delete(key);
    this.handles.delete(h.id);
    if (this.mode === 'redox') this.#redoxUsed[h.vector] = 0;
    else this.domain.release(h.irq);
  }

  /** Writes an IOAPIC register through its window (two MMIO writes, as ioapic.rs does). */
  #ioapicWrite(address: number, index: number, value: number): void {
    const bus = this.#k.board.devices;
    bus.mmioWrite(address + IOREGSEL, 4, index);
    bus.mmioWrite(address + IOWIN, 4, value);
  }

  #ioapicRead(address: number, index: number): number {
    const bus = this.#k.board.devices;
    bus.mmioWrite(address + IOREGSEL, 4, index);
    return bus.mmioRead(address + IOWIN, 4);
  }

  /** The IOAPIC pin of `gsi`: its chip's address and the pin, or null. */
  pinOf(gsi: number): { address: number; pin: number } | null {
    for (const io of this.#k.firmware.ioApics) {
      if (gsi >= io.gsiBase && gsi < io.gsiBase + 24) return { address: io.address, pin: gsi - io.gsiBase };
    }
    return null;
  }

  writeRte(gsi: number, words: { lo: number; hi: number }): void {
    const at = this.pinOf(gsi)!;
    this.#ioapicWrite(at.address, 0x11 + 2 * at.pin, words.hi);
    this.#ioapicWrite(at.address, 0x10 + 2 * at.pin, words.lo);
  }

  writeRteLo(gsi: number, lo: number): void {
    const at = this.pinOf(gsi)!;
    this.#ioapicWrite(at.address, 0x10 + 2 * at.pin, lo);
  }

  readRteLo(gsi: number): number {
    const at = this.pinOf(gsi)!;
    return this.#ioapicRead(at.address, 0x10 + 2 * at.pin);
  }

  /** The IOAPIC's EOI register (version 0x20): clears remote IRR of a level entry on `vector`. */
  ioapicEoi(gsi: number, vector: number): void {
    const at = this.pinOf(gsi)!;
    this.#k.board.devices.mmioWrite(at.address + IOAPIC_EOI, 4, vector);
  }

  /** A SWIOTLB pool in low memory when some function's mask is narrow and DMA is not translated. */
  #makeSwiotlb(setup: DevioSetup): Swiotlb | null {
    if (setup.iommu !== null || !setup.functions.some((f) => f.dmaBits < 64)) return null;
    const memory = this.#k.board.memory;
    const frames = (SWIOTLB_SLOTS * 2048) / PAGE_SIZE;
    const first = memory.allocFrame(0);
    for (let i = 1; i < frames; i++) {
      const f = memory.allocFrame(0);
      if (f !== first + i) throw new Error('devio: the SWIOTLB pool needs contiguous frames at boot');
    }
    for (let i = 0; i < LOW_FRAMES; i++) this.lowFrames.push(memory.allocFrame(0));
    const copyBytesPerNs = this.#k.board.costs.bounceCopyBytesPerNs;
    return new Swiotlb(first * PAGE_SIZE, SWIOTLB_SLOTS, setup.direct, Math.max(copyBytesPerNs, 1e-9));
  }

  #dmaDevice(fn: PciFunction): DmaDevice {
    const mask = dmaBitMask(fn.dmaBits);
    const iommu = this.iommu;
    if (iommu === null) return { requesterId: fn.requesterId, mask, domain: null };
    const id = iommu.createDomain();
    iommu.attach(id, fn.requesterId);
    // The drivers' calls pass bus addresses as 32-bit words: the IOVA space is the low 4 GiB.
    const endPfn = Math.min(Math.floor(mask / PAGE_SIZE), 2 ** 20 - 1);
    return { requesterId: fn.requesterId, mask, domain: { iommu, id, iova: new IovaAllocator(1, endPfn) } };
  }
}
