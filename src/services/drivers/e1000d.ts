/**
 * `e1000d`, the e1000 userspace driver's receive path (issue 18; Redox's drivers/net/e1000d,
 * Linux's e1000_main.c e1000_clean_rx_irq), for `nics` NICs named eth0.. in one process, one
 * receive thread each. Per NIC: a 64-descriptor ring of 2 KiB buffers in DMA memory (RDBAL,
 * RDLEN, RDH 0, RDT 63: every descriptor but one given to the NIC), ITR set to `itr` (256 ns
 * units, 0: no moderation; Linux writes 10^9 / (rate * 256), models-2.md §8.7), RXT0 and RXO
 * unmasked in IMS, and its interrupt source opened (`irq:eth<i>/0`). The receive thread loops: read the irq handle
 * (blocks until an interrupt), read ICR (clears the cause and drops an INTx level), take every
 * descriptor with DD set (the NIC wrote the packet's arrival time into its first bytes: the
 * packet's latency is now minus that), spend `packet_cycles` on each, give them back with one
 * RDT write, and acknowledge the interrupt. After `duration_us` the main thread masks every
 * cause (IMC), takes the ring away (RDLEN 0), closes the handles (the receive threads' reads end) and joins them.
 * Publishes `packets`, `interrupts`, `interrupts_per_s`, `packets_per_interrupt_x100`, `p50_ns`,
 * `p99_ns`, `max_ns` (arrival to processed, for packets that arrived once the rings were up), `missed` (the NICs' MPC) and `irq_mode`.
 */
import type { Program } from '../../abi/effects.ts';
import * as E from '../../abi/e1000-regs.ts';
import type { Guest } from '../../abi/guest.ts';
import { SYS_DMA_ALLOC } from '../../abi/syscalls.ts';
import { openFunction } from './function.ts';
import { mmioRead, mmioWrite } from './bar.ts';
import { type IrqFd, irqAck, irqClose, irqOpen, irqWait } from './irq-handle.ts';
import { pthread_join } from '../../libc/join.ts';
import { pthread_create, type pthread_t } from '../../libc/pthread.ts';
import { mmap_anonymous, syscall } from '../../libc/sys.ts';
import { clock_gettime_ns, sleep_ns } from '../../libc/time.ts';

export const RX_DESCRIPTORS = 64;
export const BUFFER_BYTES = 2048;

/**
 * A descriptor ring's packet buffers, two to a DMA page: each descriptor of `ring` (`descBytes`
 * apart) gets its buffer's bus address, high word 0. Returns the buffers' virtual addresses.
 * Receive and transmit rings are set up alike (the legacy descriptors start with the address).
 */
export function* ringBuffers(
  t: Guest,
  dev: number,
  scratch: number,
  ring: number,
  count: number,
  descBytes: number,
): Program<number[]> {
  const buffers: number[] = [];
  for (let i = 0; i < count; i += 2) {
    const page = yield* ok('dma_alloc', yield* syscall(t, SYS_DMA_ALLOC, dev, scratch));
    const bus = t.load32(scratch) >>> 0;
    for (let b = 0; b < 2; b++) {
      buffers.push(page + b * BUFFER_BYTES);
      t.store32(ring + (i + b) * descBytes, bus + b * BUFFER_BYTES);
      t.store32(ring + (i + b) * descBytes + 4, 0);
    }
  }
  return buffers;
}

export interface E1000dArgs {
  readonly nics: number;
  readonly itr: number;
  readonly packetCycles: number;
  readonly durationUs: number;
}

export interface Nic {
  readonly dev: number;
  /** BAR0's register window (bar.ts). */
  readonly bar: number;
  /** The interrupt mode pcid gave (abi/devio.ts IRQ_MODE_*). */
  readonly irqMode: number;
  readonly ring: number;
  readonly buffers: number[];
  readonly handle: IrqFd;
  /** Descriptors in the ring (an even number: two 2 KiB buffers a page). */
  readonly count: number;
  next: number;
}

interface Totals {
  /** Packets that arrived before this (low 32 bits of ns; the setup's backlog) are not timed. */
  startNs: number;
  packets: number;
  interrupts: number;
  readonly latenciesNs: number[];
}

export function* ok(what: string, r: number): Program<number> {
  if (r < 0) throw new Error(`e1000d: ${what} failed (${r})`);
  return r;
}

export function* reg(t: Guest, bar: number, offset: number, value: number): Program<void> {
  yield* ok(`mmio_write 0x${offset.toString(16)}`, yield* mmioWrite(t, bar, offset, value));
}

/** Brings NIC `name` up with a `count`-descriptor ring, ITR `itr`; RXT0 and RXO unmasked. */
export function* openNic(
  t: Guest,
  name: string,
  itr: number,
  scratch: number,
  count = RX_DESCRIPTORS,
): Program<Nic> {
  const { dev, bar, irqMode } = yield* openFunction(t, 'e1000d', name);
  const ring = yield* ok('dma_alloc', yield* syscall(t, SYS_DMA_ALLOC, dev, scratch));
  yield* reg(t, bar, E.E1000_RDBAL, t.load32(scratch));
  const buffers = yield* ringBuffers(t, dev, scratch, ring, count, E.RX_DESC_BYTES);
  yield* reg(t, bar, E.E1000_RDBAH, 0);
  yield* reg(t, bar, E.E1000_RDLEN, count * E.RX_DESC_BYTES);
  yield* reg(t, bar, E.E1000_RDH, 0);
  yield* reg(t, bar, E.E1000_RDT, count - 1);
  yield* reg(t, bar, E.E1000_ITR, itr);
  const handle = yield* irqOpen(t, name, 0);
  yield* reg(t, bar, E.E1000_IMS, E.ICR_RXT0 | E.ICR_RXO);
  return { dev, bar, irqMode, ring, buffers, handle, count, next: 0 };
}

/** Takes every filled descriptor; returns how many. */
function* cleanRx(t: Guest, nic: Nic, a: E1000dArgs, totals: Totals): Program<number> {
  let taken = 0;
  for (;;) {
    const desc = nic.ring + nic.next * E.RX_DESC_BYTES;
    if ((t.load32(desc + 12) & 1) === 0) break; // DD clear: the NIC has not filled it
    const arrivedLow = t.load32(nic.buffers[nic.next]! + 4) >>> 0;
    yield t.compute(a.packetCycles);
    const nowNs = yield* clock_gettime_ns(t);
    if (arrivedLow >= totals.startNs) totals.latenciesNs.push(((nowNs >>> 0) - arrivedLow) >>> 0);
    t.store32(desc + 12, 0);
    nic.next = (nic.next + 1) % nic.count;
    taken++;
  }
  return taken;
}

function* rxThread(t: Guest, nic: Nic, a: E1000dArgs, totals: Totals): Program<number> {
  for (;;) {
    const count = yield* irqWait(t, nic.handle);
    if (count < 0) return 0;
    totals.interrupts++;
    yield* mmioRead(t, nic.bar, E.E1000_ICR);
    const taken = yield* cleanRx(t, nic, a, totals);
    totals.packets += taken;
    if (taken > 0) yield* reg(t, nic.bar, E.E1000_RDT, (nic.next + nic.count - 1) % nic.count);
    yield* irqAck(t, nic.handle, count);
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

export function* e1000dMain(t: Guest, a: E1000dArgs): Program<Record<string, number>> {
  const scratch = yield* mmap_anonymous(t, 4096);
  const nics: Nic[] = [];
  for (let i = 0; i < a.nics; i++) nics.push(yield* openNic(t, `eth${i}`, a.itr, scratch));
  const irqMode = nics[0]!.irqMode;
  const totals: Totals = {
    startNs: (yield* clock_gettime_ns(t)) >>> 0,
    packets: 0,
    interrupts: 0,
    latenciesNs: [],
  };
  const threads: pthread_t[] = [];
  for (const nic of nics) {
    const [err, th] = yield* pthread_create(t, null, (g) => rxThread(g, nic, a, totals), null);
    if (err !== 0) throw new Error(`e1000d: pthread_create failed (${err})`);
    threads.push(th);
  }
  yield* sleep_ns(t, a.durationUs * 1000);
  let missed = 0;
  for (const nic of nics) {
    yield* reg(t, nic.bar, E.E1000_IMC, 0xffff_ffff);
    // No ring any more (the model has no RCTL.EN): later packets are missed, not written into
    // pages this process is about to free.
    yield* reg(t, nic.bar, E.E1000_RDLEN, 0);
    missed += yield* mmioRead(t, nic.bar, E.E1000_MPC);
    yield* irqClose(t, nic.handle);
  }
  for (const th of threads) yield* pthread_join(t, th);
  const sorted = totals.latenciesNs.sort((x, y) => x - y);
  return {
    packets: totals.packets,
    interrupts: totals.interrupts,
    interruptsPerS: Math.round((totals.interrupts * 1e6) / a.durationUs),
    packetsPerInterruptX100:
      totals.interrupts === 0 ? 0 : Math.round((100 * totals.packets) / totals.interrupts),
    p50Ns: percentile(sorted, 50),
    p99Ns: percentile(sorted, 99),
    maxNs: sorted[sorted.length - 1] ?? 0,
    missed,
    irqMode,
  };
}
