/**
 * Scheduling of pthreads (LIBC-5, LIBC-6): the scheduling attributes applied at create, and
 * pthread_setschedparam/getschedparam/setschedprio, pthread_setaffinity_np/getaffinity_np,
 * pthread_setname_np/getname_np and pthread_getcpuclockid on a pthread_t. Calls return POSIX
 * error numbers (0 = success); getters return [err, value].
 *
 * The improved libc follows glibc (nptl/pthread_attr_setschedpolicy.c, pthread_setschedparam.c,
 * pthread_getcpuclockid.c, pthread_create.c's ATTR_FLAG_NOTINHERITSCHED path): each call on a
 * thread looks up its kernel tid (ESRCH when it has exited) and makes the sched_* system call
 * on that tid, so the kernel's EINVAL and EPERM come back unchanged.
 *
 * The relibc variant does what relibc's code does (src/header/pthread/attr.rs, mod.rs and
 * src/pthread/mod.rs; stored versions, not necessarily @08fc95fc, which models.md §3 does not
 * cover for these files):
 * - attributes: the default policy is SCHED_RR ("Redox uses a round-robin scheduler"); a bad
 *   policy, inheritsched or scope is ENOTSUP; PTHREAD_SCOPE_PROCESS is stored; the param is
 *   stored unchecked; pthread_create ignores inheritsched, policy and param altogether;
 * - pthread_setschedparam and pthread_setschedprio are `// TODO Ok(())`: 0, nothing changes;
 * - pthread_getschedparam is `todo!()`: the call panics, which aborts the process (SIGABRT);
 * - pthread_getcpuclockid is `// TODO Err(ENOENT)`;
 * - names and affinity: the header has no pthread_*_np; the variant uses the Redox proc-scheme
 *   handles `name` and `sched-affinity` (SCHED-11, libc/proc-handles.ts), as Red Bear does.
 */
import type { Program } from '../abi/effects.ts';
import { EINVAL, ENOENT, ENOTSUP, ESRCH } from '../abi/errno.ts';
import type { Guest } from '../abi/guest.ts';
import { SCHED_FIFO, SCHED_OTHER, SCHED_RR } from '../abi/sched.ts';
import {
  SYS_SCHED_GET_PRIORITY_MAX,
  SYS_SCHED_GET_PRIORITY_MIN,
  SYS_SCHED_GETPARAM,
  SYS_SCHED_GETSCHEDULER,
  SYS_SCHED_SETPARAM,
  SYS_SCHED_SETSCHEDULER,
} from '../abi/syscalls.ts';
import {
  PTHREAD_EXPLICIT_SCHED,
  PTHREAD_INHERIT_SCHED,
  PTHREAD_SCOPE_PROCESS,
  PTHREAD_SCOPE_SYSTEM,
} from './layout.ts';
import * as procHandles from './proc-handles.ts';
import { type pthread_attr_t, type pthread_t, pthread_self, threadTid } from './pthread.ts';
import type { sched_param } from './sched.ts';
import { attrGet } from './attr.ts';
import { boostedPriority, protectedBase, setOwnPriority } from './improved/tpp.ts';
import { threadScratch } from './scratch.ts';
import { syscall } from './sys.ts';
import { libcOf } from './select.ts';

export { sched_yield } from './sys.ts';

/** glibc's ATTR_FLAG_POLICY_SET and ATTR_FLAG_SCHED_SET, in pthread_attr_t.schedset. */
const POLICY_SET = 1;
const PARAM_SET = 2;

/** Linux's per-thread CPU clock of `tid` (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)). */
export function threadCpuClockId(tid: number): number {
  return (~tid << 3) | 4 | 2;
}

const schedOf = (t: Guest) => libcOf(t).sched;
const posixPolicy = (policy: number) =>
  policy === SCHED_OTHER || policy === SCHED_FIFO || policy === SCHED_RR;

function relibcTodo(call: string): never {
  throw new Error(`relibc: ${call} is todo!() (src/pthread/mod.rs get_sched_param)`);
}

// --- attributes ---

/** pthread_attr_setschedpolicy: SCHED_OTHER, FIFO or RR; else EINVAL (relibc: ENOTSUP). */
export function pthread_attr_setschedpolicy(t: Guest, attr: pthread_attr_t, policy: number): number {
  if (!attr.initialized) return EINVAL;
  if (!posixPolicy(policy)) return schedOf(t).attrBadValueErrno;
  attr.schedpolicy = policy;
  attr.schedset |= POLICY_SET;
  return 0;
}

/** pthread_attr_getschedpolicy: [0, policy]; SCHED_OTHER by default (relibc: SCHED_RR). */
export function pthread_attr_getschedpolicy(t: Guest, attr: pthread_attr_t): [number, number] {
  if (!attr.initialized) return [EINVAL, 0];
  const unset = schedOf(t).attrUnsetPolicy;
  if ((attr.schedset & POLICY_SET) === 0 && unset !== null) return [0, unset];
  return [0, attr.schedpolicy];
}

/**
 * pthread_attr_setschedparam: glibc checks the priority against the limits of the attribute's
 * policy (sched_get_priority_min/max, so 0 for SCHED_OTHER, 1..99 for FIFO and RR): EINVAL
 * outside them. relibc stores any value.
 */
export function* pthread_attr_setschedparam(
  t: Guest,
  attr: pthread_attr_t,
  param: sched_param,
): Program<number> {
  if (!attr.initialized) return EINVAL;
  const prio = param.sched_priority;
  if (schedOf(t).attrChecksPriority) {
    const min = yield* syscall(t, SYS_SCHED_GET_PRIORITY_MIN, attr.schedpolicy);
    const max = yield* syscall(t, SYS_SCHED_GET_PRIORITY_MAX, attr.schedpolicy);
    if (min < 0) return -min;
    if (max < 0) return -max;
    if (!Number.isInteger(prio) || prio < min || prio > max) return EINVAL;
  }
  attr.schedpriority = prio;
  attr.schedset |= PARAM_SET;
  return 0;
}

/** pthread_attr_getschedparam: [0, param] (priority 0 by default). */
export function pthread_attr_getschedparam(_t: Guest, attr: pthread_attr_t): [number, sched_param | null] {
  if (!attr.initialized) return [EINVAL, null];
  return [0, { sched_priority: attr.schedpriority }];
}

/** pthread_attr_setinheritsched: INHERIT (default) or EXPLICIT; else EINVAL (relibc: ENOTSUP). */
export function pthread_attr_setinheritsched(t: Guest, attr: pthread_attr_t, inherit: number): number {
  if (!attr.initialized) return EINVAL;
  if (inherit !== PTHREAD_INHERIT_SCHED && inherit !== PTHREAD_EXPLICIT_SCHED) {
    return schedOf(t).attrBadValueErrno;
  }
  attr.inheritsched = inherit;
  return 0;
}

export function pthread_attr_getinheritsched(_t: Guest, attr: pthread_attr_t): [number, number] {
  return attrGet(attr, 'inheritsched');
}

/**
 * pthread_attr_setscope: threads are 1:1 with kernel contexts, so only PTHREAD_SCOPE_SYSTEM;
 * PROCESS is ENOTSUP and anything else EINVAL (glibc). relibc stores either, ENOTSUP otherwise.
 */
export function pthread_attr_setscope(t: Guest, attr: pthread_attr_t, scope: number): number {
  if (!attr.initialized) return EINVAL;
  const sched = schedOf(t);
  if (scope === PTHREAD_SCOPE_PROCESS && !sched.attrAcceptsProcessScope) return ENOTSUP;
  if (scope !== PTHREAD_SCOPE_SYSTEM && scope !== PTHREAD_SCOPE_PROCESS) return sched.attrBadValueErrno;
  attr.scope = scope;
  return 0;
}

export function pthread_attr_getscope(_t: Guest, attr: pthread_attr_t): [number, number] {
  return attrGet(attr, 'scope');
}

/**
 * pthread_create's PTHREAD_EXPLICIT_SCHED step, on the new, not yet started thread `tid`: the
 * attribute's policy and priority (or the creator's, for the one that was not set, as glibc's
 * pthread_create fills them in) through sched_setscheduler on the new tid. Returns 0 or the
 * kernel's errno (EINVAL, EPERM), which pthread_create returns. relibc ignores the attribute.
 */
export function* applyCreateSched(t: Guest, tid: number, attr: pthread_attr_t): Program<number> {
  if (attr.inheritsched !== PTHREAD_EXPLICIT_SCHED || !schedOf(t).createAppliesExplicitSched) return 0;
  let policy = attr.schedpolicy;
  let prio = attr.schedpriority;
  if ((attr.schedset & POLICY_SET) === 0) {
    policy = yield* syscall(t, SYS_SCHED_GETSCHEDULER, 0);
    if (policy < 0) return -policy;
  }
  const buf = yield* threadScratch(t);
  if ((attr.schedset & PARAM_SET) === 0) {
    const r = yield* syscall(t, SYS_SCHED_GETPARAM, 0, buf);
    if (r < 0) return -r;
    prio = t.load32(buf) | 0;
  }
  t.store32(buf, prio);
  const r = yield* syscall(t, SYS_SCHED_SETSCHEDULER, tid, policy, buf);
  return r < 0 ? -r : 0;
}

// --- calls on a thread ---

/** The live kernel tid of a pthread of this process, or 0 (ESRCH): unknown, joined or exited. */
function liveTid(t: Guest, thread: pthread_t): number {
  const tid = threadTid(t, thread);
  if (tid === 0) return 0;
  // The kernel clears the descriptor's tid word when the thread exits (CLONE_CHILD_CLEARTID).
  return t.load32(thread) === tid ? tid : 0;
}

/**
 * pthread_setschedparam: sched_setscheduler on the thread's tid; ESRCH, EINVAL (a negative or
 * unknown policy, a priority the policy does not take: the kernel's), EPERM. A thread holding
 * PRIO_PROTECT mutexes keeps its ceiling boost: the kernel gets the higher of the two and the
 * requested priority becomes its own (nptl/pthread_setschedparam.c).
 */
export function* pthread_setschedparam(
  t: Guest,
  thread: pthread_t,
  policy: number,
  param: sched_param,
): Program<number> {
  if (!schedOf(t).threadSchedCalls) return 0; // relibc: set_sched_param is `// TODO Ok(())`
  const tid = liveTid(t, thread);
  if (tid === 0) return ESRCH;
  const buf = yield* threadScratch(t);
  t.store32(buf, boostedPriority(t, tid, param.sched_priority));
  const r = yield* syscall(t, SYS_SCHED_SETSCHEDULER, tid, policy, buf);
  if (r < 0) return -r;
  setOwnPriority(t, tid, policy, param.sched_priority);
  return 0;
}

/**
 * pthread_getschedparam: [0, policy, param] or [errno, -1, null]: the thread's own policy and
 * priority, which while it holds PRIO_PROTECT mutexes is not the ceiling the kernel runs it at
 * (glibc reports pd->schedparam; the boost lives in pd->tpp: tpp.ts protectedBase).
 */
export function* pthread_getschedparam(
  t: Guest,
  thread: pthread_t,
): Program<[number, number, sched_param | null]> {
  if (!schedOf(t).threadSchedCalls) relibcTodo('pthread_getschedparam');
  const tid = liveTid(t, thread);
  if (tid === 0) return [ESRCH, -1, null];
  const own = protectedBase(t, tid);
  if (own !== null) return [0, own.policy, { sched_priority: own.priority }];
  const policy = yield* syscall(t, SYS_SCHED_GETSCHEDULER, tid);
  if (policy < 0) return [-policy, -1, null];
  const buf = yield* threadScratch(t);
  const r = yield* syscall(t, SYS_SCHED_GETPARAM, tid, buf);
  if (r < 0) return [-r, -1, null];
  return [0, policy, { sched_priority: t.load32(buf) | 0 }];
}

/**
 * pthread_setschedprio: sched_setparam on the thread's tid (its policy kept), raised to a held
 * PRIO_PROTECT ceiling as pthread_setschedparam is (nptl/pthread_setschedprio.c).
 */
export function* pthread_setschedprio(t: Guest, thread: pthread_t, prio: number): Program<number> {
  if (!schedOf(t).threadSchedCalls) return 0; // relibc: set_sched_priority is `// TODO Ok(())`
  const tid = liveTid(t, thread);
  if (tid === 0) return ESRCH;
  const buf = yield* threadScratch(t);
  t.store32(buf, boostedPriority(t, tid, prio));
  const r = yield* syscall(t, SYS_SCHED_SETPARAM, tid, buf);
  if (r < 0) return -r;
  const own = protectedBase(t, tid);
  if (own !== null) setOwnPriority(t, tid, own.policy, prio);
  return 0;
}

/**
 * pthread_setaffinity_np with the set as CPU ids: glibc's is sched_setaffinity on the tid,
 * returning its errno (EINVAL for a set with no online CPU, EPERM for another user's thread).
 */
export function* pthread_setaffinity_np(
  t: Guest,
  thread: pthread_t,
  cpus: readonly number[],
): Program<number> {
  const tid = liveTid(t, thread);
  if (tid === 0) return ESRCH;
  return yield* schedOf(t).setAffinity(t, tid, cpus);
}

/** pthread_getaffinity_np: [0, the CPUs the thread may run on] or [errno, []]. */
export function* pthread_getaffinity_np(t: Guest, thread: pthread_t): Program<[number, number[]]> {
  const tid = liveTid(t, thread);
  if (tid === 0) return [ESRCH, []];
  return yield* schedOf(t).getAffinity(t, tid);
}

/**
 * pthread_setname_np through the thread's `/proc/<tid>/name` handle (glibc writes
 * /proc/self/task/<tid>/comm): ERANGE for a name of more than 15 bytes, ESRCH for a gone thread.
 */
export function* pthread_setname_np(t: Guest, thread: pthread_t, name: string): Program<number> {
  const tid = liveTid(t, thread);
  if (tid === 0) return ESRCH;
  return yield* procHandles.proc_set_name(t, tid, name);
}

/** pthread_getname_np: [0, name]; ERANGE when `len` is below 16 (TASK_COMM_LEN), ESRCH. */
export function* pthread_getname_np(t: Guest, thread: pthread_t, len: number): Program<[number, string]> {
  const tid = liveTid(t, thread);
  if (tid === 0) return [ESRCH, ''];
  return yield* procHandles.proc_get_name(t, tid, len);
}

/**
 * pthread_getcpuclockid: [0, the clock id of the thread's CPU time], Linux's encoding
 * (~tid << 3) | CPUCLOCK_PERTHREAD_MASK | CPUCLOCK_SCHED, which clock_gettime answers from the
 * thread's run time (kernel/time.ts). Like glibc, no check that the thread is alive: a clock
 * of a thread that has gone reads EINVAL. relibc: ENOENT.
 */
export function pthread_getcpuclockid(t: Guest, thread: pthread_t): [number, number] {
  if (!schedOf(t).threadCpuClocks) return [ENOENT, 0];
  const tid = thread === pthread_self(t) ? t.tid : threadTid(t, thread);
  if (tid === 0) return [ESRCH, 0];
  return [0, threadCpuClockId(tid)];
}
