/**
 * Priority protection bookkeeping of a thread (LIBC-2's priority ceiling), after glibc's
 * tpp.c: how many PTHREAD_PRIO_PROTECT mutexes the thread holds at each ceiling, and the
 * highest of them. While it holds any, the thread runs at max(its own RT priority, that
 * highest ceiling), set with sched_setscheduler in its own policy; when the last is released it
 * returns to its own priority.
 *
 * As glibc's, the boost is a sched_setscheduler call in the thread's own policy, so a
 * SCHED_OTHER thread (whose only valid sched_priority is 0) gets the kernel's EINVAL for any
 * ceiling, and an unprivileged one EPERM. The thread's own priority is read from the kernel
 * (sched_getscheduler, sched_getparam) whenever it holds no PP mutex, and kept while it holds
 * some (glibc caches it for the thread's life). Unlike glibc, a failed boost undoes its count.
 */
import type { Program } from '../../abi/effects.ts';
import type { Guest } from '../../abi/guest.ts';
import { RT_PRIO_MAX } from '../../abi/sched.ts';
import { SYS_SCHED_GETPARAM, SYS_SCHED_GETSCHEDULER, SYS_SCHED_SETSCHEDULER } from '../../abi/syscalls.ts';
import { threadScratch } from '../scratch.ts';
import { syscall } from '../sys.ts';

interface Tpp {
  /** Mutexes held per ceiling (index 1..99). */
  held: number[];
  /** The highest ceiling held, 0 when none. */
  max: number;
  /** The thread's own policy and sched_priority, read when it held none. */
  policy: number;
  base: number;
}

function tppOf(t: Guest): Tpp {
  let all = t.data.tpp as Map<number, Tpp> | undefined;
  if (all === undefined) t.data.tpp = all = new Map();
  let s = all.get(t.tid);
  if (s === undefined) {
    s = { held: new Array(RT_PRIO_MAX + 1).fill(0), max: 0, policy: 0, base: 0 };
    all.set(t.tid, s);
  }
  return s;
}

function bump(s: Tpp, ceiling: number, by: number): void {
  if (ceiling !== -1) s.held[ceiling] = s.held[ceiling]! + by;
}

/** The caller's own RT priority (0 for SCHED_OTHER): [0, priority] or [errno, 0]. */
export function* ownPriority(t: Guest): Program<[number, number]> {
  const s = tppOf(t);
  if (s.max > 0) return [0, s.base];
  const policy = yield* syscall(t, SYS_SCHED_GETSCHEDULER, 0);
  if (policy < 0) return [-policy, 0];
  const buf = yield* threadScratch(t);
  const r = yield* syscall(t, SYS_SCHED_GETPARAM, 0, buf);
  if (r < 0) return [-r, 0];
  s.policy = policy;
  s.base = t.load32(buf) | 0;
  return [0, s.base];
}

/**
 * One more hold at ceiling `next` and one fewer at `previous` (-1 for neither); when the
 * highest ceiling changes, the thread's priority follows. Returns 0 or the errno of the
 * sched_setscheduler call (the counts are then as before). ownPriority must have run first.
 */
export function* changePriority(t: Guest, previous: number, next: number): Program<number> {
  const s = tppOf(t);
  const before = s.max;
  bump(s, next, 1);
  bump(s, previous, -1);
  let max = 0;
  for (let p = RT_PRIO_MAX; p > 0; p--) {
    if (s.held[p]! > 0) {
      max = p;
      break;
    }
  }
  if (max === before) return 0;
  s.max = max;
  const want = Math.max(s.base, max);
  if (want === Math.max(s.base, before)) return 0;
  const buf = yield* threadScratch(t);
  t.store32(buf, want);
  const r = yield* syscall(t, SYS_SCHED_SETSCHEDULER, 0, s.policy, buf);
  if (r >= 0) return 0;
  bump(s, next, -1);
  bump(s, previous, 1);
  s.max = before;
  return -r;
}

/** The bookkeeping of thread `tid` of the caller's process while it holds a PP mutex, else null. */
function holding(t: Guest, tid: number): Tpp | null {
  const s = (t.data.tpp as Map<number, Tpp> | undefined)?.get(tid);
  return s !== undefined && s.max > 0 ? s : null;
}

/**
 * What pthread_getschedparam reports for thread `tid` while it holds a PP mutex: its own policy
 * and priority, not the boost. glibc keeps them in the descriptor (pd->schedpolicy,
 * pd->schedparam; nptl/pthread_getschedparam.c) and the boost only in pd->tpp (nptl/tpp.c), so
 * the kernel's raised priority never shows there. null when it holds none: the kernel's
 * values are then its own.
 */
export function protectedBase(t: Guest, tid: number): { policy: number; priority: number } | null {
  const s = holding(t, tid);
  return s === null ? null : { policy: s.policy, priority: s.base };
}

/**
 * The priority the kernel gets when pthread_setschedparam/setschedprio set thread `tid` to
 * `priority`: raised to its highest held ceiling, as nptl/pthread_setschedparam.c does when
 * pd->tpp->priomax is above the request.
 */
export function boostedPriority(t: Guest, tid: number, priority: number): number {
  const s = holding(t, tid);
  return s === null ? priority : Math.max(priority, s.max);
}

/**
 * After a successful pthread_setschedparam/setschedprio on `tid`: its new own policy and
 * priority, which the last PP unlock restores (glibc stores the caller's param, not the boosted
 * one, in pd->schedparam). Nothing to keep when it holds none: ownPriority reads the kernel.
 */
export function setOwnPriority(t: Guest, tid: number, policy: number, priority: number): void {
  const s = holding(t, tid);
  if (s === null) return;
  s.policy = policy;
  s.base = priority;
}
