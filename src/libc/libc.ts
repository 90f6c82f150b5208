/**
 * The `Libc` interface: everything in which the two libc variants differ, as one typed object
 * per variant (relibc/index.ts: the baseline, relibc's code as it behaves, models.md §3;
 * improved/index.ts: POSIX and glibc semantics over Linux futex ops, §5). The public calls
 * (mutex.ts, cond.ts, cancel.ts ...) do the part both share and ask `libcOf(t)` (select.ts)
 * for the rest, so no public call branches on the variant's name, and TypeScript refuses a
 * variant that leaves out a member (none is optional; `LIBC_MEMBERS` below must list each one,
 * which the test of this file checks against both objects).
 *
 * Members are algorithms (generators yielding the variant's futex calls) where the variants'
 * code differs, and plain data where they differ only in a value (an errno, a wake count, a
 * feature relibc lacks); the data members say in their names what they decide.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import type { CleanupRoutine } from './cleanup.ts';
import type { Deadline } from './futex.ts';
import type { LibcVariantName } from './variant.ts';

/** The futex calls every primitive makes (futex.ts). */
export interface LibcFutex {
  /** Sleeps while the word at `addr` is `expected`, until `deadline`: 0 or -errno. */
  waitUntil(
    t: Guest,
    addr: number,
    expected: number,
    deadline: Deadline | null,
    shared: boolean,
  ): Program<number>;
  /** The flag a process-private word's futex call carries (0: the variant never sets one). */
  readonly privateFlag: number;
}

export interface LibcMutex {
  /** Does pthread_mutex_init honour the attribute's protocol (PRIO_INHERIT, PRIO_PROTECT)? */
  readonly honoursProtocol: boolean;
  isLocked(t: Guest, m: number): boolean;
  /** lock, timedlock and clocklock (deadline null: no timeout); the deadline's clock is valid. */
  lock(t: Guest, m: number, deadline: Deadline | null): Program<number>;
  trylock(t: Guest, m: number): Program<number>;
  unlock(t: Guest, m: number): Program<number>;
  consistent(t: Guest, m: number): number;
  getprioceiling(t: Guest, m: number): [number, number];
  setprioceiling(t: Guest, m: number, ceiling: number): Program<[number, number]>;
}

export interface LibcCond {
  init(t: Guest, c: number, flags: number): void;
  wait(t: Guest, c: number, m: number, deadline: Deadline | null): Program<number>;
  signal(t: Guest, c: number): Program<number>;
  broadcast(t: Guest, c: number): Program<number>;
}

export interface LibcRwlock {
  init(t: Guest, rw: number, flags: number): void;
  rdlock(t: Guest, rw: number, deadline: Deadline | null, trying: boolean): Program<number>;
  wrlock(t: Guest, rw: number, deadline: Deadline | null, trying: boolean): Program<number>;
  unlock(t: Guest, rw: number): Program<number>;
}

export interface LibcOnce {
  once(t: Guest, once: number, init: (t: Guest) => Program<void>): Program<number>;
}

export interface LibcBarrier {
  destroy(t: Guest, b: number): Program<number>;
  /** How many waiters the internal lock's contended unlock wakes. */
  readonly lockWakeCount: number;
  /** A non-last arrival, holding the internal lock: waits for `generation` to end, unlocks. */
  awaitCycle(t: Guest, b: number, generation: number): Program<void>;
}

export interface LibcSem {
  /** sem_wait's algorithm: 0 or an errno (the caller sets errno). */
  wait(t: Guest, s: number, deadline: Deadline | null): Program<number>;
  /** sem_post after it added its unit: the wake. */
  wakeAfterPost(t: Guest, s: number): Program<void>;
  /** sem_open, sem_close and sem_unlink exist. */
  readonly hasNamed: boolean;
}

export interface LibcCancel {
  /** pthread_exit's first step: no later cancellation point acts again. */
  markExiting(t: Guest): void;
  /** The SIGCANCEL handler's body. */
  onSigcancel(t: Guest): Program<void>;
  /** pthread_cancel once the thread is known: `word` is its cancellation word, `tid` its tid. */
  request(t: Guest, thread: number, tid: number, word: number): Program<number>;
  setState(t: Guest, state: number): Program<[number, number]>;
  setType(t: Guest, type: number): Program<[number, number]>;
  test(t: Guest): Program<void>;
  /** Runs a blocking call as a cancellation point. */
  point<T>(t: Guest, body: Program<T>, onCancel: CleanupRoutine | null, arg: unknown): Program<T>;
}

export interface LibcSched {
  /** The errno of a policy, inheritsched or scope value the attribute setters do not know. */
  readonly attrBadValueErrno: number;
  /** What pthread_attr_getschedpolicy reports before a policy was set; null: the stored one. */
  readonly attrUnsetPolicy: number | null;
  /** Does pthread_attr_setschedparam check the priority against the policy's limits? */
  readonly attrChecksPriority: boolean;
  /** Is PTHREAD_SCOPE_PROCESS accepted (stored) rather than ENOTSUP? */
  readonly attrAcceptsProcessScope: boolean;
  /** Does pthread_create apply PTHREAD_EXPLICIT_SCHED attributes? */
  readonly createAppliesExplicitSched: boolean;
  /** Do pthread_setschedparam/setschedprio/getschedparam act (false: relibc's TODOs)? */
  readonly threadSchedCalls: boolean;
  /** Does pthread_getcpuclockid answer a clock (false: ENOENT)? */
  readonly threadCpuClocks: boolean;
  setAffinity(t: Guest, tid: number, cpus: readonly number[]): Program<number>;
  getAffinity(t: Guest, tid: number): Program<[number, number[]]>;
}

export interface LibcThread {
  /** Does a new thread register its robust mutex list as it starts? */
  readonly registersRobustList: boolean;
  /** pthread_tryjoin_np, pthread_timedjoin_np and pthread_clockjoin_np exist. */
  readonly hasJoinNp: boolean;
  /** pthread_atfork's lists belong to the calling thread (true) or to the process. */
  readonly atforkPerThread: boolean;
  /** fork runs the prepare handlers last registered first (POSIX) rather than in order. */
  readonly atforkPrepareReversed: boolean;
  /** fork runs the parent handlers even when it failed. */
  readonly atforkParentOnFailure: boolean;
}

/**
 * The descriptor calls (io.ts): each returns the kernel's answer (a result or -errno). Both
 * variants use the same code (io-calls.ts); the kernel underneath differs (kernel/fd/mode.ts).
 */
export interface LibcIo {
  openat(t: Guest, dirfd: number, path: string, flags: number, mode: number): Program<number>;
  read(t: Guest, fd: number, buf: number, len: number): Program<number>;
  write(t: Guest, fd: number, buf: number, len: number): Program<number>;
  close(t: Guest, fd: number): Program<number>;
  dup(t: Guest, fd: number): Program<number>;
  dup2(t: Guest, oldFd: number, newFd: number): Program<number>;
  pipe2(t: Guest, fdsAddr: number, flags: number): Program<number>;
  lseek(t: Guest, fd: number, offset: number, whence: number): Program<number>;
  fstat(t: Guest, fd: number, statAddr: number): Program<number>;
  fcntl(t: Guest, fd: number, cmd: number, arg: number): Program<number>;
  mkdir(t: Guest, path: string, mode: number): Program<number>;
  rmdir(t: Guest, path: string): Program<number>;
  unlink(t: Guest, path: string): Program<number>;
  getdents64(t: Guest, fd: number, buf: number, len: number): Program<number>;
  poll(t: Guest, fdsAddr: number, nfds: number, timeoutMs: number): Program<number>;
}

export interface Libc {
  readonly name: LibcVariantName;
  readonly futex: LibcFutex;
  readonly mutex: LibcMutex;
  readonly cond: LibcCond;
  readonly rwlock: LibcRwlock;
  readonly once: LibcOnce;
  readonly barrier: LibcBarrier;
  readonly sem: LibcSem;
  readonly cancel: LibcCancel;
  readonly sched: LibcSched;
  readonly thread: LibcThread;
  readonly io: LibcIo;
}

type Groups = Exclude<keyof Libc, 'name'>;

/**
 * Every member of every group, for the test that both variants define each: typed so that
 * leaving a member out of this table (or naming one the interface lacks) does not compile.
 */
export const LIBC_MEMBERS: { readonly [G in Groups]: { readonly [M in keyof Libc[G]]-?: true } } = {
  futex: { waitUntil: true, privateFlag: true },
  mutex: {
    honoursProtocol: true,
    isLocked: true,
    lock: true,
    trylock: true,
    unlock: true,
    consistent: true,
    getprioceiling: true,
    setprioceiling: true,
  },
  cond: { init: true, wait: true, signal: true, broadcast: true },
  rwlock: { init: true, rdlock: true, wrlock: true, unlock: true },
  once: { once: true },
  barrier: { destroy: true, lockWakeCount: true, awaitCycle: true },
  sem: { wait: true, wakeAfterPost: true, hasNamed: true },
  cancel: {
    markExiting: true,
    onSigcancel: true,
    request: true,
    setState: true,
    setType: true,
    test: true,
    point: true,
  },
  sched: {
    attrBadValueErrno: true,
    attrUnsetPolicy: true,
    attrChecksPriority: true,
    attrAcceptsProcessScope: true,
    createAppliesExplicitSched: true,
    threadSchedCalls: true,
    threadCpuClocks: true,
    setAffinity: true,
    getAffinity: true,
  },
  io: {
    openat: true,
    read: true,
    write: true,
    close: true,
    dup: true,
    dup2: true,
    pipe2: true,
    lseek: true,
    fstat: true,
    fcntl: true,
    mkdir: true,
    rmdir: true,
    unlink: true,
    getdents64: true,
    poll: true,
  },
  thread: {
    registersRobustList: true,
    hasJoinNp: true,
    atforkPerThread: true,
    atforkPrepareReversed: true,
    atforkParentOnFailure: true,
  },
};
