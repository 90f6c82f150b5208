/**
 * The capring libc's core (issue 20): one capability call as "push an SQE, then wait for the CQE
 * that carries its user_data", over cap_enter, the personality's only trap. CQEs are reaped into
 * the process's completion demux (a table in the data segment, keyed by user_data), so a thread
 * that reaps another's completion leaves it there for its owner: the userspace demux capOS's
 * notes prescribe for a process-wide CQ ("sibling threads coordinate completion consumption in
 * userspace", models-2.md §11.6). With per-thread rings each thread only meets its own.
 *
 * The reap loop makes no effect between its loads and stores, so in the model no other thread
 * runs inside it; a real runtime takes its ring lock there.
 */
import type { Program } from '../../abi/effects.ts';
import type { Guest } from '../../abi/guest.ts';
import {
  CAP_CODE_TABLE,
  CAP_ENTER_SIGMASK,
  CAP_NO_TIMEOUT,
  type CapImage,
  RING_CQ_TAIL,
  RING_VADDR,
  SYS_CAP_ENTER,
} from '../../abi/capring.ts';
import { pushSqe, reapCqe, type UserCqe } from './ring.ts';

interface CapringData {
  /** Ring address of each thread (by tid): the process ring, or the thread's own. */
  rings: Map<number, number>;
  /** CQEs reaped and not yet claimed, by user_data. */
  demux: Map<number, UserCqe>;
  nextUserData: number;
  nextCode: number;
}

const KEY = 'capring';

function state(t: Guest): CapringData {
  let s = t.data[KEY] as CapringData | undefined;
  if (s === undefined) {
    s = { rings: new Map(), demux: new Map(), nextUserData: 1, nextCode: 1 };
    t.data[KEY] = s;
    t.data[CAP_CODE_TABLE] = new Map<number, CapImage>();
  }
  return s;
}

/** Numbers an entry for a ThreadSpawn or Spawn SQE (the model's code address, abi/capring.ts). */
export function capCode(t: Guest, image: CapImage): number {
  const s = state(t);
  const id = s.nextCode++;
  (t.data[CAP_CODE_TABLE] as Map<number, CapImage>).set(id, image);
  return id;
}

/** An entry number no longer needed (its SQE was consumed). */
export function capCodeDone(t: Guest, id: number): void {
  (t.data[CAP_CODE_TABLE] as Map<number, CapImage> | undefined)?.delete(id);
}

/**
 * cap_enter(min_complete, timeout_ns, since_tail, flags): the raw trap (since_tail -1: io_uring's
 * count rule; flags: CAP_ENTER_SQ_WAKEUP, CAP_ENTER_SIGMASK with `maskAddr` the address of the
 * wait's 32-bit signal mask).
 */
export function* capEnter(
  t: Guest,
  minComplete: number,
  timeoutNs: number,
  sinceTail = -1,
  flags = 0,
  maskAddr = 0,
): Program<number> {
  if ((flags & CAP_ENTER_SIGMASK) === 0)
    return (yield t.syscall(SYS_CAP_ENTER, minComplete, timeoutNs, sinceTail, flags)) as number;
  return (yield t.syscall(SYS_CAP_ENTER, minComplete, timeoutNs, sinceTail, flags, maskAddr)) as number;
}

/**
 * The process's first call: the kernel maps the process ring at RING_VADDR and makes this thread
 * slot 0. Idempotent.
 */
export function* capSetup(t: Guest): Program<number> {
  const s = state(t);
  if (s.rings.has(t.tid)) return 0;
  const r = yield* capEnter(t, 0, 0);
  if (r < 0) return r;
  s.rings.set(t.tid, RING_VADDR);
  return 0;
}

/** A new thread's start: its ring (from its CapThreadStart). */
export function capAdoptRing(t: Guest, ringAddr: number): void {
  state(t).rings.set(t.tid, ringAddr);
}

/** This thread's ring address. */
export function ringOf(t: Guest): number {
  const ring = state(t).rings.get(t.tid);
  if (ring === undefined) throw new Error(`capring libc: thread ${t.tid} has no ring (capSetup first)`);
  return ring;
}

/** Reaps every ready CQE of `ring` into the demux. */
function reapAll(t: Guest, ring: number): void {
  const demux = state(t).demux;
  for (let cqe = reapCqe(t, ring); cqe !== null; cqe = reapCqe(t, ring)) demux.set(cqe.userData, cqe);
}

/** Publishes one SQE (draining a full SQ first); returns its user_data. */
export function* capSubmit(t: Guest, opcode: number, cap: number, args: readonly number[]): Program<number> {
  const s = state(t);
  const ring = ringOf(t);
  const userData = s.nextUserData;
  s.nextUserData = (s.nextUserData + 1) >>> 0 || 1;
  while (!pushSqe(t, ring, opcode, cap, args, userData)) {
    const r = yield* capEnter(t, 0, 0); // io_uring_get_sqe gave NULL: submit what is there
    if (r < 0) throw new Error(`capring libc: cap_enter failed draining the SQ (${r})`);
  }
  return userData;
}

/** Waits for the CQE of `userData`, entering the kernel until it is in the demux. */
export function* capAwait(t: Guest, userData: number): Program<UserCqe> {
  const s = state(t);
  const ring = ringOf(t);
  for (;;) {
    reapAll(t, ring);
    const mine = s.demux.get(userData);
    if (mine !== undefined) {
      s.demux.delete(userData);
      return mine;
    }
    // Wait for one CQE posted after this look (an event count: one another thread reaps into the
    // demux still counts); 0 back means "look in the demux again".
    const r = yield* capEnter(t, 1, CAP_NO_TIMEOUT, t.load32(ring + RING_CQ_TAIL));
    if (r < 0) throw new Error(`capring libc: cap_enter failed (${r})`);
  }
}

/** One call: submit, enter, wait for its completion. */
export function* capCall(t: Guest, opcode: number, cap: number, args: readonly number[]): Program<UserCqe> {
  const userData = yield* capSubmit(t, opcode, cap, args);
  return yield* capAwait(t, userData);
}
