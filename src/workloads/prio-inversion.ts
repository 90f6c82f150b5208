/**
 * `prio-inversion` (LIBC-10): the classic priority inversion, through the libc's mutex.
 *
 * - low: SCHED_FIFO 10, takes the mutex and does `hold_ms` of work holding it;
 * - hogs: SCHED_FIFO 50, one per CPU (`hogs`), compute until `hog_ms` have passed (or until high
 *   has had the mutex), so nothing below priority 50 runs meanwhile;
 * - high: SCHED_FIFO 90, wants the mutex 2 ms after the hogs start.
 * The orchestrating main thread runs at SCHED_FIFO 99 and sets each thread's class right after
 * creating it (as pthread_setschedparam would), so none runs as SCHED_OTHER among the hogs.
 *
 * With `protocol = "inherit"` high's FUTEX_LOCK_PI boosts low to 90: low preempts a hog, finishes
 * and UNLOCK_PI hands the mutex to high, which runs at once. With "protect" (ceiling 90) low runs
 * at 90 from the moment it locks, so the hogs never preempt it. With "none" low waits behind the
 * hogs, and so does high: the wait lasts as long as the hogs run. RT throttling does not rescue
 * it, since low is an RT thread too: the 5% it leaves goes to SCHED_OTHER, and nothing else here is.
 *
 * Publishes `wait_ms` (high's lock call to its return), `handoff_us` (low's clock just before its
 * unlock to high's clock after its lock returns), `hold_ms` (low's lock to its unlock), and the
 * lock results `low_lock` and `high_lock`.
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { SCHED_FIFO } from '../abi/sched.ts';
import { errno } from '../libc/errno.ts';
import { PTHREAD_PRIO_INHERIT, PTHREAD_PRIO_NONE, PTHREAD_PRIO_PROTECT } from '../libc/layout.ts';
import { malloc } from '../libc/malloc.ts';
import {
  pthread_mutex_lock,
  pthread_mutex_new,
  pthread_mutex_unlock,
  pthread_mutexattr_init,
  pthread_mutexattr_setprioceiling,
  pthread_mutexattr_setprotocol,
  pthread_mutexattr_t,
} from '../libc/mutex.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { sched_setscheduler } from '../libc/sched.ts';
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import { type GuestProgram, intArg, type ProgramArgs, stringArg } from './program.ts';
import { NS_PER_MS, publish } from './common.ts';

/** 100 µs of work at 3 GHz. */
const CHUNK_CYCLES = 300_000;
const CHUNK_NS = 100_000;
const PRIO_LOW = 10;
const PRIO_HOG = 50;
const PRIO_HIGH = 90;
const PRIO_MAIN = 99;

const PROTOCOLS: Record<string, number> = {
  inherit: PTHREAD_PRIO_INHERIT,
  protect: PTHREAD_PRIO_PROTECT,
  none: PTHREAD_PRIO_NONE,
};

interface Inversion {
  m: number;
  /** Set by low once it holds the mutex; set by high once it has had it. */
  flags: number;
  holdMs: number;
  hogEndNs: number;
  lowLock: number;
  highLock: number;
  lowLockedAt: number;
  unlockAt: number;
  requestAt: number;
  acquiredAt: number;
}

const LOW_HOLDS = 0;
const HIGH_DONE = 4;

function* low(t: Guest, raw: unknown): Program<number> {
  const s = raw as Inversion;
  s.lowLock = yield* pthread_mutex_lock(t, s.m);
  s.lowLockedAt = yield* clock_gettime_ns(t);
  yield t.atomic(AtomicOp.Store, s.flags + LOW_HOLDS, 1);
  for (let done = 0; done < s.holdMs * NS_PER_MS; done += CHUNK_NS) yield t.compute(CHUNK_CYCLES);
  s.unlockAt = yield* clock_gettime_ns(t);
  yield* pthread_mutex_unlock(t, s.m);
  return 0;
}

function* hog(t: Guest, raw: unknown): Program<number> {
  const s = raw as Inversion;
  while ((yield* clock_gettime_ns(t)) < s.hogEndNs && t.load32(s.flags + HIGH_DONE) === 0) {
    yield t.compute(CHUNK_CYCLES);
  }
  return 0;
}

function* high(t: Guest, raw: unknown): Program<number> {
  const s = raw as Inversion;
  s.requestAt = yield* clock_gettime_ns(t);
  s.highLock = yield* pthread_mutex_lock(t, s.m);
  s.acquiredAt = yield* clock_gettime_ns(t);
  yield t.atomic(AtomicOp.Store, s.flags + HIGH_DONE, 1);
  yield* pthread_mutex_unlock(t, s.m);
  return 0;
}

/** Sets `tid`'s class; the scenario runs on a kernel with RT classes, so failure is a bad setup. */
function* fifo(t: Guest, tid: number, priority: number): Program<void> {
  if ((yield* sched_setscheduler(t, tid, SCHED_FIFO, { sched_priority: priority })) !== 0) {
    throw new Error(
      `prio-inversion: sched_setscheduler(${tid}, FIFO ${priority}) failed (errno ${errno(t)})`,
    );
  }
}

/** Starts `entry` and puts it in SCHED_FIFO at `priority` at once (its descriptor holds its tid). */
function* startFifo(
  t: Guest,
  entry: (t: Guest, raw: unknown) => Program<number>,
  s: Inversion,
  priority: number,
): Program<pthread_t> {
  const [err, th] = yield* pthread_create(t, null, entry, s);
  if (err !== 0) throw new Error(`prio-inversion: pthread_create failed (${err})`);
  yield* fifo(t, t.load32(th), priority);
  return th;
}

function* inversionMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const protocol = PROTOCOLS[stringArg(args, 'protocol')]!;
  yield* fifo(t, 0, PRIO_MAIN);
  const attr = new pthread_mutexattr_t();
  pthread_mutexattr_init(attr);
  pthread_mutexattr_setprotocol(attr, protocol);
  pthread_mutexattr_setprioceiling(attr, PRIO_HIGH);
  const s: Inversion = {
    m: yield* pthread_mutex_new(t, attr),
    flags: yield* malloc(t, 8),
    holdMs: intArg(args, 'hold_ms'),
    hogEndNs: 0,
    lowLock: -1,
    highLock: -1,
    lowLockedAt: 0,
    unlockAt: 0,
    requestAt: 0,
    acquiredAt: 0,
  };
  const threads = [yield* startFifo(t, low, s, PRIO_LOW)];
  while (t.load32(s.flags + LOW_HOLDS) === 0) yield* sleep_ns(t, 50_000);
  s.hogEndNs = (yield* clock_gettime_ns(t)) + intArg(args, 'hog_ms') * NS_PER_MS;
  for (let i = 0; i < intArg(args, 'hogs'); i++) threads.push(yield* startFifo(t, hog, s, PRIO_HOG));
  yield* sleep_ns(t, 2 * NS_PER_MS);
  threads.push(yield* startFifo(t, high, s, PRIO_HIGH));
  for (const th of threads) yield* pthread_join(t, th);
  publish(t, 'prio-inversion', {
    wait_ms: (s.acquiredAt - s.requestAt) / NS_PER_MS,
    handoff_us: (s.acquiredAt - s.unlockAt) / 1000,
    hold_ms: (s.unlockAt - s.lowLockedAt) / NS_PER_MS,
    low_lock: s.lowLock,
    high_lock: s.highLock,
  });
  return 0;
}

export const PRIO_INVERSION: GuestProgram = {
  image: { name: 'prio-inversion', main: inversionMain } satisfies ProgramImage,
  doc: 'priority inversion: a FIFO 10 holder, FIFO 50 hogs on every CPU, a FIFO 90 waiter; PI, ceiling or none',
  claims: ['LIBC-10', 'LIBC-2', 'FUTEX-6'],
  params: [
    {
      kind: 'choice',
      name: 'protocol',
      doc: 'the mutex protocol: inherit (PI futex), protect (ceiling 90) or none',
      choices: ['inherit', 'protect', 'none'],
      fallback: 'inherit',
    },
    { kind: 'int', name: 'hogs', min: 1, max: 64, doc: 'FIFO 50 hogs (one per CPU)', fallback: 2 },
    { kind: 'int', name: 'hold_ms', min: 1, max: 1000, doc: 'work low does holding the mutex', fallback: 20 },
    {
      kind: 'int',
      name: 'hog_ms',
      min: 1,
      max: 60_000,
      doc: 'how long the hogs run at most',
      fallback: 1500,
    },
  ],
};
