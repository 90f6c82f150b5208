/**
 * CPU hotplug for device vectors (issue 18, kernel/hotplug.ts step 6), the improved kernel only:
 * - **drain** (block/blk-mq.c blk_mq_hctx_notify_offline): before a managed vector whose every
 *   CPU is going away shuts down, the offline waits until nothing is outstanding on it: no
 *   request the device holds for that source (PciFunction.inFlight, the stand-in for
 *   blk_mq_hctx_has_requests: the driver's tags are in userspace here) and no raise whose handler
 *   has not run. It polls as blk-mq does, `msleep(5)` between looks, so an offline under I/O takes
 *   at least 5 ms. The CPU is out of the online mask already (sched_cpu_deactivate ran first),
 *   so submitters that map their queue by CPU have moved to other queues.
 * - **migrate** (kernel/irq/cpuhotplug.c irq_migrate_all_off_this_cpu / migrate_one_irq): every
 *   non-managed vector on the CPU gets a vector elsewhere (vector-domain.ts `offline`) and its
 *   source is reprogrammed: the IOAPIC redirection entry of a line, the MSI address/data, or the
 *   MSI-X table entry. A managed vector with no online CPU left is shut down
 *   (irq_shutdown_and_deactivate): its MSI-X entry masked, so a late completion sets the entry's
 *   pending bit and is sent when the CPU comes back and the entry is unmasked.
 * - **forward** (arch/x86/kernel/irq.c fixup_irqs: after the move it looks at the dying CPU's IRR
 *   and retriggers what is pending there on the new target): an interrupt still in flight to, or
 *   pending at, the old (CPU, vector) is sent on to where the handle is now, so none is lost.
 * - **restart** (irq_startup_managed on CPU online): managed vectors shut down for want of the
 *   CPU get a vector there again and their entries are programmed and unmasked.
 * Redox's routing (`irq_routing = "redox"`) has no offline path: its kernel has no hotplug.
 */
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import { readMsixInfo } from '../../hw/pci/msi-caps.ts';
import { CAP_ID_MSIX, findCapability } from '../../hw/pci/config-space.ts';
import { MSIX_ENTRY_BYTES, MSIX_ENTRY_MASKED, MSIX_VECTOR_CTRL } from '../../hw/pci/msix-table.ts';
import type { IrqMove } from '../irqs/vector-domain.ts';
import type { Kernel } from '../kernel.ts';
import { schedule } from '../sched/switch.ts';
import { isThread } from '../thread.ts';
import { afterNs } from '../timeout.ts';
import type { Devio, IrqHandle } from './devio.ts';
import { Accesses, programSource } from './irq-program.ts';

/** blk_mq_hctx_notify_offline's poll: msleep(5) while the hardware queue has requests. */
export const DRAIN_POLL_NS = 5_000_000;

export interface VectorOfflineResult {
  moved: number;
  shutDown: number;
  /** Time the drain waited for outstanding requests (0 when none were). */
  drainNs: number;
}

/** The improved kernel's devices, when the machine has them and their vectors move. */
function devicesOf(k: Kernel): Devio | null {
  const d = k.devio;
  return d !== null && d.mode === 'improved' && k.hotplug.vectorDomain !== null ? d : null;
}

/** Managed handles on `cpuId` whose every CPU is offline now: the ones that shut down. */
function dyingManaged(d: Devio, cpuId: number, online: Uint8Array): IrqHandle[] {
  return [...d.handles.values()].filter((h) => {
    if (!h.managed || h.cpu !== cpuId) return false;
    const mask = d.domain.get(h.irq)?.mask ?? [];
    return !mask.some((c) => c !== cpuId && online[c] === 1);
  });
}

function outstanding(k: Kernel, d: Devio, h: IrqHandle): boolean {
  if (d.functions[h.fn]!.inFlight(h.source) > 0) return true;
  return d.stats.pendingAt(h.cpu, h.vector) > 0 || k.cpus[h.cpu]!.lapic.pending(h.vector);
}

/**
 * The drain, run by the offlining thread on `cpuAtEntry` after `cpuId` left the online mask;
 * returns the CPU the thread is on afterwards (it may sleep and wake elsewhere).
 */
export function* drainManagedVectors(
  k: Kernel,
  cpuAtEntry: Cpu,
  cpuId: number,
  out: VectorOfflineResult,
): KernelGen<Cpu> {
  const d = devicesOf(k);
  if (d === null) return cpuAtEntry;
  const handles = dyingManaged(d, cpuId, k.hotplug.online);
  let cpu = cpuAtEntry;
  const t = cpu.current;
  if (!isThread(t)) throw new Error('hotplug: a device drain outside a thread');
  const startNs = k.nowNs;
  while (handles.some((h) => outstanding(k, d, h))) {
    k.blockCurrent(cpu, t, 'hotplug-drain', afterNs(k, t, BigInt(DRAIN_POLL_NS), false));
    yield* schedule(k, cpu);
    cpu = k.cpuOf(t);
  }
  out.drainNs = k.nowNs - startNs;
  return cpu;
}

/** Masks MSI-X entry `source` of the function (its vector control word). */
function maskEntry(k: Kernel, d: Devio, h: IrqHandle, n: Accesses): void {
  const fn = d.functions[h.fn]!;
  const at = findCapability(fn.cfg, CAP_ID_MSIX);
  if (at <= 0) return;
  const info = readMsixInfo(fn.cfg, at);
  const entry = info.tableOffset + h.source * MSIX_ENTRY_BYTES + MSIX_VECTOR_CTRL;
  k.board.devices.mmioWrite(fn.bar0 + entry, 4, MSIX_ENTRY_MASKED);
  n.count++;
}

function applyMove(k: Kernel, d: Devio, m: IrqMove, n: Accesses, out: VectorOfflineResult): void {
  const h = [...d.handles.values()].find((x) => x.irq === m.irq);
  if (h === undefined) return; // a legacy line: routing.applyMoves reprogrammed it
  const mmio = (addr: number, v: number) => k.board.devices.mmioWrite(addr, 4, v);
  if (m.to === null) {
    maskEntry(k, d, h, n);
    d.moveOff(h, -1, h.vector);
    out.shutDown++;
    return;
  }
  const fn = d.functions[h.fn]!;
  programSource(d, fn, h.mode, h.source, { apicId: d.apicIdOf(m.to.cpu), vector: m.to.vector }, mmio, n);
  d.moveOff(h, m.to.cpu, m.to.vector);
  out.moved++;
}

/** irq_migrate_all_off_this_cpu: moves or shuts down every vector on `cpuId`, reprogramming sources. */
export function* moveDeviceVectors(k: Kernel, cpuId: number, out: VectorOfflineResult): KernelGen<void> {
  const d = devicesOf(k);
  if (d === null) return;
  const moves = d.domain.offline(cpuId);
  // hotplug.ts asked canOffline before anything changed; nothing allocates in between.
  if (moves === 'ENOSPC') throw new Error(`hotplug: cpu ${cpuId}'s vectors fit nowhere after the check`);
  d.routing.applyMoves(moves);
  const n = new Accesses();
  for (const m of moves) applyMove(k, d, m, n, out);
  const legacy = moves.filter((m) => d.routing.routes.has(m.irq)).length;
  out.moved += legacy;
  yield spend((n.count + 4 * legacy) * k.board.costs.mmioWriteNs);
}

/** CPU online: managed vectors that shut down for want of `cpuId` start again there. */
export function* restartDeviceVectors(k: Kernel, cpuId: number): KernelGen<number> {
  const d = devicesOf(k);
  if (d === null) {
    k.hotplug.vectorDomain?.online(cpuId);
    return 0;
  }
  const restarted = d.domain.online(cpuId);
  d.forgetMoved(cpuId);
  const n = new Accesses();
  const mmio = (addr: number, v: number) => k.board.devices.mmioWrite(addr, 4, v);
  for (const irq of restarted) {
    const h = [...d.handles.values()].find((x) => x.irq === irq);
    const p = d.domain.get(irq)?.placement;
    if (h === undefined || !p) continue;
    // Unmasking the entry sends what its pending bit holds (a completion after the shutdown).
    programSource(
      d,
      d.functions[h.fn]!,
      h.mode,
      h.source,
      { apicId: d.apicIdOf(p.cpu), vector: p.vector },
      mmio,
      n,
    );
    d.moveHandle(h, p.cpu, p.vector);
  }
  yield spend(n.count * k.board.costs.mmioWriteNs);
  return restarted.length;
}

/**
 * An interrupt that reached a (CPU, vector) a CPU offline moved a handle away from: sent on to
 * the handle's vector now (fixup_irqs' retrigger). True when it was one.
 */
export function forwardMovedInterrupt(k: Kernel, cpu: Cpu, vector: number): boolean {
  const d = k.devio;
  const h = d?.movedFrom(cpu.id, vector);
  if (d === null || d === undefined || h === undefined) return false;
  if (h.cpu < 0) {
    // Shut down after the drain found nothing outstanding: this raise has no CPU to go to.
    d.stats.dropRaises(cpu.id, vector);
    return true;
  }
  d.forwarded++;
  d.stats.moveRaises(cpu.id, vector, h.cpu, h.vector);
  k.board.apic.deliver(h.cpu, h.vector, k.board.apic.ipiLatencyNs(cpu.id, h.cpu));
  return true;
}
