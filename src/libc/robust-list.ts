/**
 * The per-thread robust mutex list of the improved libc (LIBC-2 over FUTEX-7), as glibc keeps
 * it: each thread registers one list head with set_robust_list when it starts (pthread.ts; a
 * process's initial thread on its first robust lock), and every robust mutex it holds is linked
 * on that list, so that when the thread dies the kernel finds the lock words it still holds,
 * marks them OWNER_DIED and wakes a waiter.
 *
 * Layout, 32 bytes of guest memory per thread, four 8-byte fields as on x86-64 (pointers are
 * 48-bit addresses, stored as two 32-bit words: `loadPtr`, `storePtr`, never truncated):
 * `[prev][next][futex_offset][list_op_pending]`.
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
import { loadPtr, PTR_BYTES, storePtr } from './ptr.ts';
import { syscall } from './sys.ts';

/** struct robust_list_head: next, long futex_offset, list_op_pending (x86-64's, 24 bytes). */
export const ROBUST_HEAD_BYTES = 24;
const AREA_BYTES = 32;
const PTR = PTR_BYTES;
/** Where the kernel finds a mutex's lock word from its entry (a signed offset). */
export const ROBUST_FUTEX_OFFSET = MUTEX_LOCK - MUTEX_NEXT;
/** The node a pointer names, without its PI mark (bit 0; nodes are 8-byte aligned). */
const node = (p: number) => p - (p % 2);
const marked = (entry: number, pi: boolean) => entry + (pi ? 1 : 0);

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
  const head = area + PTR;
  storePtr(t, head, head); // an empty list points to itself
  storePtr(t, head - PTR, head);
  // futex_offset is a signed long: its two's complement in two words.
  t.store32(head + PTR, ROBUST_FUTEX_OFFSET);
  t.store32(head + PTR + 4, ROBUST_FUTEX_OFFSET < 0 ? -1 : 0);
  storePtr(t, head + 2 * PTR, 0);
  heads(t).set(t.tid, head);
  yield* syscall(t, SYS_SET_ROBUST_LIST, head, ROBUST_HEAD_BYTES);
  return head;
}

/** list_op_pending = the mutex's entry (with the PI mark), before the word changes hands. */
export function setPending(t: Guest, head: number, m: number, pi: boolean): void {
  storePtr(t, head + 2 * PTR, marked(m + MUTEX_NEXT, pi));
}

export function clearPending(t: Guest, head: number): void {
  storePtr(t, head + 2 * PTR, 0);
}

/** Links the mutex `m` first on the list at `head`. */
export function enqueue(t: Guest, head: number, m: number, pi: boolean): void {
  const entry = m + MUTEX_NEXT;
  const first = loadPtr(t, head);
  storePtr(t, entry, first);
  storePtr(t, m + MUTEX_PREV, head);
  storePtr(t, node(first) - PTR, entry); // the old first node's prev
  storePtr(t, head, marked(entry, pi));
}

/** Unlinks the mutex `m` from whichever list it is on (its owner's). */
export function dequeue(t: Guest, m: number): void {
  const next = loadPtr(t, m + MUTEX_NEXT); // carries the successor's PI mark
  const prev = loadPtr(t, m + MUTEX_PREV); // a plain node address (head or a mutex's entry)
  storePtr(t, node(next) - PTR, prev);
  storePtr(t, prev, next);
  storePtr(t, m + MUTEX_NEXT, 0);
  storePtr(t, m + MUTEX_PREV, 0);
}

/** The entries on the calling thread's list, first to last (for tests and the deadlock report). */
export function robustEntries(t: Guest): number[] {
  const head = heads(t).get(t.tid);
  if (head === undefined) return [];
  const out: number[] = [];
  for (let e = loadPtr(t, head); node(e) !== head && out.length < 4096; e = loadPtr(t, node(e))) {
    out.push(e);
  }
  return out;
}
