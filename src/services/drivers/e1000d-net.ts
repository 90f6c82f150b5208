/**
 * e1000d serving received frames through its `network.<nic>_e1000` scheme (issue 18;
 * net-scheme.ts), in two shapes chosen by `mode`:
 *
 * - `redox`, e1000d as found (redox-os/drivers net/e1000d, commit 90e02763): a 16-descriptor
 *   receive ring (`receive_ring: Dma<[Rd; 16]>`), no ITR written (no moderation), the legacy
 *   INTx line (`legacy_interrupt_line.expect(...)`: the scenario's baseline forces it), and one
 *   thread in an event loop over the irq handle and the scheme's non-blocking socket (main.rs's
 *   `EventQueue`; poll here, kernel/devio/irq-scheme.ts). An IRQ event reads the count, reads
 *   ICR (`irq()`), and if a cause was set acknowledges and ticks; a scheme event ticks. A tick
 *   (driver-network `tick`) first retries the parked reads, then handles every new request.
 *   Each data read takes one descriptor (`read_packet`) and gives it back at once with an RDT
 *   write that `write_reg` reads back: two register accesses per frame.
 * - `linux`, NAPI's shape (drivers/net/ethernet/intel/e1000/e1000_main.c: e1000_intr schedules
 *   the poll, e1000_clean → e1000_clean_rx_irq takes up to the budget of 64 descriptors, and
 *   e1000_alloc_rx_buffers writes the tail once per batch, with no read-back): 256 descriptors
 *   (E1000_DEFAULT_RXD), ITR 195 (20 000 interrupts/s), MSI when the function has it. A receive
 *   thread moves frames from the ring into a bounded queue (the socket's receive queue,
 *   `queue_max` frames; more are dropped and counted), answers parked reads from it (the reader
 *   woken by sk_data_ready) and re-enables the interrupt when a poll took less than the budget
 *   (napi_complete_done). A server thread answers reads from the queue, or parks them.
 *
 * Both give the NIC its ring once every client has opened its data handle (`RingGate`) and stop
 * once every one has closed it; the caller then takes the ring away and closes the irq handle. Frame contents are what the NIC model writes: its sequence
 * number and arrival time in the first 8 bytes, the frame's length in the descriptor.
 */
import type { Program } from '../../abi/effects.ts';
import * as E from '../../abi/e1000-regs.ts';
import { POLLHUP, POLLIN } from '../../abi/fd.ts';
import type { Guest } from '../../abi/guest.ts';
import { mmioRead as barRead } from './bar.ts';
import { pollEntries } from '../../libc/io.ts';
import { getBytes } from '../../libc/io-bytes.ts';
import { pthread_join } from '../../libc/join.ts';
import { pthread_create } from '../../libc/pthread.ts';
import { mmap_anonymous } from '../../libc/sys.ts';
import { clock_gettime_ns } from '../../libc/time.ts';
import type { Nic } from './e1000d.ts';
import { reg } from './e1000d.ts';
import { irqAck, irqWait } from './irq-handle.ts';
import { linuxCleanTx, linuxSend, redoxSend, type TxRing } from './e1000d-tx.ts';
import {
  type NetScheme,
  netHandle,
  netNextRequest,
  netServeBlocked,
  type SendFrame,
  type TakeFrame,
} from './net-scheme.ts';

export type NetDriverMode = 'redox' | 'linux';

/** Redox's Intel8254x receive ring; Linux's E1000_DEFAULT_RXD. */
export const REDOX_RX_DESCRIPTORS = 16;
export const LINUX_RX_DESCRIPTORS = 256;
/** Linux's NAPI weight for e1000 (netif_napi_add's default, NAPI_POLL_WEIGHT). */
export const NAPI_BUDGET = 64;

export interface NetDriverStats {
  /** Interrupts the driver handled, register accesses it made while serving. */
  interrupts: number;
  mmio: number;
  /** Frames dropped because the receive queue was full (linux). */
  queueDrops: number;
  /** Frames taken from the ring, and any sequence number taken twice (none should be). */
  taken: number;
  duplicates: number;
  readonly seen: Set<number>;
}

export function newNetStats(): NetDriverStats {
  return { interrupts: 0, mmio: 0, queueDrops: 0, taken: 0, duplicates: 0, seen: new Set() };
}

/** The frame in descriptor `nic.next` if the NIC filled it (DD), taken out; else null. */
function takeDescriptor(t: Guest, nic: Nic, st: NetDriverStats): Uint8Array | null {
  const desc = nic.ring + nic.next * E.RX_DESC_BYTES;
  if ((t.load32(desc + 12) & 1) === 0) return null;
  const len = t.load32(desc + 8) & 0xffff;
  const frame = getBytes(t, nic.buffers[nic.next]!, len);
  t.store32(desc + 12, 0);
  const seq = t.load32(nic.buffers[nic.next]!) >>> 0;
  if (st.seen.has(seq)) st.duplicates++;
  st.seen.add(seq);
  st.taken++;
  return frame;
}

function* mmioRead(t: Guest, nic: Nic, st: NetDriverStats, offset: number): Program<number> {
  st.mmio++;
  return yield* barRead(t, nic.bar, offset);
}

function* mmioWrite(t: Guest, nic: Nic, st: NetDriverStats, offset: number, value: number): Program<void> {
  st.mmio++;
  yield* reg(t, nic.bar, offset, value);
}

/**
 * The ring is given to the NIC (RDLEN) once every client has its data handle, so the run
 * measures serving, not start-up: frames that came before were missed (the caller subtracts
 * the MPC it read then).
 */
export interface RingGate {
  readonly clients: number;
  enabled: boolean;
  /** MPC when the ring was given, and when (ns, low 32 bits: frames stamped before are untimed). */
  missedBefore: number;
  atNs: number;
}

function* gate(t: Guest, s: NetScheme, nic: Nic, g: RingGate): Program<void> {
  if (g.enabled || s.opened < g.clients) return;
  g.enabled = true;
  g.atNs = yield* clock_gettime_ns(t);
  yield* reg(t, nic.bar, E.E1000_RDLEN, nic.count * E.RX_DESC_BYTES);
  g.missedBefore = yield* barRead(t, nic.bar, E.E1000_MPC);
}

/** Redox's read_packet: one descriptor, handed back at once (write_reg writes RDT, reads it back). */
function redoxTake(t: Guest, nic: Nic, st: NetDriverStats): TakeFrame {
  return function* () {
    const frame = takeDescriptor(t, nic, st);
    if (frame === null) return null;
    yield* mmioWrite(t, nic, st, E.E1000_RDT, nic.next);
    yield* mmioRead(t, nic, st, E.E1000_RDT);
    nic.next = (nic.next + 1) % nic.count;
    return frame;
  };
}

/** driver-network's tick: the parked reads first, then every request waiting (EAGAIN ends it). */
function* redoxTick(
  t: Guest,
  s: NetScheme,
  nic: Nic,
  g: RingGate,
  take: TakeFrame,
  send?: SendFrame,
): Program<void> {
  yield* netServeBlocked(t, s, take);
  for (;;) {
    const req = yield* netNextRequest(t, s);
    if (req === null) return;
    yield* netHandle(t, s, req, take, send);
    yield* gate(t, s, nic, g);
  }
}

/** Redox's e1000d main loop until `clients` data handles have closed. */
export function* redoxServe(
  t: Guest,
  s: NetScheme,
  nic: Nic,
  st: NetDriverStats,
  g: RingGate,
  tx?: TxRing,
): Program<void> {
  const fds = yield* mmap_anonymous(t, 4096);
  const take = redoxTake(t, nic, st);
  const send = tx === undefined ? undefined : redoxSend(t, tx, st);
  yield* redoxTick(t, s, nic, g, take, send);
  while (s.closed < g.clients) {
    const entries = [
      { fd: nic.handle.fd, events: POLLIN },
      { fd: s.fd, events: POLLIN },
    ];
    const ev = yield* pollEntries(t, fds, entries, -1);
    if (ev === null) throw new Error('e1000d: poll failed');
    if ((ev[0]! & POLLHUP) !== 0) return;
    if ((ev[0]! & POLLIN) !== 0) {
      const count = yield* irqWait(t, nic.handle);
      st.interrupts++;
      if ((yield* mmioRead(t, nic, st, E.E1000_ICR)) !== 0) {
        yield* irqAck(t, nic.handle, count);
        yield* redoxTick(t, s, nic, g, take, send);
      }
    }
    if ((ev[1]! & POLLIN) !== 0) yield* redoxTick(t, s, nic, g, take, send);
  }
}

/** The receive queue between the NAPI poll and the readers (a socket's sk_receive_queue). */
interface RxQueue {
  readonly queued: Uint8Array[];
  readonly max: number;
}

/** Takes a queued frame without yielding (so a read is never parked after its frame came). */
function queueTake(q: RxQueue): TakeFrame {
  return function* () {
    return q.queued.shift() ?? null;
  };
}

/** e1000_clean_rx_irq: up to `budget` descriptors into the queue, then one tail write. */
function* napiPoll(t: Guest, nic: Nic, st: NetDriverStats, q: RxQueue, budget: number): Program<number> {
  let cleaned = 0;
  while (cleaned < budget) {
    const frame = takeDescriptor(t, nic, st);
    if (frame === null) break;
    if (q.queued.length < q.max) q.queued.push(frame);
    else st.queueDrops++;
    nic.next = (nic.next + 1) % nic.count;
    cleaned++;
  }
  if (cleaned > 0) yield* mmioWrite(t, nic, st, E.E1000_RDT, (nic.next + nic.count - 1) % nic.count);
  return cleaned;
}

function* linuxRx(
  t: Guest,
  s: NetScheme,
  nic: Nic,
  st: NetDriverStats,
  q: RxQueue,
  tx?: TxRing,
): Program<number> {
  for (;;) {
    const count = yield* irqWait(t, nic.handle);
    if (count < 0) return 0;
    st.interrupts++;
    yield* mmioRead(t, nic, st, E.E1000_ICR);
    if (tx !== undefined) yield* linuxCleanTx(t, s, tx, st); // e1000_clean: transmit first
    for (;;) {
      const cleaned = yield* napiPoll(t, nic, st, q, NAPI_BUDGET);
      yield* netServeBlocked(t, s, queueTake(q));
      if (cleaned < NAPI_BUDGET) break; // napi_complete_done: the interrupt comes back
    }
    yield* irqAck(t, nic.handle, count);
  }
}

/** The NAPI-shaped driver: a receive thread and a server thread until `clients` have closed. */
export function* linuxServe(
  t: Guest,
  s: NetScheme,
  nic: Nic,
  st: NetDriverStats,
  g: RingGate,
  queueMax: number,
  tx?: TxRing,
): Program<{ join: () => Program<void> }> {
  const q: RxQueue = { queued: [], max: queueMax };
  const [err, rx] = yield* pthread_create(t, null, (g) => linuxRx(g, s, nic, st, q, tx), null);
  if (err !== 0) throw new Error(`e1000d: pthread_create failed (${err})`);
  const take = queueTake(q);
  const send = tx === undefined ? undefined : linuxSend(t, tx, st);
  while (s.closed < g.clients) {
    const req = yield* netNextRequest(t, s);
    if (req === null) throw new Error('e1000d: reading a scheme request failed');
    yield* netHandle(t, s, req, take, send);
    yield* gate(t, s, nic, g);
  }
  return {
    *join() {
      yield* pthread_join(t, rx);
    },
  };
}
