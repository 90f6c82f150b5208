/**
 * pthread threads: create (three proc-scheme round trips, SCHED-12), join on the kernel's
 * clear-tid futex word, exit with a value, self.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ThreadEntry } from '../abi/guest.ts';
import { EAGAIN, EDEADLK, EINVAL, ESRCH } from '../abi/errno.ts';
import { SYS_EXIT, SYS_PROC_NEW_THREAD, SYS_PROC_SET_REGS, SYS_PROC_START } from '../abi/syscalls.ts';
import { malloc } from './malloc.ts';
import { sched_setaffinity_cpus } from './sched.ts';
import { futex_wait, mmap_anonymous, syscall } from './sys.ts';

/** A thread handle: the address of its descriptor, whose first word is its tid until it exits. */
export type pthread_t = number;

export interface pthread_attr_t {
  stackSizeBytes?: number;
  detached?: boolean;
  /** CPUs the thread may run on from its start (pthread_attr_setaffinity_np); all when absent. */
  cpuset?: readonly number[];
}

export const PTHREAD_STACK_DEFAULT = 64 * 1024;

interface ThreadTable {
  exitValues: Map<pthread_t, unknown>;
  self: Map<number, pthread_t>;
}

function table(t: Guest): ThreadTable {
  let tt = t.data.pthreads as ThreadTable | undefined;
  if (tt === undefined) t.data.pthreads = tt = { exitValues: new Map(), self: new Map() };
  return tt;
}

/** Returns [0, handle] or [errno, 0]. */
export function* pthread_create(
  t: Guest,
  attr: pthread_attr_t | null,
  entry: ThreadEntry,
  arg: unknown,
): Program<[number, pthread_t]> {
  const stackBytes = attr?.stackSizeBytes ?? PTHREAD_STACK_DEFAULT;
  if (stackBytes < 16 * 1024) return [EINVAL, 0];
  const descriptor = yield* malloc(t, 16);
  const stack = yield* mmap_anonymous(t, stackBytes);
  if (stack < 0) return [EAGAIN, 0];
  // The three proc-scheme round trips of Redox thread creation (SCHED-12).
  const tid = yield* syscall(t, SYS_PROC_NEW_THREAD);
  if (tid < 0) return [EAGAIN, 0];
  t.store32(descriptor, tid);
  const threads = table(t);
  threads.self.set(tid, descriptor);
  // The entry returns into the kernel's exit stub, which hands its value to this hook first.
  const keepExitValue = (_self: Guest, value: unknown) => threads.exitValues.set(descriptor, value);
  const regs = yield* syscall(
    t,
    SYS_PROC_SET_REGS,
    tid,
    entry,
    arg,
    stack + stackBytes,
    descriptor,
    keepExitValue,
  );
  if (regs < 0) return [EAGAIN, 0];
  if (attr?.cpuset !== undefined) {
    // glibc sets the mask of the new thread before it first runs (pthread_attr_setaffinity_np).
    const r = yield* sched_setaffinity_cpus(t, tid, attr.cpuset);
    if (r < 0) return [-r, 0];
  }
  const started = yield* syscall(t, SYS_PROC_START, tid);
  if (started < 0) return [EAGAIN, 0];
  return [0, descriptor];
}

/** Waits for the thread to exit; returns [0, its value] or [errno, undefined]. */
export function* pthread_join(t: Guest, thread: pthread_t): Program<[number, unknown]> {
  const tid = t.load32(thread);
  if (tid === t.tid) return [EDEADLK, undefined];
  const threads = table(t);
  if (tid === 0 && !threads.exitValues.has(thread)) return [ESRCH, undefined];
  for (;;) {
    const current = t.load32(thread);
    if (current === 0) break;
    yield* futex_wait(t, thread, current);
  }
  const value = threads.exitValues.get(thread);
  threads.exitValues.delete(thread);
  return [0, value];
}

/** Ends the calling thread with `value`. */
export function* pthread_exit(t: Guest, value: unknown): Program<never> {
  const self = table(t).self.get(t.tid);
  if (self !== undefined) table(t).exitValues.set(self, value);
  yield t.syscall(SYS_EXIT, 0);
  throw new Error('pthread_exit: exit returned');
}

export function pthread_self(t: Guest): pthread_t {
  return table(t).self.get(t.tid) ?? 0;
}
