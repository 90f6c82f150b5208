/**
 * Robust futex lists (FUTEX-7): set_robust_list / get_robust_list, and the walk at thread exit.
 * The head lives in guest memory with the layout of Linux's compat (32-bit) robust_list_head,
 * since guest addresses here are 32-bit: `{ next, futex_offset (signed), list_op_pending }`,
 * 12 bytes (kernel/futex/core.c, compat_exit_robust_list). An empty list points to itself; bit
 * 0 of an entry pointer marks a PI futex.
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
import { getUser32, putUser32, wordOk } from '../uaccess.ts';
import { adjustChain, FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS, giveTo } from './pi.ts';
import { FUTEX_BITSET_MATCH_ANY, resolveTarget, wakeLocked } from './wait-wake.ts';

export const ROBUST_LIST_HEAD_BYTES = 12;
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
  if (!wordOk(t, headPtr, true) || !wordOk(t, lenPtr, true)) return -EFAULT;
  putUser32(t, headPtr, target.robustHead);
  putUser32(t, lenPtr, target.robustLen);
  return 0;
}

/** Reads a word for the walk, or null on a fault (the walk then stops, as Linux's does). */
function fetch(t: Thread, addr: number): number | null {
  if (addr % 4 !== 0 || !wordOk(t, addr, false)) return null;
  return getUser32(t, addr);
}

/** An entry pointer without its PI mark bit, as an unsigned address (guest addresses pass 2^31). */
const unmarked = (entry: number) => (entry & ~1) >>> 0;

/** Walks `t`'s robust list as it exits. */
export function* exitRobustList(k: Kernel, cpu: Cpu, t: Thread): KernelGen<void> {
  const head = t.robustHead;
  if (head === 0 || k.futex.mode === 'redox') return;
  k.futex.counts.robust_walks++;
  let entry = fetch(t, head);
  const offsetWord = fetch(t, head + 4);
  const pending = fetch(t, head + 8);
  if (entry === null || offsetWord === null || pending === null) return;
  const offset = offsetWord | 0;
  for (let walked = 0; entry !== head && walked < ROBUST_LIST_LIMIT; walked++) {
    const next = fetch(t, unmarked(entry));
    if (next === null) return;
    if (entry !== pending) yield* handleDeath(k, cpu, t, unmarked(entry) + offset, (entry & 1) === 1);
    entry = next;
    yield spend(k.board.costs.futexHashNs);
  }
  if (pending !== 0) yield* handleDeath(k, cpu, t, unmarked(pending) + offset, (pending & 1) === 1);
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
