/**
 * Cancellation cleanup handlers (LIBC-7): pthread_cleanup_push and pthread_cleanup_pop. Each
 * thread has a stack of handlers; pop(execute != 0) runs the one it removes, and a thread that
 * exits (pthread_exit, or acting on a cancel) runs the handlers still pushed, last pushed first,
 * each removed before it runs. In C they are macros keeping the entries in the caller's stack
 * frames (glibc's struct _pthread_cleanup_buffer, relibc's CleanupLinkedListEntry); here the
 * stack is per thread in libc's data. libc's own cancellation points push internal handlers
 * the same way (a condvar wait's re-lock of its mutex), so they run before the caller's.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';

/** A cleanup routine: runs in the thread with the argument it was pushed with. */
export type CleanupRoutine = (t: Guest, arg: unknown) => Program<void>;

interface CleanupEntry {
  routine: CleanupRoutine;
  arg: unknown;
}

function stacks(t: Guest): Map<number, CleanupEntry[]> {
  let m = t.data.cleanup as Map<number, CleanupEntry[]> | undefined;
  if (m === undefined) t.data.cleanup = m = new Map();
  return m;
}

export function pthread_cleanup_push(t: Guest, routine: CleanupRoutine, arg: unknown): void {
  let mine = stacks(t).get(t.tid);
  if (mine === undefined) stacks(t).set(t.tid, (mine = []));
  mine.push({ routine, arg });
}

/** Removes the last pushed handler and runs it when `execute` is non-zero. */
export function* pthread_cleanup_pop(t: Guest, execute: number): Program<void> {
  const entry = stacks(t).get(t.tid)?.pop();
  // The C macros pair push and pop lexically, so an unmatched pop does not compile there.
  if (entry === undefined) throw new Error('pthread_cleanup_pop: no handler was pushed');
  if (execute !== 0) yield* entry.routine(t, entry.arg);
}

/** How many handlers the calling thread has pushed and not popped. */
export function cleanupDepth(t: Guest): number {
  return stacks(t).get(t.tid)?.length ?? 0;
}

/** At thread exit: runs every handler still pushed, last pushed first, removing each first. */
export function* runCleanupHandlers(t: Guest): Program<void> {
  const mine = stacks(t).get(t.tid);
  if (mine === undefined) return;
  for (let entry = mine.pop(); entry !== undefined; entry = mine.pop()) yield* entry.routine(t, entry.arg);
  stacks(t).delete(t.tid);
}
