/**
 * `smpsim/guest`: what you need to write your own guest program (issue 22), against the same
 * libc the built-in programs use (src/workloads/): pthreads, mutexes, condition variables,
 * barriers, semaphores, the system calls, time, scheduling, processes. A program module exports
 * `program: GuestProgram`; `[[workload]] kind = "program", module = "./my-prog.ts"` runs it, its
 * `publish`ed results become `workload.<name>.<key>` metrics, and a thrown error (a failed check
 * of yours) is a guest fault: the process is killed (processes.killed), the simulator goes on.
 * examples/programs/ holds one; docs/tutorial.md walks through it.
 *
 * Guest code is a generator: each `yield` is one effect on the simulated CPU (compute cycles, a
 * system call, an atomic), and `yield*` calls a libc function.
 * @module smpsim/guest
 */
export { AtomicOp, MemOrder, type Program } from './abi/effects.ts';
export type { Guest, ProgramImage, ThreadEntry } from './abi/guest.ts';
export * from './abi/errno.ts';
export * from './libc/pthread.ts';
export * from './libc/mutex.ts';
export * from './libc/cond.ts';
export {
  type pthread_barrier_t,
  pthread_barrier_destroy,
  pthread_barrier_init,
  pthread_barrier_new,
  pthread_barrier_wait,
  pthread_barrierattr_destroy,
  pthread_barrierattr_getpshared,
  pthread_barrierattr_init,
  pthread_barrierattr_setpshared,
  pthread_barrierattr_t,
} from './libc/barrier.ts';
export {
  sem_clockwait,
  sem_destroy,
  sem_getvalue,
  sem_init,
  sem_post,
  type sem_t,
  sem_timedwait,
  sem_trywait,
  sem_wait,
} from './libc/sem.ts';
export * from './libc/sys.ts';
export * from './libc/time.ts';
export * from './libc/sched.ts';
export * from './libc/process.ts';
export * from './libc/proc-handles.ts';
export {
  attrOnCpus,
  type GuestProgram,
  intArg,
  intsArg,
  type ParamProblem,
  type ParamSpec,
  type ParamValue,
  type ProgramArgs,
  type ProgramMachine,
  stringArg,
} from './workloads/program.ts';
export { publish } from './workloads/common.ts';
export { PROGRAM_EXPORT_SIGNATURE, programProblem } from './workloads/program-module.ts';
