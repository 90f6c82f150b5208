/**
 * The relibc variant as one `Libc` object (libc.ts): relibc's src/sync and pthread code as it
 * behaves at 08fc95fc, quirks included (models.md §3). Each member names the file its
 * algorithm lives in; the data members are what relibc does or lacks, each with its source.
 * Data members are literals or constants of modules without imports (abi/, layout.ts): this
 * object is built while the public libc files that import select.ts may still be loading.
 */
import { ENOTSUP } from '../../abi/errno.ts';
import { SCHED_RR } from '../../abi/sched.ts';
import { INT_MAX } from '../layout.ts';
import { IO_CALLS } from '../io-calls.ts';
import type { Libc } from '../libc.ts';
import { proc_get_affinity, proc_set_affinity } from '../proc-handles.ts';
import * as barrier from './barrier.ts';
import * as cancel from './cancel.ts';
import * as cond from './cond.ts';
import * as futex from './futex.ts';
import * as mutex from './mutex.ts';
import * as once from './once.ts';
import * as rwlock from './rwlock.ts';
import * as sem from './sem.ts';

export const relibcLibc: Libc = {
  name: 'relibc',
  // Redox's futexes have no private flag.
  futex: { waitUntil: futex.waitUntil, privateFlag: 0 },
  mutex: {
    honoursProtocol: false, // the protocol attribute is stored, never used
    isLocked: mutex.isLocked,
    lock: mutex.lockUntil,
    trylock: mutex.trylock,
    unlock: mutex.unlock,
    consistent: mutex.consistent,
    getprioceiling: mutex.getprioceiling,
    setprioceiling: mutex.setprioceiling,
  },
  cond: { init: cond.init, wait: cond.wait, signal: cond.signal, broadcast: cond.broadcast },
  rwlock: { init: rwlock.init, rdlock: rwlock.rdlock, wrlock: rwlock.wrlock, unlock: rwlock.unlock },
  once: { once: once.once },
  barrier: { destroy: barrier.destroy, lockWakeCount: INT_MAX, awaitCycle: barrier.awaitCycle },
  // Named semaphores are todo!("named semaphores") and not exported.
  sem: { wait: sem.wait, wakeAfterPost: sem.wakeAfterPost, hasNamed: false },
  cancel: {
    markExiting: cancel.markExiting,
    onSigcancel: cancel.onSigcancel,
    request: cancel.request,
    setState: cancel.setState,
    setType: cancel.setType,
    test: cancel.test,
    point: cancel.point,
  },
  // src/header/pthread/attr.rs and mod.rs, src/pthread/mod.rs (pthread-sched.ts's comment).
  sched: {
    attrBadValueErrno: ENOTSUP,
    attrUnsetPolicy: SCHED_RR, // "Redox uses a round-robin scheduler"
    attrChecksPriority: false,
    attrAcceptsProcessScope: true,
    createAppliesExplicitSched: false,
    threadSchedCalls: false,
    threadCpuClocks: false,
    // No pthread_*affinity_np in relibc: the Redox proc-scheme handle, as Red Bear does.
    setAffinity: proc_set_affinity,
    getAffinity: proc_get_affinity,
  },
  // The descriptor calls: one code for both (io-calls.ts).
  io: IO_CALLS,
  thread: {
    registersRobustList: false, // no robust lists
    hasJoinNp: false,
    atforkPerThread: true, // `fork_hooks` is #[thread_local]
    atforkPrepareReversed: false,
    atforkParentOnFailure: false,
  },
};
