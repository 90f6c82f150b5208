/**
 * FUTEX_WAKE_OP (FUTEX-4): atomically apply an encoded operation to a second word, wake waiters
 * of the first, and wake waiters of the second if the old value passes an encoded comparison.
 * Encoding (include/uapi/linux/futex.h, models.md §5): bit 31 OPARG_SHIFT, bits 28-30 op,
 * bits 24-27 cmp, bits 12-23 oparg and bits 0-11 cmparg, both 12-bit sign-extended.
 */
import { EFAULT, ENOSYS } from '../../abi/errno.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import type { Thread } from '../thread.ts';
import { getUser32, putUser32, wordOk } from '../uaccess.ts';
import { lockPair, unlockAll } from './requeue.ts';
import { FUTEX_BITSET_MATCH_ANY, type FutexTarget, wakeLimit, wakeLocked } from './wait-wake.ts';

import {
  FUTEX_OP_ADD,
  FUTEX_OP_ANDN,
  FUTEX_OP_CMP_EQ,
  FUTEX_OP_CMP_GE,
  FUTEX_OP_CMP_GT,
  FUTEX_OP_CMP_LE,
  FUTEX_OP_CMP_LT,
  FUTEX_OP_CMP_NE,
  FUTEX_OP_OPARG_SHIFT,
  FUTEX_OP_OR,
  FUTEX_OP_SET,
  FUTEX_OP_XOR,
} from '../../abi/futex-op.ts';

// The encoding is ABI (abi/futex-op.ts, for guest programs); tests reach it from here too.
export * from '../../abi/futex-op.ts';

export interface WakeOp {
  op: number;
  shift: boolean;
  oparg: number;
  cmp: number;
  cmparg: number;
}

function signExtend12(x: number): number {
  return (x << 20) >> 20;
}

export function decodeWakeOp(val3: number): WakeOp {
  const opField = (val3 >>> 28) & 0xf;
  return {
    op: opField & 7,
    shift: (opField & FUTEX_OP_OPARG_SHIFT) !== 0,
    cmp: (val3 >>> 24) & 0xf,
    oparg: signExtend12((val3 >>> 12) & 0xfff),
    cmparg: signExtend12(val3 & 0xfff),
  };
}

/** The new value of the word, or null for an unknown op (ENOSYS). Values are 32-bit. */
export function applyWakeOp(decoded: WakeOp, old: number): number | null {
  // Linux masks a shift count outside 0..31 (with a warning) rather than failing.
  const oparg = decoded.shift ? (1 << (decoded.oparg & 31)) | 0 : decoded.oparg;
  switch (decoded.op) {
    case FUTEX_OP_SET:
      return oparg >>> 0;
    case FUTEX_OP_ADD:
      return (old + oparg) >>> 0;
    case FUTEX_OP_OR:
      return (old | oparg) >>> 0;
    case FUTEX_OP_ANDN:
      return (old & ~oparg) >>> 0;
    case FUTEX_OP_XOR:
      return (old ^ oparg) >>> 0;
    default:
      return null;
  }
}

/** The comparison of the old value (as a signed int) with cmparg, or null for an unknown cmp. */
export function compareWakeOp(decoded: WakeOp, old: number): boolean | null {
  const a = old | 0;
  const b = decoded.cmparg;
  switch (decoded.cmp) {
    case FUTEX_OP_CMP_EQ:
      return a === b;
    case FUTEX_OP_CMP_NE:
      return a !== b;
    case FUTEX_OP_CMP_LT:
      return a < b;
    case FUTEX_OP_CMP_LE:
      return a <= b;
    case FUTEX_OP_CMP_GT:
      return a > b;
    case FUTEX_OP_CMP_GE:
      return a >= b;
    default:
      return null;
  }
}

/** FUTEX_WAKE_OP(uaddr, nrWake, nrWake2, uaddr2, val3): returns the total woken. */
export function* futexWakeOp(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  addr: number,
  first: FutexTarget,
  addr2: number,
  second: FutexTarget,
  wakeCount: number,
  wakeCount2: number,
  val3: number,
): KernelGen<number> {
  const decoded = decodeWakeOp(val3);
  if (decoded.cmp > FUTEX_OP_CMP_GE || decoded.op > FUTEX_OP_XOR) return -ENOSYS;
  if (!wordOk(t, addr2, true)) return -EFAULT;
  k.futex.counts.wake_op++;
  yield spend(2 * k.board.costs.futexHashNs);
  const held = yield* lockPair(k, first.shard, second.shard);
  const old = getUser32(t, addr2);
  putUser32(t, addr2, applyWakeOp(decoded, old)!);
  yield spend(k.board.costs.atomicNs);
  const mode = k.futex.mode;
  // A PI waiter (or a WAIT_REQUEUE_PI one) met on either word makes the whole call EINVAL, the
  // operation on the second word staying done (futex_wake_op's `goto out_unlock`).
  let woken = yield* wakeLocked(k, cpu, t, addr, first, wakeLimit(mode, wakeCount), FUTEX_BITSET_MATCH_ANY);
  if (woken >= 0 && compareWakeOp(decoded, old)) {
    const wokenOnSecond = yield* wakeLocked(
      k,
      cpu,
      t,
      addr2,
      second,
      wakeLimit(mode, wakeCount2),
      FUTEX_BITSET_MATCH_ANY,
    );
    woken = wokenOnSecond < 0 ? wokenOnSecond : woken + wokenOnSecond;
  }
  yield* unlockAll(held);
  return woken;
}
