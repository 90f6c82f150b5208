/**
 * Robust futex lists (FUTEX-7): set_robust_list / get_robust_list, and the walk at thread exit.
 * The head lives in guest memory with the layout of Linux's native x86-64 robust_list_head
 * (include/uapi/linux/futex.h): `{ next, long futex_offset, list_op_pending }`, three 8-byte
 * fields, 24 bytes, and each entry's `next` is an 8-byte pointer (kernel/futex/core.c,
 * exit_robust_list, fetch_robust_entry). Pointers are 48-bit addresses read as two 32-bit words
 * (uaccess getUser64), never truncated. An empty list points to itself; bit 0 of an entry
 * pointer marks a PI futex. (Until issue 15's 64-bit spaces this was the compat 12-byte head.)
 *
 * At exit the kernel walks at most ROBUST_LIST_LIMIT entries, then the pending entry unless
 * it was already visited, and stops silently on a fault. For each word that holds the dying
 * thread's TID it stores `(old & WAITERS) | OWNER_DIED`; if WAITERS was set it wakes one
 * waiter (a PI lock is handed to its top waiter, which sees OWNER_DIED). The baseline Redox
 * kernel has no robust lists: the calls answer ENOSYS there, and a dead owner's waiters wait
 * forever (the deadlock `futex-robust` shows).
 */
import { EFAULT, EINVAL, ENOSYS, EPERM, ESRCH } from '../../abi/errno.ts';
import { SYS_GET_ROBUST_LIST, SYS_SET_ROBUST_LIST } from '../../abi/syscalls.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, lock, spend, unlock } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { argNum, type SyscallTable } from '../syscall-types.ts';
import { type Thread, ThreadState } from '../thread.ts';
import { getUser32, getUser64, putUser32, putUser64, wordOk } from '../uaccess.ts';
import { adjustChain, FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS, giveTo } from './pi.ts';
import { FUTEX_BITSET_MATCH_ANY, resolveTarget, wakeLocked } from './wait-wake.ts';

/** sizeof(struct robust_list_head) on x86-64: set_robust_list refuses any other length. */
export const ROBUST_LIST_HEAD_BYTES = 24;
/** Linux's bound on entries walked at exit (the ABI document still says one million). */
export const ROBUST_LIST_LIMIT = 2048;

function* sysSetRobustList(k: Kernel, t: Thread, head: number, len: number): KernelGen<number> {
  if (k.futex.mode === 'redox') return -ENOSYS;
  if (len !== ROBUST_LIST_HEAD_BYTES) return -EINVAL;
  t.robustHead = head;
  t.robustLen = len;
  return 0;
}

/** get_robust_list(tid, head_ptr, len_ptr): tid 0 is the caller; another process's thread is EPERM. */
function* sysGetRobustList(
  k: Kernel,
  t: Thread,
  tid: number,
  headPtr: number,
  lenPtr: number,
): KernelGen<number> {
  if (k.futex.mode === 'redox') return -ENOSYS;
  const target = tid === 0 ? t : k.threads.get(tid);
  if (target === undefined || target.state === ThreadState.Dead) return -ESRCH;
  if (target.process !== t.process) return -EPERM;
  if (!ok64(t, headPtr, true) || !ok64(t, lenPtr, true)) return -EFAULT;
  putUser64(t, headPtr, target.robustHead); // struct robust_list_head __user **
  putUser64(t, lenPtr, target.robustLen); // size_t
  return 0;
}

/** True when both words of the 8-byte field at `addr` allow the access. */
function ok64(t: Thread, addr: number, write: boolean): boolean {
  return addr % 4 === 0 && wordOk(t, addr, write) && wordOk(t, addr + 4, write);
}

/** Reads a 32-bit lock word for the walk, or null on a fault (the walk then stops, as Linux's does). */
function fetch(t: Thread, addr: number): number | null {
  if (!(addr % 4 === 0) || !wordOk(t, addr, false)) return null;
  return getUser32(t, addr);
}

/** Reads an 8-byte pointer (unsigned long) for the walk, or null on a fault. */
function fetchPtr(t: Thread, addr: number): number | null {
  if (!ok64(t, addr, false)) return null;
  return getUser64(t, addr); // Infinity past 2^53: the next fetch at it faults
}

/** The signed 8-byte futex_offset (a long) at `addr`, or null on a fault. */
function fetchOffset(t: Thread, addr: number): number | null {
  if (!ok64(t, addr, false)) return null;
  return (getUser32(t, addr + 4) | 0) * 2 ** 32 + getUser32(t, addr);
}

/** An entry pointer without its PI mark bit (bit 0), as a 48-bit address: no 32-bit operator. */
const unmarked = (entry: number) => entry - (entry % 2);
const isPi = (entry: number) => entry % 2 === 1;

/** Walks `t`'s robust list as it exits. */
export function* exitRobustList(k: Kernel, cpu: Cpu, t: Thread): KernelGen<void> {
  const head = t.robustHead;
  if (head === 0 || k.futex.mode === 'redox') return;
  k.futex.counts.robust_walks++;
  let entry = fetchPtr(t, head);
  const offset = fetchOffset(t, head + 8);
  const pending = fetchPtr(t, head + 16);
  if (entry === null || offset === null || pending === null) return;
  for (let walked = 0; entry !== head && walked < ROBUST_LIST_LIMIT; walked++) {
    const next = fetchPtr(t, unmarked(entry));
    if (next === null) return;
    if (entry !== pending) yield* handleDeath(k, cpu, t, unmarked(entry) + offset, isPi(entry));
    entry = next;
    yield spend(k.board.costs.futexHashNs);
  }
  if (pending !== 0) yield* handleDeath(k, cpu, t, unmarked(pending) + offset, isPi(pending));
}

/** One lock word of a dying owner (handle_futex_death). */
function* handleDeath(k: Kernel, cpu: Cpu, t: Thread, uaddr: number, pi: boolean): KernelGen<void> {
  const word = fetch(t, uaddr);
  if (word === null || (word & FUTEX_TID_MASK) !== t.id) return;
  // The word may be private or shared: look for waiters under the private key first, then the
  // shared one (Linux's keys for a private mapping coincide; here they differ).
  for (const isPrivate of [true, false]) {
    const target = resolveTarget(k, t, uaddr, isPrivate);
    if (typeof target === 'number') return;
    yield lock(target.shard.lock);
    const current = getUser32(t, uaddr);
    if ((current & FUTEX_TID_MASK) !== t.id) {
      yield unlock(target.shard.lock); // already handled under the other key
      return;
    }
    const s = target.shard.pi.get(target.key);
    const top = pi ? s?.waiters.shift() : undefined;
    if (s !== undefined && top !== undefined) {
      // A PI lock with waiters goes to the top one, OWNER_DIED set for it to see.
      putUser32(t, uaddr, (top.thread.id | FUTEX_WAITERS | FUTEX_OWNER_DIED) >>> 0);
      giveTo(s, top);
      k.futex.counts.robust_owner_died++;
      yield* k.wakeThread(cpu, top.thread);
      if (s.waiters.length === 0) {
        top.thread.piHeld.delete(s);
        target.shard.pi.delete(s.key);
      }
      yield* adjustChain(k, cpu, top.thread);
      yield unlock(target.shard.lock);
      return;
    }
    const hasWaiters = target.shard.buckets.get(target.key)?.length ?? 0;
    if (!isPrivate || hasWaiters > 0) {
      putUser32(t, uaddr, ((current & FUTEX_WAITERS) | FUTEX_OWNER_DIED) >>> 0);
      k.futex.counts.robust_owner_died++;
      if ((current & FUTEX_WAITERS) !== 0)
        yield* wakeLocked(k, cpu, t, uaddr, target, 1, FUTEX_BITSET_MATCH_ANY);
      yield unlock(target.shard.lock);
      return;
    }
    yield unlock(target.shard.lock);
  }
}

export const ROBUST_SYSCALLS: SyscallTable = {
  [SYS_SET_ROBUST_LIST]: (k, _cpu, t, a) => sysSetRobustList(k, t, argNum(a[0]), argNum(a[1])),
  [SYS_GET_ROBUST_LIST]: (k, _cpu, t, a) => sysGetRobustList(k, t, argNum(a[0]), argNum(a[1]), argNum(a[2])),
};
