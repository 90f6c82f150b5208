/**
 * e1000d's transmit path (issue 18): a frame written to the `network.<nic>_e1000` data handle
 * goes into a transmit descriptor and the tail register (hw/devices/e1000-tx.ts), in the two
 * shapes of e1000d-net.ts:
 *
 * - `redox`, e1000d as found (redox-os/drivers net/e1000d/src/device.rs `write_packet`, commit
 *   90e02763): 16 descriptors with a buffer each; TXDW stays masked (IMS gets no TX cause); a
 *   write copies the frame into the next buffer, sets CMD = EOP | IFCS | RS and writes TDT, which
 *   `write_reg` reads back (2 register accesses a frame). Done descriptors are looked at only
 *   when no descriptor is free, and then the driver spins on the oldest one's status until the
 *   NIC writes DD (its one thread serves nothing else meanwhile): a write to a full ring blocks in
 *   the spin whatever the handle's flags.
 * - `linux` (drivers/net/ethernet/intel/e1000/e1000_main.c): 256 descriptors (E1000_DEFAULT_TXD),
 *   TXDW unmasked and moderated by the ITR; `e1000_xmit_frame` fills a descriptor and writes the
 *   tail once (no read-back); `e1000_clean_tx_irq`, run from the interrupt thread, reclaims every
 *   descriptor with DD; one descriptor always stays unused (E1000_DESC_UNUSED's -1, so TDT never
 *   catches up with TDH, which the NIC reads as an empty ring); with none left the queue stops
 *   (`netif_stop_queue`): the write is parked, or EAGAIN under O_NONBLOCK, until a clean leaves at
 *   least TX_WAKE_THRESHOLD (32) free (`netif_wake_queue`), when parked writes go out in order.
 *   With `bql` (the default for linux; dql.ts) the queue also stops when the bytes in flight
 *   pass the byte queue limit (netdev_sent_queue after the tail write) and wakes when a clean's
 *   completed bytes make room (netdev_completed_queue): writes then wait parked, not in the ring.
 */
import type { Program } from '../../abi/effects.ts';
import * as E from '../../abi/e1000-regs.ts';
import { EAGAIN } from '../../abi/errno.ts';
import { O_NONBLOCK } from '../../abi/fd.ts';
import type { Guest } from '../../abi/guest.ts';
import { SYS_DMA_ALLOC } from '../../abi/syscalls.ts';
import { mmioRead } from './bar.ts';
import { type Dql, dqlInit, netdevCompletedQueue, netdevSentQueue } from './dql.ts';
import { putBytes } from '../../libc/io-bytes.ts';
import { syscall } from '../../libc/sys.ts';
import { clock_gettime_ns } from '../../libc/time.ts';
import { BUFFER_BYTES, ok, reg, ringBuffers } from './e1000d.ts';
import type { NetDriverStats } from './e1000d-net.ts';
import { type NetRequest, type NetScheme, netAnswer, type SendFrame } from './net-scheme.ts';

/** Redox's `transmit_ring: Dma<[Td; 16]>`; Linux's E1000_DEFAULT_TXD. */
export const REDOX_TX_DESCRIPTORS = 16;
export const LINUX_TX_DESCRIPTORS = 256;
/** e1000_main.c: the queue wakes once this many descriptors are free (MAX_SKB_FRAGS + 2 rounded). */
export const TX_WAKE_THRESHOLD = 32;
/** One look at a descriptor's status in Redox's spin (a load and a compare-and-branch). */
export const SPIN_POLL_CYCLES = 20;
/** The driver's copy of a frame into its transmit buffer (memcpy at 8 bytes a cycle). */
const COPY_BYTES_PER_CYCLE = 8;
const TX_CMD = E.TXD_CMD_EOP | E.TXD_CMD_IFCS | E.TXD_CMD_RS;

export interface TxRing {
  readonly dev: number;
  /** BAR0's register window (bar.ts). */
  readonly bar: number;
  readonly ring: number;
  readonly buffers: number[];
  readonly count: number;
  /** Next descriptor to fill, oldest not yet reclaimed, free descriptors. */
  tail: number;
  clean: number;
  free: number;
  /** Writes parked while the queue is stopped (linux), oldest first. */
  readonly parked: NetRequest[];
  /** netif_stop_queue: stopped for want of descriptors, until TX_WAKE_THRESHOLD are free. */
  drvStopped: boolean;
  /** The byte queue limit (linux with bql), or null. */
  readonly dql: Dql | null;
  /** Frames queued, writes answered EAGAIN, spin polls (redox), when the first frame was queued. */
  queued: number;
  eagain: number;
  spins: number;
  firstNs: number;
}

/** The transmit ring (one DMA page of descriptors, two 2 KiB buffers a page), TCTL.EN set. */
export function* openTx(
  t: Guest,
  dev: number,
  bar: number,
  count: number,
  scratch: number,
  txdw: boolean,
  bql = false,
): Program<TxRing> {
  const ring = yield* ok('dma_alloc', yield* syscall(t, SYS_DMA_ALLOC, dev, scratch));
  const ringBus = t.load32(scratch) >>> 0;
  const buffers = yield* ringBuffers(t, dev, scratch, ring, count, E.TX_DESC_BYTES);
  yield* reg(t, bar, E.E1000_TDBAH, 0);
  yield* reg(t, bar, E.E1000_TDBAL, ringBus);
  yield* reg(t, bar, E.E1000_TDLEN, count * E.TX_DESC_BYTES);
  yield* reg(t, bar, E.E1000_TDH, 0);
  yield* reg(t, bar, E.E1000_TDT, 0);
  if (txdw) yield* reg(t, bar, E.E1000_IMS, E.ICR_TXDW);
  yield* reg(t, bar, E.E1000_TCTL, E.TCTL_EN | E.TCTL_PSP);
  const tx = {
    dev,
    bar,
    ring,
    buffers,
    count,
    tail: 0,
    clean: 0,
    free: count,
    parked: [],
    drvStopped: false,
  };
  const dql = bql ? dqlInit(yield* clock_gettime_ns(t)) : null;
  return { ...tx, dql, queued: 0, eagain: 0, spins: 0, firstNs: -1 };
}

/** Whether every queued frame is done: the head reached the tail and the last one has DD. */
export function* txDrained(t: Guest, tx: TxRing): Program<boolean> {
  const head = yield* mmioRead(t, tx.bar, E.E1000_TDH);
  const last = (tx.tail + tx.count - 1) % tx.count;
  // Every descriptor reclaimed (linux clears DD as it cleans), or the last one done.
  return head === tx.tail && (tx.free === tx.count || (statusAt(t, tx, last) & E.TXD_STAT_DD) !== 0);
}

function statusAt(t: Guest, tx: TxRing, i: number): number {
  return t.load32(tx.ring + i * E.TX_DESC_BYTES + 12) & 0xff;
}

/**
 * Claims the tail descriptor (before any yield, so the two linux threads never take one twice),
 * copies `req`'s frame into its buffer and fills it; returns the frame's length.
 */
function* fill(t: Guest, tx: TxRing, req: NetRequest): Program<number> {
  const at = tx.tail;
  tx.tail = (tx.tail + 1) % tx.count;
  tx.free--;
  tx.queued++;
  const len = Math.min(req.data.length, BUFFER_BYTES - 1);
  putBytes(t, tx.buffers[at]!, req.data.subarray(0, len));
  const d = tx.ring + at * E.TX_DESC_BYTES;
  t.store32(d + 8, (len | (TX_CMD << 24)) >>> 0); // length, CSO 0, CMD
  t.store32(d + 12, 0); // STA, CSS, special
  if (tx.firstNs < 0) tx.firstNs = yield* clock_gettime_ns(t);
  yield t.compute(Math.ceil(len / COPY_BYTES_PER_CYCLE));
  return len;
}

/** Redox's write_packet: spin for a free descriptor if none is, fill, TDT written and read back. */
export function redoxSend(t: Guest, tx: TxRing, st: NetDriverStats): SendFrame {
  return function* (req) {
    while (tx.free === 0) {
      if (statusAt(t, tx, tx.clean) !== 0) {
        tx.clean = (tx.clean + 1) % tx.count;
        tx.free++;
      } else {
        tx.spins++;
        yield t.compute(SPIN_POLL_CYCLES);
      }
    }
    const len = yield* fill(t, tx, req);
    st.mmio += 2;
    yield* reg(t, tx.bar, E.E1000_TDT, tx.tail);
    yield* mmioRead(t, tx.bar, E.E1000_TDT);
    return len;
  };
}

/** e1000_xmit_frame: a descriptor and one tail write, or the stopped queue (parked or EAGAIN). */
export function linuxSend(t: Guest, tx: TxRing, st: NetDriverStats): SendFrame {
  return function* (req) {
    if (tx.free <= 1) tx.drvStopped = true;
    if (stopped(tx) || tx.parked.length > 0) {
      if ((req.sqe.args[4] & O_NONBLOCK) !== 0) {
        tx.eagain++;
        return -EAGAIN;
      }
      tx.parked.push(req);
      return null;
    }
    return yield* xmit(t, tx, st, req);
  };
}

/** The queue is stopped: for descriptors (netif_stop_queue) or by BQL (STACK_XOFF). */
function stopped(tx: TxRing): boolean {
  return tx.drvStopped || (tx.dql?.stackXoff ?? false);
}

/** e1000_xmit_frame's tail: fill, TDT written once, the bytes accounted to BQL. */
function* xmit(t: Guest, tx: TxRing, st: NetDriverStats, req: NetRequest): Program<number> {
  const len = yield* fill(t, tx, req);
  st.mmio++;
  yield* reg(t, tx.bar, E.E1000_TDT, tx.tail);
  if (tx.dql !== null) netdevSentQueue(tx.dql, len);
  return len;
}

/**
 * e1000_clean_tx_irq: reclaims every done descriptor (BQL told the bytes), wakes a queue stopped
 * for descriptors once 32 are free, then sends parked writes, in order, while it is not stopped.
 */
export function* linuxCleanTx(t: Guest, s: NetScheme, tx: TxRing, st: NetDriverStats): Program<number> {
  let cleaned = 0;
  let bytes = 0;
  while (tx.free < tx.count && (statusAt(t, tx, tx.clean) & E.TXD_STAT_DD) !== 0) {
    const d = tx.ring + tx.clean * E.TX_DESC_BYTES;
    bytes += t.load32(d + 8) & 0xffff;
    t.store32(d + 12, 0);
    tx.clean = (tx.clean + 1) % tx.count;
    tx.free++;
    cleaned++;
  }
  if (tx.dql !== null && cleaned > 0) netdevCompletedQueue(tx.dql, bytes, yield* clock_gettime_ns(t));
  if (tx.drvStopped && tx.free - 1 >= TX_WAKE_THRESHOLD) tx.drvStopped = false;
  while (tx.parked.length > 0 && !stopped(tx)) {
    if (tx.free <= 1) {
      tx.drvStopped = true;
      break;
    }
    const req = tx.parked.shift()!;
    yield* netAnswer(t, s, req, yield* xmit(t, tx, st, req));
  }
  return cleaned;
}
