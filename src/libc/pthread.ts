/**
 * pthread threads (LIBC-1, LIBC-8): attributes, create (three proc-scheme round trips,
 * SCHED-12, or two on a kernel that batches them, issue 24), detach, exit with a value, self, equal; join is in join.ts.
 * Each thread's stack is mmapped with a PROT_NONE guard page below it, so an overflow faults
 * (SIGSEGV) instead of running into the mapping underneath. Stacks of joined or detached
 * threads are kept and reused by later creates of the same size, as glibc's stack cache does.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ThreadEntry } from '../abi/guest.ts';
import { EAGAIN, EINVAL, ESRCH } from '../abi/errno.ts';
import {
  PROT_NONE,
  SYS_EXIT,
  SYS_PROC_NEW_THREAD,
  SYS_PROC_NEW_THREAD_REGS,
  SYS_PROC_SET_REGS,
  SYS_PROC_START,
  SYS_SET_TID_ADDRESS,
} from '../abi/syscalls.ts';
import { attrDestroy, attrGet, attrSet } from './attr.ts';
import { markExiting } from './cancel.ts';
import { runCleanupHandlers } from './cleanup.ts';
import { runKeyDestructors } from './key.ts';
import {
  PAGE_SIZE,
  PTHREAD_CREATE_DETACHED,
  PTHREAD_CREATE_JOINABLE,
  PTHREAD_GUARD_DEFAULT,
  PTHREAD_INHERIT_SCHED,
  PTHREAD_SCOPE_SYSTEM,
  PTHREAD_STACK_DEFAULT,
  PTHREAD_STACK_MIN,
} from './layout.ts';
import { malloc } from './malloc.ts';
import { robustHead } from './robust-list.ts';
import { STACK_TOP_RESERVED, stack_forget } from './stack.ts';
import { mmap_anonymous, mprotect, syscall } from './sys.ts';
import { CPU_SETSIZE, sched_setaffinity_cpus } from './sched.ts';
import { errno } from './errno.ts';
import { libcOf } from './select.ts';
import { applyCreateSched } from './pthread-sched.ts';
import { procFeature } from './proc-features.ts';

export { PTHREAD_STACK_DEFAULT } from './layout.ts';
export { pthread_join } from './join.ts';

/**
 * A thread handle: the address of its descriptor, whose first word is its tid until it exits
 * (the kernel clears it and futex-wakes it: CLONE_CHILD_CLEARTID). An initial thread's
 * descriptor is the top of its stack.
 */
export type pthread_t = number;

/** pthread_attr_t. The scheduling fields are kept for pthread_attr_setsched* (LIBC-5). */
export class pthread_attr_t {
  initialized = false;
  detachstate = PTHREAD_CREATE_JOINABLE;
  stacksize = PTHREAD_STACK_DEFAULT;
  guardsize = PTHREAD_GUARD_DEFAULT;
  inheritsched = PTHREAD_INHERIT_SCHED;
  schedpolicy = 0;
  schedpriority = 0;
  /** Which of policy and param were set (glibc's ATTR_FLAG_POLICY_SET / SCHED_SET; pthread-sched.ts). */
  schedset = 0;
  scope = PTHREAD_SCOPE_SYSTEM;
  /** CPUs the thread may run on; null means inherit (pthread_attr_setaffinity_np, LIBC-6). */
  affinity: number[] | null = null;
}

export function pthread_attr_init(attr: pthread_attr_t): number {
  Object.assign(attr, new pthread_attr_t());
  attr.initialized = true;
  return 0;
}

export function pthread_attr_destroy(attr: pthread_attr_t): number {
  return attrDestroy(attr);
}

export function pthread_attr_setdetachstate(attr: pthread_attr_t, state: number): number {
  return attrSet(attr, 'detachstate', state, [PTHREAD_CREATE_JOINABLE, PTHREAD_CREATE_DETACHED]);
}

export function pthread_attr_getdetachstate(attr: pthread_attr_t): [number, number] {
  return attrGet(attr, 'detachstate');
}

/** EINVAL below PTHREAD_STACK_MIN, as glibc. */
export function pthread_attr_setstacksize(attr: pthread_attr_t, bytes: number): number {
  if (!attr.initialized) return EINVAL;
  if (!Number.isSafeInteger(bytes) || bytes < PTHREAD_STACK_MIN) return EINVAL;
  attr.stacksize = bytes;
  return 0;
}

export function pthread_attr_getstacksize(attr: pthread_attr_t): [number, number] {
  return attrGet(attr, 'stacksize');
}

/** Any size is accepted; create rounds it up to whole pages (0 means no guard page). */
export function pthread_attr_setguardsize(attr: pthread_attr_t, bytes: number): number {
  if (!attr.initialized) return EINVAL;
  if (!Number.isSafeInteger(bytes) || bytes < 0) return EINVAL;
  attr.guardsize = bytes;
  return 0;
}

export function pthread_attr_getguardsize(attr: pthread_attr_t): [number, number] {
  return attrGet(attr, 'guardsize');
}

/**
 * pthread_attr_setaffinity_np, with the set given as CPU ids (the C cpu_set_t's members). The
 * mask is checked by the kernel when the thread is created: a set with no online CPU makes
 * pthread_create fail with EINVAL, as glibc's does.
 */
export function pthread_attr_setaffinity_np(attr: pthread_attr_t, cpus: readonly number[]): number {
  if (!attr.initialized) return EINVAL;
  if (cpus.some((cpu) => !Number.isInteger(cpu) || cpu < 0 || cpu >= CPU_SETSIZE)) return EINVAL;
  attr.affinity = [...cpus];
  return 0;
}

/** pthread_attr_getaffinity_np: [0, the CPU ids] ([0, null] when the thread will inherit). */
export function pthread_attr_getaffinity_np(attr: pthread_attr_t): [number, number[] | null] {
  return attr.initialized ? [0, attr.affinity === null ? null : [...attr.affinity]] : [EINVAL, null];
}

interface StackMapping {
  base: number;
  guardBytes: number;
  stackBytes: number;
}

export interface ThreadRecord {
  handle: pthread_t;
  tid: number;
  detached: boolean;
  /** The tid of the thread blocked in pthread_join on it, or 0. */
  joiner: number;
  exited: boolean;
  value: unknown;
  /** Its stack, null for an initial thread (the kernel mapped that one). */
  stack: StackMapping | null;
}

interface ThreadTable {
  byHandle: Map<pthread_t, ThreadRecord>;
  byTid: Map<number, ThreadRecord>;
  /** Stacks of finished threads, reusable once the kernel has cleared the owner's tid word. */
  cache: { stack: StackMapping; handle: pthread_t }[];
}

function table(t: Guest): ThreadTable {
  let tt = t.data.pthreads as ThreadTable | undefined;
  if (tt === undefined) t.data.pthreads = tt = { byHandle: new Map(), byTid: new Map(), cache: [] };
  return tt;
}

const roundToPages = (bytes: number) => Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE;

/** A cached stack of this shape whose thread has gone, or a fresh mapping with its guard. */
function* allocateStack(t: Guest, guardBytes: number, stackBytes: number): Program<StackMapping | null> {
  const cache = table(t).cache;
  const i = cache.findIndex(
    (c) => c.stack.guardBytes === guardBytes && c.stack.stackBytes === stackBytes && t.load32(c.handle) === 0,
  );
  if (i >= 0) return cache.splice(i, 1)[0]!.stack;
  const base = yield* mmap_anonymous(t, guardBytes + stackBytes);
  if (base < 0) return null;
  if (guardBytes > 0 && (yield* mprotect(t, base, guardBytes, PROT_NONE)) < 0) return null;
  return { base, guardBytes, stackBytes };
}

/** Returns [0, handle] or [errno, 0]: EAGAIN when memory or threads run out, EINVAL for a bad attr. */
export function* pthread_create(
  t: Guest,
  attr: pthread_attr_t | null,
  entry: ThreadEntry,
  arg: unknown,
): Program<[number, pthread_t]> {
  if (attr !== null && !attr.initialized) return [EINVAL, 0];
  const stackBytes = roundToPages(attr?.stacksize ?? PTHREAD_STACK_DEFAULT);
  const guardBytes = roundToPages(attr?.guardsize ?? PTHREAD_GUARD_DEFAULT);
  const descriptor = yield* malloc(t, 16);
  const stack = yield* allocateStack(t, guardBytes, stackBytes);
  if (stack === null) return [EAGAIN, 0];
  const top = stack.base + stack.guardBytes + stack.stackBytes;
  const start: ThreadStart = { entry, arg, record: null, setupFailed: false };
  const tid = yield* createContext(t, start, top, descriptor);
  if (tid < 0) {
    table(t).cache.push({ stack, handle: descriptor }); // its tid word is 0: reusable at once
    return [EAGAIN, 0];
  }
  t.store32(descriptor, tid);
  const record: ThreadRecord = {
    handle: descriptor,
    tid,
    detached: attr?.detachstate === PTHREAD_CREATE_DETACHED,
    joiner: 0,
    exited: false,
    value: undefined,
    stack,
  };
  start.record = record;
  const threads = table(t);
  threads.byHandle.set(descriptor, record);
  threads.byTid.set(tid, record);
  let err = 0;
  if (attr?.affinity != null) {
    // glibc sets the mask of the new thread before it first runs (pthread_attr_setaffinity_np).
    if ((yield* sched_setaffinity_cpus(t, tid, attr.affinity)) < 0) err = errno(t);
  }
  // PTHREAD_EXPLICIT_SCHED: policy and priority too, before it first runs (LIBC-5).
  if (err === 0 && attr !== null) err = yield* applyCreateSched(t, tid, attr);
  if (err !== 0) {
    // As glibc's setup_failed: the thread starts only to exit at once, detached, freeing itself.
    start.setupFailed = true;
    record.detached = true;
  }
  const started = yield* syscall(t, SYS_PROC_START, tid);
  if (started < 0) return [EAGAIN, 0];
  return err !== 0 ? [err, 0] : [0, descriptor];
}

/**
 * The new context with its registers, not yet started: its tid, or -errno. Redox's libc takes
 * two proc-scheme round trips for it (new-thread, then regs: with start, the three of SCHED-12);
 * on a kernel that offers batched creation one request carries the registers, the stack and the
 * TLS base (the descriptor, as glibc's thread pointer is its TCB), so creation takes two.
 */
function* createContext(t: Guest, start: ThreadStart, top: number, descriptor: number): Program<number> {
  if (procFeature(t, 'batched')) {
    return yield* syscall(t, SYS_PROC_NEW_THREAD_REGS, threadStart, start, top, descriptor, null, descriptor);
  }
  const tid = yield* syscall(t, SYS_PROC_NEW_THREAD);
  if (tid < 0) return tid;
  const regs = yield* syscall(t, SYS_PROC_SET_REGS, tid, threadStart, start, top, descriptor, null);
  return regs < 0 ? regs : tid;
}

interface ThreadStart {
  entry: ThreadEntry;
  arg: unknown;
  /** Set once the context exists (before it starts). */
  record: ThreadRecord | null;
  /** Its scheduling or affinity could not be applied: it exits without running `entry`. */
  setupFailed: boolean;
}

/** Every created thread starts here: its entry, then the exit path pthread_exit also takes. */
function* threadStart(t: Guest, raw: unknown): Program<unknown> {
  const start = raw as ThreadStart;
  const record = start.record!;
  if (start.setupFailed) {
    yield* threadFinish(t, record, undefined);
    return undefined;
  }
  // The improved libc registers the thread's robust mutex list as it starts, as glibc's
  // start_thread does (LIBC-2); relibc has no robust lists.
  if (libcOf(t).thread.registersRobustList) yield* robustHead(t);
  // Called, not delegated to: the entry's every effect then skips this generator (bench compute).
  const value: unknown = yield t.call(start.entry(t, start.arg));
  yield* threadFinish(t, record, value);
  return value;
}

/**
 * Cleanup handlers still pushed (LIBC-7), destructors, then the exit value is published; a
 * detached thread releases itself.
 */
function* threadFinish(t: Guest, record: ThreadRecord, value: unknown): Program<void> {
  yield* runCleanupHandlers(t);
  yield* runKeyDestructors(t);
  record.value = value;
  record.exited = true;
  stack_forget(t, t.tid);
  if (record.detached) releaseThread(t, record);
}

/** The record of a thread of this process by its handle, or undefined (never created, or joined). */
export function threadRecord(t: Guest, thread: pthread_t): ThreadRecord | undefined {
  return table(t).byHandle.get(thread);
}

/** Forgets a finished thread; its stack becomes reusable once the kernel clears its tid word. */
export function releaseThread(t: Guest, record: ThreadRecord): void {
  const threads = table(t);
  threads.byHandle.delete(record.handle);
  if (threads.byTid.get(record.tid) === record) threads.byTid.delete(record.tid);
  if (record.stack !== null) threads.cache.push({ stack: record.stack, handle: record.handle });
}

/** Marks the thread detached (released at once if it has exited); ESRCH unknown, EINVAL already detached. */
export function pthread_detach(t: Guest, thread: pthread_t): number {
  const record = table(t).byHandle.get(thread);
  if (record === undefined) return ESRCH;
  if (record.detached) return EINVAL;
  record.detached = true;
  if (record.exited) releaseThread(t, record);
  return 0;
}

/** Ends the calling thread with `value` after running its cleanup handlers and key destructors. */
export function* pthread_exit(t: Guest, value: unknown): Program<never> {
  const record = selfRecord(t);
  markExiting(t); // LIBC-7: no cancellation acts while the thread exits
  // An initial thread was started by the kernel with no clear-tid word: register its
  // descriptor's, so a pthread_join of it sees the word cleared when it is gone (LIBC-1).
  if (record.stack === null) yield* syscall(t, SYS_SET_TID_ADDRESS, record.handle);
  yield* threadFinish(t, record, value);
  yield t.syscall(SYS_EXIT, typeof value === 'number' ? value : 0);
  throw new Error('pthread_exit: exit returned');
}

function selfRecord(t: Guest): ThreadRecord {
  const threads = table(t);
  let record = threads.byTid.get(t.tid);
  if (record === undefined) {
    // An initial thread (a process's first): its descriptor is the top of its stack.
    const handle = t.stackTop - STACK_TOP_RESERVED;
    t.store32(handle, t.tid);
    record = { handle, tid: t.tid, detached: false, joiner: 0, exited: false, value: undefined, stack: null };
    threads.byHandle.set(handle, record);
    threads.byTid.set(t.tid, record);
  }
  return record;
}

export function pthread_self(t: Guest): pthread_t {
  return selfRecord(t).handle;
}

/** Non-zero when the two handles name the same thread. */
export function pthread_equal(a: pthread_t, b: pthread_t): number {
  return a === b ? 1 : 0;
}

/** The descriptor (pthread_t) of the calling thread. */
export function selfDescriptor(t: Guest): pthread_t {
  return selfRecord(t).handle;
}

/** The kernel tid a handle names, or 0 when the handle names no thread this process knows. */
export function threadTid(t: Guest, thread: pthread_t): number {
  return table(t).byHandle.get(thread)?.tid ?? 0;
}

/**
 * In a fork child (LIBC-9): the forking thread, `parentTid` in the parent, is the only thread,
 * now with the caller's tid; every other thread's record is forgotten and its stack goes to the
 * cache with a cleared tid word, as glibc's child reclaims the stacks of threads it lacks.
 */
export function forkChildThreads(t: Guest, parentTid: number): void {
  const threads = table(t);
  const mine = threads.byTid.get(parentTid);
  for (const record of threads.byHandle.values()) {
    if (record === mine) continue;
    t.store32(record.handle, 0);
    if (record.stack !== null) threads.cache.push({ stack: record.stack, handle: record.handle });
  }
  for (const entry of threads.cache) t.store32(entry.handle, 0);
  threads.byHandle.clear();
  threads.byTid.clear();
  if (mine === undefined) return;
  mine.tid = t.tid;
  mine.joiner = 0;
  t.store32(mine.handle, t.tid);
  threads.byHandle.set(mine.handle, mine);
  threads.byTid.set(t.tid, mine);
}
