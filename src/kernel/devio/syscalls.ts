/**
 * The device calls of userspace drivers (abi/syscalls.ts 1230-1241; issue 18): Redox's `pci:`
 * (open a function, read what it is), `memory:` (its BAR through the physmap, DMA memory) and
 * `irq:` (open a source, read to wait, write to acknowledge) scheme round trips, one call each.
 * Every call is ENODEV on a machine without devices. Until the fd and scheme layer lands these
 * are plain calls; their handlers are what the schemes' read/write will call.
 *
 * Faithfulness note: a Redox driver maps BAR0 and touches registers with plain loads and stores;
 * here each register access is a call, so it pays a system-call entry besides `mmioReadNs` or
 * `mmioWriteNs`. Drivers keep register accesses few per request (a doorbell write per batch).
 */
import { EBADF, EEXIST, EFAULT, EINTR, EINVAL, EIO, ENODEV, ENOENT, ENOSPC } from '../../abi/errno.ts';
import {
  SYS_IRQ_AFFINITY,
  SYS_IRQ_CLOSE,
  SYS_IRQ_OPEN,
  SYS_IRQ_READ,
  SYS_IRQ_WRITE,
  SYS_MMIO_READ,
  SYS_MMIO_WRITE,
  SYS_PCI_OPEN,
} from '../../abi/syscalls.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { schedule } from '../sched/switch.ts';
import { signalPending } from '../signal.ts';
import { argNum, type SyscallTable } from '../syscall-types.ts';
import type { Thread } from '../thread.ts';
import { NO_TIMEOUT } from '../timeout.ts';
import { DMA_SYSCALLS } from './dma.ts';
import './irq-scheme.ts'; // registers the irq: kernel scheme
import { windowPhysical } from './memory-scheme.ts'; // and registers the memory: kernel scheme
import './pci-scheme.ts'; // registers the pci: kernel scheme (pcid's namespace)
import type { Devio, IrqHandle } from './devio.ts';
import { Accesses, enableMode, modeFor, programSource, setLineMasked, sourcesIn } from './irq-program.ts';

const ERRNO: Record<string, number> = { EINVAL, ENOSPC, ENOENT, EIO, EEXIST };

function* sysPciOpen(k: Kernel, name: unknown): KernelGen<number> {
  const d = k.devio;
  if (d === null) return -ENODEV;
  yield spend(k.board.costs.schemeCallNs);
  const index = d.functions.findIndex((f) => f.name === name);
  return index < 0 ? -ENOENT : index;
}

function fnOf(d: Devio | null, dev: number) {
  return d === null ? null : (d.functions[dev] ?? null);
}

/**
 * mmio_read(addr) / mmio_write(addr, value): a 32-bit load or store at `addr` in one of the
 * caller's BAR windows (mapped through memory:physical, memory-scheme.ts), reaching the device
 * register behind it. EFAULT outside a window, EINVAL for an unaligned address.
 */
function* sysMmio(k: Kernel, t: Thread, addr: number, value: number | null): KernelGen<number> {
  if (k.devio === null) return -ENODEV;
  if (!(Number.isInteger(addr) && addr % 4 === 0)) return -EINVAL;
  const phys = windowPhysical(t, addr);
  if (phys < 0) return -EFAULT;
  const bus = k.board.devices;
  if (value === null) {
    yield spend(k.board.costs.mmioReadNs);
    return bus.mmioRead(phys, 4) >>> 0;
  }
  yield spend(k.board.costs.mmioWriteNs);
  bus.mmioWrite(phys, 4, value >>> 0);
  return 0;
}

export function* sysIrqOpen(
  k: Kernel,
  t: Thread,
  dev: number,
  source: number,
  cpu: number,
): KernelGen<number> {
  const d = k.devio;
  const fn = fnOf(d, dev);
  if (d === null || fn === null) return d === null ? -ENODEV : -EBADF;
  yield spend(k.board.costs.schemeCallNs);
  const mode = d.modes[dev] ?? modeFor(fn);
  if (!(Number.isInteger(source) && source >= 0 && source < sourcesIn(fn, mode))) return -EINVAL;
  if (!(Number.isInteger(cpu) && cpu >= -1 && cpu < k.cpus.length)) return -EINVAL;
  for (const h of d.handles.values()) if (h.fn === dev && h.source === source) return -EEXIST;
  const irq = d.nextIrq();
  const p = d.place(irq, mode, cpu);
  if (typeof p === 'string') return -(ERRNO[p] ?? ENOSPC);
  const n = new Accesses();
  const mmio = (addr: number, v: number) => k.board.devices.mmioWrite(addr, 4, v);
  if (d.modes[dev] === null) {
    enableMode(fn, mode, mmio, n);
    d.modes[dev] = mode;
  }
  programSource(d, fn, mode, source, { apicId: d.apicIdOf(p.cpu), vector: p.vector }, mmio, n);
  yield spend(n.count * k.board.costs.mmioWriteNs);
  const h = d.addHandle({
    fn: dev,
    source,
    mode,
    irq,
    managed: p.managed,
    cpu: p.cpu,
    vector: p.vector,
    count: 0,
    acked: 0,
    masked: false,
    closed: false,
    waiters: [],
    pid: t.process.pid,
  });
  return h.id;
}

function handleOf(k: Kernel, t: Thread, id: number): IrqHandle | null {
  const h = k.devio?.handles.get(id);
  return h !== undefined && h.pid === t.process.pid ? h : null;
}

/** read(irq handle): blocks until an interrupt came after the last ack; returns the count. */
export function* sysIrqRead(k: Kernel, cpuAtEntry: Cpu, t: Thread, id: number): KernelGen<number> {
  const h = handleOf(k, t, id);
  if (h === null) return k.devio === null ? -ENODEV : -EBADF;
  yield spend(k.board.costs.schemeCallNs);
  let cpu = cpuAtEntry;
  while (h.count === h.acked) {
    if (h.closed) return -EBADF;
    if (signalPending(t)) return -EINTR;
    h.waiters.push(t);
    k.blockCurrent(cpu, t, 'irq', NO_TIMEOUT);
    yield* schedule(k, cpu);
    cpu = k.cpuOf(t);
  }
  return h.count;
}

/**
 * write(irq handle, count): the acknowledgement. A count equal to the handle's unmasks a masked
 * level line (its IOAPIC entry); another count leaves it masked and returns 0, as Redox's
 * `acknowledge` does (a stale ack silences the line).
 */
export function* sysIrqWrite(k: Kernel, t: Thread, id: number, count: number): KernelGen<number> {
  const h = handleOf(k, t, id);
  if (h === null) return k.devio === null ? -ENODEV : -EBADF;
  yield spend(k.board.costs.schemeCallNs);
  if (count !== h.count) return 0;
  h.acked = count;
  if (h.masked) {
    h.masked = false;
    yield spend(k.board.costs.mmioReadNs + 2 * k.board.costs.mmioWriteNs);
    setLineMasked(k.devio!, k.devio!.functions[h.fn]!.intxGsi, false);
  }
  return 1;
}

/**
 * irq_affinity(handle, target). Redox (K11): `target` is an APIC id, written into the entry or
 * message as given, online or not; an id no LAPIC answers sends the interrupts nowhere. Improved:
 * `target` is a CPU; EINVAL unless it is online, EIO for a managed (queue) vector, as Linux's
 * irq_select_affinity_usr and irq_can_set_affinity_usr. Returns the CPU reached, or -1.
 */
function* sysIrqAffinity(k: Kernel, t: Thread, id: number, target: number): KernelGen<number> {
  const d = k.devio;
  const h = handleOf(k, t, id);
  if (d === null || h === null) return d === null ? -ENODEV : -EBADF;
  yield spend(k.board.costs.schemeCallNs);
  const fn = d.functions[h.fn]!;
  const n = new Accesses();
  const mmio = (addr: number, v: number) => k.board.devices.mmioWrite(addr, 4, v);
  if (d.mode === 'redox') {
    if (!(Number.isInteger(target) && target >= 0 && target <= 0xff)) return -EINVAL;
    const cpu = k.cpus.findIndex((c) => c.cpuid.apicId === target);
    programSource(d, fn, h.mode, h.source, { apicId: target, vector: h.vector }, mmio, n);
    d.moveHandle(h, cpu, h.vector);
    yield spend(n.count * k.board.costs.mmioWriteNs);
    return cpu;
  }
  if (!(Number.isInteger(target) && target >= 0 && target < k.cpus.length)) return -EINVAL;
  if (h.managed) return -EIO;
  const p = d.domain.setAffinity(h.irq, [target]);
  if (typeof p === 'string') return -(ERRNO[p] ?? EINVAL);
  programSource(d, fn, h.mode, h.source, { apicId: d.apicIdOf(p.cpu), vector: p.vector }, mmio, n);
  d.moveHandle(h, p.cpu, p.vector);
  yield spend(n.count * k.board.costs.mmioWriteNs);
  return p.cpu;
}

/** close(irq handle): the vector is freed; readers blocked on it wake with EBADF. */
export function* sysIrqClose(k: Kernel, cpu: Cpu, t: Thread, id: number): KernelGen<number> {
  const h = handleOf(k, t, id);
  if (h === null) return k.devio === null ? -ENODEV : -EBADF;
  yield spend(k.board.costs.schemeCallNs);
  k.devio!.closeHandle(h);
  for (const w of h.waiters.splice(0)) yield* k.wakeThread(cpu, w);
  if (h.pollers !== undefined && h.pollers.size > 0) yield* h.pollers.wakeAll(k, cpu);
  return 0;
}

const num = argNum;

export const DEVIO_SYSCALLS: SyscallTable = {
  [SYS_PCI_OPEN]: (k, _cpu, _t, a) => sysPciOpen(k, a[0]),
  [SYS_MMIO_READ]: (k, _cpu, t, a) => sysMmio(k, t, num(a[0], -1), null),
  [SYS_MMIO_WRITE]: (k, _cpu, t, a) => sysMmio(k, t, num(a[0], -1), num(a[1])),
  [SYS_IRQ_OPEN]: (k, _cpu, t, a) => sysIrqOpen(k, t, num(a[0], -1), num(a[1], -1), num(a[2], -1)),
  [SYS_IRQ_READ]: (k, cpu, t, a) => sysIrqRead(k, cpu, t, num(a[0], -1)),
  [SYS_IRQ_WRITE]: (k, _cpu, t, a) => sysIrqWrite(k, t, num(a[0], -1), num(a[1], -1)),
  [SYS_IRQ_AFFINITY]: (k, _cpu, t, a) => sysIrqAffinity(k, t, num(a[0], -1), num(a[1], -1)),
  [SYS_IRQ_CLOSE]: (k, cpu, t, a) => sysIrqClose(k, cpu, t, num(a[0], -1)),
  ...DMA_SYSCALLS,
};
