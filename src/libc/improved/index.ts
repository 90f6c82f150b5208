/**
 * The improved variant as one `Libc` object (libc.ts): POSIX and glibc semantics over Linux
 * futex ops (models.md §5). Each member names the file its algorithm lives in; the data
 * members are what glibc does, each with its source; as in relibc/index.ts, they are literals
 * or constants of modules without imports.
 */
import type { Program } from '../../abi/effects.ts';
import { EINVAL } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import { FUTEX_PRIVATE_FLAG } from '../../abi/syscalls.ts';
import { errno } from '../errno.ts';
import { IO_CALLS } from '../io-calls.ts';
import type { Libc } from '../libc.ts';
import { sched_getaffinity_cpus, sched_setaffinity_cpus } from '../sched.ts';
import * as barrier from './barrier.ts';
import * as cancel from './cancel.ts';
import * as cond from './cond.ts';
import * as futex from './futex.ts';
import * as mutex from './mutex.ts';
import { getCeiling, setCeiling } from './mutex-pp.ts';
import * as once from './once.ts';
import * as rwlock from './rwlock.ts';
import * as sem from './sem.ts';

/** glibc's pthread_setaffinity_np: sched_setaffinity on the tid, its errno returned. */
function* setAffinity(t: Guest, tid: number, cpus: readonly number[]): Program<number> {
  return (yield* sched_setaffinity_cpus(t, tid, cpus)) < 0 ? errno(t) : 0;
}

/** glibc's pthread_getaffinity_np: sched_getaffinity on the tid. */
function* getAffinity(t: Guest, tid: number): Program<[number, number[]]> {
  const cpus = yield* sched_getaffinity_cpus(t, tid);
  return typeof cpus === 'number' ? [errno(t), []] : [0, cpus];
}

export const improvedLibc: Libc = {
  name: 'improved',
  futex: { waitUntil: futex.waitUntil, privateFlag: FUTEX_PRIVATE_FLAG },
  mutex: {
    honoursProtocol: true,
    isLocked: mutex.isLocked,
    lock: mutex.lock,
    trylock: mutex.trylock,
    unlock: mutex.unlock,
    consistent: mutex.consistent,
    getprioceiling: getCeiling,
    setprioceiling: setCeiling,
  },
  cond: { init: cond.init, wait: cond.wait, signal: cond.signal, broadcast: cond.broadcast },
  rwlock: { init: rwlock.init, rdlock: rwlock.rdlock, wrlock: rwlock.wrlock, unlock: rwlock.unlock },
  once: { once: once.once },
  barrier: { destroy: barrier.destroy, lockWakeCount: 1, awaitCycle: barrier.awaitCycle },
  sem: { wait: sem.wait, wakeAfterPost: sem.wakeAfterPost, hasNamed: true },
  cancel: {
    markExiting: cancel.markExiting,
    onSigcancel: cancel.onSigcancel,
    request: cancel.request,
    setState: cancel.setState,
    setType: cancel.setType,
    test: cancel.test,
    point: cancel.point,
  },
  // nptl/pthread_attr_setschedpolicy.c, pthread_attr_setscope.c, pthread_create.c,
  // pthread_setschedparam.c, pthread_getcpuclockid.c.
  sched: {
    attrBadValueErrno: EINVAL,
    attrUnsetPolicy: null,
    attrChecksPriority: true,
    attrAcceptsProcessScope: false,
    createAppliesExplicitSched: true,
    threadSchedCalls: true,
    threadCpuClocks: true,
    setAffinity,
    getAffinity,
  },
  // The descriptor calls: one code for both (io-calls.ts).
  io: IO_CALLS,
  thread: {
    registersRobustList: true, // start_thread registers the robust list
    hasJoinNp: true,
    atforkPerThread: false, // one process-wide list (posix/register-atfork.c)
    atforkPrepareReversed: true,
    atforkParentOnFailure: true,
  },
};
