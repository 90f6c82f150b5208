/**
 * `futex-pi-chain` (FUTEX-6): three owners in a chain of PI futexes on one CPU. T3 owns L3;
 * T2 owns L2 and waits for L3; T1 owns L1 and waits for L2. All three are SCHED_OTHER. A
 * SCHED_FIFO 20 hog then takes the CPU, and a SCHED_FIFO 50 thread H asks for L1.
 *
 * With Linux's PI (`kernel.futex.mode = "linux"`) H's priority flows down the whole chain: T3
 * runs at FIFO 50 at once, ahead of the hog, finishes its critical section, and the locks are
 * handed down the chain to H within a few milliseconds. With Red Bear's patch as written
 * (`"redbear"`) the boost is one level deep and on the Redox nice scale, so an RT waiter lifts
 * nobody: T3 runs only in the 5% of each second RT throttling leaves to SCHED_OTHER, and H
 * waits for that.
 *
 * Before H arrives, T3 asks for L1, which would close the cycle T3 -> L1 -> T1 -> L2 -> T2 ->
 * L3 -> T3: Linux refuses with EDEADLK (`probe_cycle = "on"`). Red Bear's patch does not walk
 * the chain, so the probe would deadlock there; its run leaves the probe off.
 *
 * Published: `cycle_errno` (EDEADLK's 35, or 0 when not probed), `h_wait_ns` (H's LOCK_PI
 * to owning L1), `t3_run_after_ns` (from H's request to T3's next completed work chunk: how
 * soon the boost reached the end of the chain), and `acquired` (H got L1).
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import { ENOSYS } from '../abi/errno.ts';
import type { Guest } from '../abi/guest.ts';
import { SCHED_FIFO } from '../abi/sched.ts';
import { FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, SYS_FUTEX, SYS_GETTID } from '../abi/syscalls.ts';
import { errno } from '../libc/errno.ts';
import { malloc } from '../libc/malloc.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { sched_setscheduler } from '../libc/sched.ts';
import { syscall } from '../libc/sys.ts';
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import { type GuestProgram, intArg, type ProgramArgs, stringArg } from './program.ts';
import { NS_PER_MS, publish } from './common.ts';

const TID_MASK = 0x3fffffff;
/** Work units: T3 computes its critical section in chunks of 100 µs (300k cycles at 3 GHz). */
const CHUNK_CYCLES = 300_000;
const CHUNK_NS = 100_000;

interface Shared {
  locks: [number, number, number];
  probeCycle: boolean;
  t3WorkChunks: number;
  hogMs: number;
  /** Steps reached, so each thread starts the next step in order. */
  t3Locked: boolean;
  t2Locked: boolean;
  t1Locked: boolean;
  hogRunning: boolean;
  cycleErrno: number;
  hRequestNs: number;
  hWaitNs: number;
  t3RunAfterNs: number;
  acquired: number;
}

/** pthread_mutex_lock on a PI word, glibc's way: user-space cmpxchg, else FUTEX_LOCK_PI. */
function* lockPi(t: Guest, word: number): Program<number> {
  const me = yield* syscall(t, SYS_GETTID);
  for (;;) {
    if (((yield t.atomic(AtomicOp.CompareExchange, word, 0, me)) as number) === 0) return 0;
    const r = yield* syscall(t, SYS_FUTEX, word, FUTEX_LOCK_PI, 0, 0, 0, 0);
    if (r < 0) return r;
    if ((((yield t.atomic(AtomicOp.Load, word)) as number) & TID_MASK) === me) return 0;
  }
}

/** pthread_mutex_unlock on a PI word: cmpxchg tid -> 0, else FUTEX_UNLOCK_PI (waiters). */
function* unlockPi(t: Guest, word: number): Program<void> {
  const me = yield* syscall(t, SYS_GETTID);
  if (((yield t.atomic(AtomicOp.CompareExchange, word, me, 0)) as number) === me) return;
  const r = yield* syscall(t, SYS_FUTEX, word, FUTEX_UNLOCK_PI, 0, 0, 0, 0);
  if (r < 0) throw new Error(`futex-pi-chain: FUTEX_UNLOCK_PI failed (${r})`);
}

function* until(t: Guest, ready: () => boolean): Program<void> {
  while (!ready()) yield* sleep_ns(t, 100_000);
}

function* becomeFifo(t: Guest, priority: number): Program<void> {
  if ((yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: priority })) === 0) return;
  const why = errno(t) === ENOSYS ? 'the scheduler has no RT classes' : `errno ${errno(t)}`;
  throw new Error(`futex-pi-chain: SCHED_FIFO ${priority} refused (${why})`);
}

function* t3(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  yield* lockPi(t, s.locks[2]);
  s.t3Locked = true;
  yield* until(t, () => s.t1Locked);
  yield* sleep_ns(t, 1 * NS_PER_MS); // T1 is blocked on L2 by now
  if (s.probeCycle) s.cycleErrno = -(yield* lockPi(t, s.locks[0]));
  for (let i = 0; i < s.t3WorkChunks; i++) {
    yield t.compute(CHUNK_CYCLES);
    if (s.hRequestNs > 0 && s.t3RunAfterNs < 0) s.t3RunAfterNs = (yield* clock_gettime_ns(t)) - s.hRequestNs;
  }
  yield* unlockPi(t, s.locks[2]);
  return 0;
}

function* t2(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  yield* lockPi(t, s.locks[1]);
  s.t2Locked = true;
  yield* lockPi(t, s.locks[2]); // blocks: T3 owns it
  yield t.compute(CHUNK_CYCLES);
  yield* unlockPi(t, s.locks[2]);
  yield* unlockPi(t, s.locks[1]);
  return 0;
}

function* t1(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  yield* lockPi(t, s.locks[0]);
  s.t1Locked = true;
  yield* lockPi(t, s.locks[1]); // blocks: T2 owns it
  yield t.compute(CHUNK_CYCLES);
  yield* unlockPi(t, s.locks[1]);
  yield* unlockPi(t, s.locks[0]);
  return 0;
}

function* hog(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  yield* becomeFifo(t, 20);
  s.hogRunning = true;
  const end = (yield* clock_gettime_ns(t)) + s.hogMs * NS_PER_MS;
  while ((yield* clock_gettime_ns(t)) < end) yield t.compute(CHUNK_CYCLES);
  return 0;
}

function* high(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  yield* becomeFifo(t, 50);
  yield* until(t, () => s.hogRunning);
  yield* sleep_ns(t, 1 * NS_PER_MS); // the hog has had the CPU for a while
  s.hRequestNs = yield* clock_gettime_ns(t);
  const r = yield* lockPi(t, s.locks[0]);
  if (r !== 0) throw new Error(`futex-pi-chain: H's lock failed (${r})`);
  s.hWaitNs = (yield* clock_gettime_ns(t)) - s.hRequestNs;
  s.acquired = 1;
  yield* unlockPi(t, s.locks[0]);
  return 0;
}

function* chainMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const words = yield* malloc(t, 12);
  const s: Shared = {
    locks: [words, words + 4, words + 8],
    probeCycle: stringArg(args, 'probe_cycle') === 'on',
    t3WorkChunks: Math.ceil(intArg(args, 't3_work_us') / (CHUNK_NS / 1000)),
    hogMs: intArg(args, 'hog_ms'),
    t3Locked: false,
    t2Locked: false,
    t1Locked: false,
    hogRunning: false,
    cycleErrno: 0,
    hRequestNs: 0,
    hWaitNs: -1,
    t3RunAfterNs: -1,
    acquired: 0,
  };
  const threads: pthread_t[] = [];
  const start = function* (entry: (t: Guest, raw: unknown) => Program<number>): Program<void> {
    const [err, th] = yield* pthread_create(t, null, entry, s);
    if (err !== 0) throw new Error(`futex-pi-chain: pthread_create failed (${err})`);
    threads.push(th);
  };
  yield* start(t3);
  yield* until(t, () => s.t3Locked);
  yield* start(t2);
  yield* until(t, () => s.t2Locked);
  yield* start(t1);
  yield* until(t, () => s.t1Locked);
  yield* start(high);
  yield* sleep_ns(t, 2 * NS_PER_MS); // T3 has probed the cycle and started its work
  yield* start(hog);
  for (const th of threads) yield* pthread_join(t, th);
  publish(t, 'futex-pi-chain', {
    cycleErrno: s.cycleErrno,
    hWaitNs: s.hWaitNs,
    t3RunAfterNs: s.t3RunAfterNs,
    acquired: s.acquired,
  });
  return 0;
}

export const FUTEX_PI_CHAIN: GuestProgram = {
  image: { name: 'futex-pi-chain', main: chainMain },
  doc: 'three PI owners in a chain under an RT hog: the top waiter boosts the whole chain (EDEADLK on a cycle)',
  claims: ['FUTEX-6'],
  params: [
    {
      kind: 'choice',
      name: 'probe_cycle',
      doc: 'whether T3 asks for L1, closing a cycle (EDEADLK under linux; would hang redbear)',
      choices: ['on', 'off'],
      fallback: 'on',
    },
    {
      kind: 'int',
      name: 't3_work_us',
      doc: "T3's critical section in µs (a multiple of 100)",
      min: 100,
      max: 1_000_000,
      fallback: 3000,
    },
    {
      kind: 'int',
      name: 'hog_ms',
      doc: 'how long the SCHED_FIFO 20 hog runs',
      min: 1,
      max: 10_000,
      fallback: 1500,
    },
  ],
};
