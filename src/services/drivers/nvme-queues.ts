/**
 * nvmed's controller library (issue 18, HW-11): the I/O loop a scheme front-end (`disk.nvme:`,
 * once user schemes land) or the in-process fio-style clients (nvmed.ts) call. Guest code over
 * the device calls (abi/syscalls.ts 1230-1241), after Redox's drivers/storage/nvmed and Linux's
 * drivers/nvme/host/pci.c:
 * - `nvmeInit`: the admin queue (AQA/ASQ/ACQ, CC.EN, wait CSTS.RDY), Set Features (Number of
 *   Queues) for as many I/O queues as CPUs were given (Linux nvme_set_queue_count: the answer
 *   caps them), then the I/O queue pairs, each CQ with its interrupt vector: one per queue under MSI-X (Linux: vector 0 for the
 *   admin queue, one managed vector per I/O queue on its CPU, nvme_setup_irqs), or every CQ on
 *   vector 0 when the function has one source (MSI, INTx; Redox's nvmed has one I/O queue on
 *   vector 0 whatever the mode, models-2.md §8.3). Admin commands are polled.
 * - `nvmeSubmit`: a command into the queue's SQ under its lock, the tail doorbell, and a wait on
 *   the command's done word (a futex) until the completion thread posts it.
 * - `completionThread`: reads its `irq:` handle (irq-handle.ts; blocks until an interrupt), drains every CQ the
 *   handle serves (phase tags), posts each command's status and wakes its submitter, writes the
 *   CQ head doorbell, and acknowledges the interrupt with the count it read.
 * Queues are one page each: a 64-entry SQ (64-byte entries) and a 256-entry CQ (16 bytes).
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import type { Guest } from '../../abi/guest.ts';
import * as R from '../../abi/nvme-regs.ts';
import { SYS_DMA_ALLOC } from '../../abi/syscalls.ts';
import { mmioRead as barRead, mmioWrite as barWrite } from './bar.ts';
import type { DriverFunction } from './function.ts';
import { type IrqFd, irqAck, irqOpen, irqWait } from './irq-handle.ts';
import { pthread_mutex_init, pthread_mutex_lock, pthread_mutex_unlock } from '../../libc/mutex.ts';
import { futex_wait, futex_wake, mmap_anonymous, syscall } from '../../libc/sys.ts';

export const SQ_ENTRIES = 64;
export const CQ_ENTRIES = 256;
const PAGE = 4096;
/** Driver work per completion reaped: the CQE read, the request lookup, the wake (cycles). */
const REAP_CYCLES = 400;
/** Admin completions are polled: one check per this many cycles. */
const POLL_CYCLES = 2000;

export interface NvmeQueue {
  readonly qid: number;
  readonly sq: number;
  readonly cq: number;
  readonly cpu: number;
  readonly irqSource: number;
  /** Per command id: the done word (0 waiting, 1 done) and the status beside it. */
  readonly done: number;
  readonly lock: number;
  sqTail: number;
  cqHead: number;
  phase: boolean;
  readonly freeCids: number[];
  completions: number;
}

export interface NvmeController {
  readonly dev: number;
  /** BAR0's register window (bar.ts). */
  readonly bar: number;
  readonly admin: NvmeQueue;
  readonly queues: NvmeQueue[];
  /** One irq handle per interrupt source used, with the queues it serves. */
  readonly handles: { readonly handle: IrqFd; readonly queues: NvmeQueue[] }[];
}

function* check(what: string, r: number): Program<number> {
  if (r < 0) throw new Error(`nvmed: ${what} failed (${r})`);
  return r;
}

function* mmioWrite(t: Guest, bar: number, offset: number, value: number): Program<void> {
  yield* check(`mmio_write 0x${offset.toString(16)}`, yield* barWrite(t, bar, offset, value));
}

/** One page of DMA memory: its address here and its bus address. */
function* dmaPage(t: Guest, dev: number, scratch: number): Program<[number, number]> {
  const addr = yield* check('dma_alloc', yield* syscall(t, SYS_DMA_ALLOC, dev, scratch));
  return [addr, t.load32(scratch) >>> 0];
}

function* newQueue(
  t: Guest,
  dev: number,
  qid: number,
  cpu: number,
  irqSource: number,
  scratch: number,
): Program<NvmeQueue & { sqBus: number; cqBus: number }> {
  const [sq, sqBus] = yield* dmaPage(t, dev, scratch);
  const [cq, cqBus] = yield* dmaPage(t, dev, scratch);
  const ctl = yield* mmap_anonymous(t, PAGE);
  pthread_mutex_init(t, ctl, null);
  const freeCids = Array.from({ length: SQ_ENTRIES - 1 }, (_, i) => SQ_ENTRIES - 2 - i);
  const q = {
    qid,
    sq,
    cq,
    cpu,
    irqSource,
    done: ctl + 256,
    lock: ctl,
    sqTail: 0,
    cqHead: 0,
    phase: true,
    freeCids,
    completions: 0,
  };
  return { ...q, sqBus, cqBus };
}

function writeSqe(t: Guest, q: NvmeQueue, sqe: R.Sqe): void {
  const words = R.encodeSqe(sqe);
  const at = q.sq + q.sqTail * R.SQE_BYTES;
  for (let i = 0; i < words.length; i++) t.store32(at + 4 * i, words[i]!);
  q.sqTail = (q.sqTail + 1) % SQ_ENTRIES;
}

/** The next completion of `q` if its phase tag says it is new: [cid, status], else null. */
function takeCqe(t: Guest, q: NvmeQueue): [number, number] | null {
  const dw3 = t.load32(q.cq + q.cqHead * R.CQE_BYTES + 12) >>> 0;
  if (((dw3 & (1 << 16)) !== 0) !== q.phase) return null;
  q.cqHead = (q.cqHead + 1) % CQ_ENTRIES;
  if (q.cqHead === 0) q.phase = !q.phase;
  return [dw3 & 0xffff, dw3 >>> 17];
}

/** An admin command, polled to its completion: [status, DW0]. */
function* adminCommand(
  t: Guest,
  c: { bar: number; admin: NvmeQueue },
  sqe: R.Sqe,
): Program<[number, number]> {
  const q = c.admin;
  writeSqe(t, q, sqe);
  yield* mmioWrite(t, c.bar, R.DOORBELL_BASE, q.sqTail);
  for (;;) {
    const dw0 = t.load32(q.cq + q.cqHead * R.CQE_BYTES) >>> 0;
    const cqe = takeCqe(t, q);
    if (cqe !== null) {
      yield* mmioWrite(t, c.bar, R.DOORBELL_BASE + 4, q.cqHead);
      return [cqe[1], dw0];
    }
    yield t.compute(POLL_CYCLES);
  }
}

/** Linux's nvme_set_queue_count: asks for `count` queue pairs; how many the controller gives. */
function* setQueueCount(t: Guest, c: { bar: number; admin: NvmeQueue }, count: number): Program<number> {
  const asked = ((count - 1) | ((count - 1) << 16)) >>> 0;
  const sqe = {
    opcode: R.ADMIN_SET_FEATURES,
    cid: 0,
    nsid: 0,
    prp1: 0,
    cdw10: R.FEAT_NUM_QUEUES,
    cdw11: asked,
    cdw12: 0,
  };
  const [status, dw0] = yield* adminCommand(t, c, sqe);
  yield* check('set features (number of queues)', -status);
  return Math.min(count, Math.min(dw0 & 0xffff, dw0 >>> 16) + 1);
}

/**
 * Brings the controller of function `f` (function.ts: channel, BAR window, interrupt sources)
 * up with an I/O queue pair for each of `wanted`, queue i on CPU `wanted[i]`, as many as the
 * controller grants; `f.sources` is how many interrupt sources it has (1: every CQ on vector 0).
 */
export function* nvmeInit(
  t: Guest,
  f: DriverFunction,
  name: string,
  wanted: readonly number[],
): Program<NvmeController> {
  const { dev, bar, sources } = f;
  const scratch = yield* mmap_anonymous(t, PAGE);
  const admin = yield* newQueue(t, dev, 0, -1, 0, scratch);
  yield* mmioWrite(t, bar, R.REG_AQA, (SQ_ENTRIES - 1) | ((CQ_ENTRIES - 1) << 16));
  yield* mmioWrite(t, bar, R.REG_ASQ, admin.sqBus);
  yield* mmioWrite(t, bar, R.REG_ASQ + 4, 0);
  yield* mmioWrite(t, bar, R.REG_ACQ, admin.cqBus);
  yield* mmioWrite(t, bar, R.REG_ACQ + 4, 0);
  yield* mmioWrite(t, bar, R.REG_CC, 1);
  while (((yield* barRead(t, bar, R.REG_CSTS)) & 1) === 0) yield t.compute(POLL_CYCLES);
  const c = { dev, bar, admin, queues: [] as NvmeQueue[], handles: [] as NvmeController['handles'] };
  const cpus = wanted.slice(0, yield* setQueueCount(t, c, wanted.length));
  for (let i = 0; i < cpus.length; i++) {
    const qid = i + 1;
    const iv = sources > 1 ? Math.min(qid, sources - 1) : 0;
    const q = yield* newQueue(t, dev, qid, cpus[i]!, iv, scratch);
    const cqCmd = {
      opcode: R.ADMIN_CREATE_CQ,
      cid: 0,
      nsid: 0,
      prp1: q.cqBus,
      cdw10: qid | ((CQ_ENTRIES - 1) << 16),
      cdw11: 1 | 2 | (iv << 16),
      cdw12: 0,
    };
    yield* check(`create CQ ${qid}`, -(yield* adminCommand(t, c, cqCmd))[0]);
    const sqCmd = {
      opcode: R.ADMIN_CREATE_SQ,
      cid: 0,
      nsid: 0,
      prp1: q.sqBus,
      cdw10: qid | ((SQ_ENTRIES - 1) << 16),
      cdw11: 1 | (qid << 16),
      cdw12: 0,
    };
    yield* check(`create SQ ${qid}`, -(yield* adminCommand(t, c, sqCmd))[0]);
    c.queues.push(q);
  }
  for (const q of c.queues) {
    const served = c.handles.find((h) => h.queues[0]!.irqSource === q.irqSource);
    if (served) {
      served.queues.push(q);
      continue;
    }
    const cpu = sources > 1 ? q.cpu : -1;
    const handle = yield* irqOpen(t, name, q.irqSource, cpu);
    c.handles.push({ handle, queues: [q] });
  }
  return c;
}

/** Submits a 4 KiB read or write of `lba` (8 blocks) at `busAddr` on `q`; waits; returns its status. */
export function* nvmeSubmit(
  t: Guest,
  c: NvmeController,
  q: NvmeQueue,
  write: boolean,
  lba: number,
  busAddr: number,
): Program<number> {
  yield* pthread_mutex_lock(t, q.lock);
  const cid = q.freeCids.pop();
  if (cid === undefined) throw new Error(`nvmed: queue ${q.qid} has no free command id`);
  const done = q.done + cid * 8;
  t.store32(done, 0);
  writeSqe(t, q, {
    opcode: write ? R.IO_WRITE : R.IO_READ,
    cid,
    nsid: 1,
    prp1: busAddr,
    cdw10: lba,
    cdw11: 0,
    cdw12: 7,
  });
  yield* mmioWrite(t, c.bar, R.DOORBELL_BASE + 8 * q.qid, q.sqTail);
  yield* pthread_mutex_unlock(t, q.lock);
  while ((yield t.atomic(AtomicOp.Load, done)) === 0) yield* futex_wait(t, done, 0);
  const status = t.load32(done + 4);
  q.freeCids.push(cid);
  return status;
}

/** The completion thread of one irq handle; returns when the handle is closed. */
export function* completionThread(
  t: Guest,
  c: NvmeController,
  served: NvmeController['handles'][number],
): Program<number> {
  for (;;) {
    const count = yield* irqWait(t, served.handle);
    if (count < 0) return 0;
    for (const q of served.queues) {
      let reaped = 0;
      for (let cqe = takeCqe(t, q); cqe !== null; cqe = takeCqe(t, q)) {
        const done = q.done + cqe[0] * 8;
        t.store32(done + 4, cqe[1]);
        yield t.atomic(AtomicOp.Store, done, 1);
        yield* futex_wake(t, done, 1);
        yield t.compute(REAP_CYCLES);
        reaped++;
      }
      q.completions += reaped;
      if (reaped > 0) yield* mmioWrite(t, c.bar, R.DOORBELL_BASE + 8 * q.qid + 4, q.cqHead);
    }
    yield* irqAck(t, served.handle, count);
  }
}
