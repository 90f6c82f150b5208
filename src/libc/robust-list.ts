/**
 * The per-thread robust mutex list of the improved libc (LIBC-2 over FUTEX-7), as glibc keeps
 * it: each thread registers one list head with set_robust_list when it starts (pthread.ts; a
 * process's initial thread on its first robust lock), and every robust mutex it holds is linked
 * on that list, so that when the thread dies the kernel finds the lock words it still holds,
 * marks them OWNER_DIED and wakes a waiter.
 *
 * Layout, 16 bytes of guest memory per thread: `[prev][next][futex_offset][list_op_pending]`.
 * The registered head is the address of `next`, which makes the head a list node like a
 * mutex's `{prev, next}` pair (MUTEX_PREV, MUTEX_NEXT; glibc keeps `robust_prev` just before
 * `robust_head` for the same reason), so linking and unlinking have no special case. An entry is
 * the address of a mutex's `next` word; bit 0 of a `next` pointer marks the node it points to
 * as a PI mutex (robust-futex-ABI.rst). The kernel finds the lock word at entry + futex_offset.
 *
 * The protocol around each change (robust-futex-ABI.rst): lock = set list_op_pending, take the
 * word, link, clear pending; unlock = set pending, unlink, release the word, clear pending. A
 * thread that dies between the steps still has its word found through list_op_pending.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { SYS_SET_ROBUST_LIST } from '../abi/syscalls.ts';
import { MUTEX_LOCK, MUTEX_NEXT, MUTEX_PREV } from './layout.ts';
import { malloc } from './malloc.ts';
import { syscall } from './sys.ts';

/** struct robust_list_head: next, futex_offset, list_op_pending (the kernel's compat layout). */
export const ROBUST_HEAD_BYTES = 12;
const AREA_BYTES = 16;
/** Where the kernel finds a mutex's lock word from its entry (a signed offset). */
export const ROBUST_FUTEX_OFFSET = MUTEX_LOCK - MUTEX_NEXT;
const PI_FLAG = 1;
/** The node a pointer names, without its PI mark. */
const node = (p: number) => (p & ~PI_FLAG) >>> 0;
const marked = (entry: number, pi: boolean) => (entry | (pi ? PI_FLAG : 0)) >>> 0;

function heads(t: Guest): Map<number, number> {
  let m = t.data.robustHeads as Map<number, number> | undefined;
  if (m === undefined) t.data.robustHeads = m = new Map();
  return m;
}

/**
 * The calling thread's list head, registered with the kernel on first use. A kernel without
 * robust lists (ENOSYS, Redox) leaves the list a user-space record nobody walks, as glibc does
 * when set_robust_list fails.
 */
export function* robustHead(t: Guest): Program<number> {
  const known = heads(t).get(t.tid);
  if (known !== undefined) return known;
  const area = yield* malloc(t, AREA_BYTES);
  const head = area + 4;
  t.store32(head, head); // an empty list points to itself
  t.store32(head - 4, head);
  t.store32(head + 4, ROBUST_FUTEX_OFFSET >>> 0);
  t.store32(head + 8, 0);
  heads(t).set(t.tid, head);
  yield* syscall(t, SYS_SET_ROBUST_LIST, head, ROBUST_HEAD_BYTES);
  return head;
}

/** list_op_pending = the mutex's entry (with the PI mark), before the word changes hands. */
export function setPending(t: Guest, head: number, m: number, pi: boolean): void {
  t.store32(head + 8, marked(m + MUTEX_NEXT, pi));
}

export function clearPending(t: Guest, head: number): void {
  t.store32(head + 8, 0);
}

/** Links the mutex `m` first on the list at `head`. */
export function enqueue(t: Guest, head: number, m: number, pi: boolean): void {
  const entry = m + MUTEX_NEXT;
  const first = t.load32(head);
  t.store32(entry, first);
  t.store32(m + MUTEX_PREV, head);
  t.store32(node(first) - 4, entry); // the old first node's prev
  t.store32(head, marked(entry, pi));
}

/** Unlinks the mutex `m` from whichever list it is on (its owner's). */
export function dequeue(t: Guest, m: number): void {
  const next = t.load32(m + MUTEX_NEXT); // carries the successor's PI mark
  const prev = t.load32(m + MUTEX_PREV); // a plain node address (head or a mutex's entry)
  t.store32(node(next) - 4, prev);
  t.store32(prev, next);
  t.store32(m + MUTEX_NEXT, 0);
  t.store32(m + MUTEX_PREV, 0);
}

/** The entries on the calling thread's list, first to last (for tests and the deadlock report). */
export function robustEntries(t: Guest): number[] {
  const head = heads(t).get(t.tid);
  if (head === undefined) return [];
  const out: number[] = [];
  for (let e = t.load32(head); node(e) !== head && out.length < 4096; e = t.load32(node(e))) {
    out.push(e);
  }
  return out;
}
