/**
 * The user's side of a capability ring (RING-1, abi/capring.ts): publish an SQE at sq_tail, reap
 * the CQE at cq_head. The user owns sq_tail and cq_head; the kernel the other two (io_uring's
 * ownership, models-2.md §11.1). Plain word accesses: the kernel runs only inside cap_enter (or its
 * SQ poller, which reads the tail after the store), so program order is enough here.
 */
import {
  CQ_ENTRIES,
  CQE_BYTES,
  CQE_FLAGS,
  CQE_RESULT,
  CQE_USER_DATA,
  CQE_VALUE,
  RING_CQ_HEAD,
  RING_CQ_TAIL,
  RING_CQES,
  RING_SQ_HEAD,
  RING_SQ_TAIL,
  RING_SQES,
  SQ_ENTRIES,
  SQE_ARG0,
  SQE_BYTES,
  SQE_CAP,
  SQE_OPCODE,
  SQE_USER_DATA,
} from '../../abi/capring.ts';

/** The two accesses the ring code needs (a Guest has them). */
export interface WordMemory {
  load32(addr: number): number;
  store32(addr: number, value: number): void;
}

export interface UserCqe {
  userData: number;
  result: number;
  flags: number;
  value: number;
}

/** Free SQ slots. */
export function sqSpace(m: WordMemory, ring: number): number {
  return SQ_ENTRIES - ((m.load32(ring + RING_SQ_TAIL) - m.load32(ring + RING_SQ_HEAD)) >>> 0);
}

/**
 * Writes one SQE at the tail and publishes it. False when the SQ is full (the caller enters the
 * kernel to drain it, as io_uring_get_sqe returning NULL asks). `userData` is below 2^32 here.
 */
export function pushSqe(
  m: WordMemory,
  ring: number,
  opcode: number,
  cap: number,
  args: readonly number[],
  userData: number,
): boolean {
  if (sqSpace(m, ring) <= 0) return false;
  const tail = m.load32(ring + RING_SQ_TAIL);
  const base = ring + RING_SQES + (tail & (SQ_ENTRIES - 1)) * SQE_BYTES;
  m.store32(base + SQE_OPCODE, opcode);
  m.store32(base + SQE_CAP, cap);
  for (let i = 0; i < 4; i++) m.store32(base + SQE_ARG0 + 4 * i, (args[i] ?? 0) >>> 0);
  m.store32(base + SQE_USER_DATA, userData >>> 0);
  m.store32(base + SQE_USER_DATA + 4, 0);
  m.store32(ring + RING_SQ_TAIL, (tail + 1) >>> 0); // store-release after the entry
  return true;
}

/** CQEs ready to reap. */
export function cqReady(m: WordMemory, ring: number): number {
  return (m.load32(ring + RING_CQ_TAIL) - m.load32(ring + RING_CQ_HEAD)) >>> 0;
}

/** Reaps the CQE at the head (null when none) and frees its slot. */
export function reapCqe(m: WordMemory, ring: number): UserCqe | null {
  const head = m.load32(ring + RING_CQ_HEAD);
  if ((m.load32(ring + RING_CQ_TAIL) - head) >>> 0 === 0) return null;
  const base = ring + RING_CQES + (head & (CQ_ENTRIES - 1)) * CQE_BYTES;
  const cqe: UserCqe = {
    userData: m.load32(base + CQE_USER_DATA),
    result: m.load32(base + CQE_RESULT) | 0,
    flags: m.load32(base + CQE_FLAGS),
    value: m.load32(base + CQE_VALUE) + m.load32(base + CQE_VALUE + 4) * 2 ** 32,
  };
  m.store32(ring + RING_CQ_HEAD, (head + 1) >>> 0);
  return cqe;
}
