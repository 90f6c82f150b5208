/**
 * `schbench`: wakeup latency shaped like Chris Mason's schbench (kernel.org pub/scm schbench):
 * message threads each sleep, then post the time and wake their worker threads through one
 * futex word per worker; each worker, once it runs, reads the clock and records how long the
 * wakeup took to reach it, does a little work, and waits for the next message. Optional hog
 * threads keep every CPU busy, so a woken worker must win a CPU from a running thread: that is
 * where the scheduler's tick and wakeup path show (HW-12, SCHED-1). Reports schbench's
 * percentiles of the wakeup latency: p50, p90, p99 and p99.9.
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { malloc } from '../libc/malloc.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { futex_wait, futex_wake } from '../libc/sys.ts';
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import { type GuestProgram, intArg, type ProgramArgs } from './program.ts';
import { latencySummary, NS_PER_US, publish } from './common.ts';

interface Shared {
  /** One word per worker: the round it has been posted. */
  words: number[];
  /** Post time of each message thread's current round, in µs (fits a 32-bit word for 71 min). */
  postedUs: number[];
  rounds: number;
  sleepNs: number;
  thinkCycles: number;
  latenciesNs: number[];
  /** Set when the message threads are done: the hogs stop. */
  stop: number;
}

/** Cycles each hog computes between looks at the stop word (100 µs at 3 GHz). */
const HOG_CHUNK_CYCLES = 300_000;

function* worker(t: Guest, raw: unknown): Program<number> {
  const { s, message, index } = raw as { s: Shared; message: number; index: number };
  const word = s.words[index]!;
  for (let round = 1; round <= s.rounds; round++) {
    for (;;) {
      const posted = (yield t.atomic(AtomicOp.Load, word)) as number;
      if (posted >= round) break;
      yield* futex_wait(t, word, posted);
    }
    const nowNs = yield* clock_gettime_ns(t);
    s.latenciesNs.push(nowNs - t.load32(s.postedUs[message]!) * 1000);
    yield t.compute(s.thinkCycles);
  }
  return 0;
}

function* messenger(t: Guest, raw: unknown): Program<number> {
  const { s, message, workers } = raw as { s: Shared; message: number; workers: number[] };
  for (let round = 1; round <= s.rounds; round++) {
    yield* sleep_ns(t, s.sleepNs);
    t.store32(s.postedUs[message]!, Math.floor((yield* clock_gettime_ns(t)) / 1000));
    for (const index of workers) {
      yield t.atomic(AtomicOp.Store, s.words[index]!, round);
      yield* futex_wake(t, s.words[index]!, 1);
    }
  }
  return 0;
}

function* hog(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  while (((yield t.atomic(AtomicOp.Load, s.stop)) as number) === 0) yield t.compute(HOG_CHUNK_CYCLES);
  return 0;
}

function* schbenchMain(t: Guest, raw: unknown): Program<number> {
  const a = raw as ProgramArgs;
  const messages = intArg(a, 'messages');
  const perMessage = intArg(a, 'workers');
  const s: Shared = {
    words: [],
    postedUs: [],
    rounds: intArg(a, 'rounds'),
    sleepNs: intArg(a, 'sleep_us') * NS_PER_US,
    thinkCycles: intArg(a, 'think_cycles'),
    latenciesNs: [],
    stop: yield* malloc(t, 4),
  };
  for (let m = 0; m < messages; m++) s.postedUs.push(yield* malloc(t, 4));
  for (let w = 0; w < messages * perMessage; w++) s.words.push(yield* malloc(t, 4));
  const hogs: pthread_t[] = [];
  for (let h = 0; h < intArg(a, 'hogs'); h++) hogs.push((yield* pthread_create(t, null, hog, s))[1]);
  const threads: pthread_t[] = [];
  for (let m = 0; m < messages; m++) {
    const mine: number[] = [];
    for (let w = 0; w < perMessage; w++) {
      const index = m * perMessage + w;
      mine.push(index);
      threads.push((yield* pthread_create(t, null, worker, { s, message: m, index }))[1]);
    }
    threads.push((yield* pthread_create(t, null, messenger, { s, message: m, workers: mine }))[1]);
  }
  for (const th of threads) yield* pthread_join(t, th);
  yield t.atomic(AtomicOp.Store, s.stop, 1);
  for (const th of hogs) yield* pthread_join(t, th);
  publish(t, 'schbench', latencySummary(s.latenciesNs, [50, 90, 99, 99.9], false));
  return 0;
}

export const SCHBENCH: GuestProgram = {
  image: { name: 'schbench', main: schbenchMain } satisfies ProgramImage,
  doc: 'schbench-style wakeup latency: message threads wake workers through futexes, hogs keep CPUs busy; p50/p90/p99/p99.9',
  claims: ['HW-12', 'SCHED-1', 'SCHED-9'],
  params: [
    {
      name: 'messages',
      aliases: ['message-threads'],
      kind: 'int',
      min: 1,
      max: 64,
      fallback: 2,
      doc: 'message threads (schbench -m/--message-threads)',
    },
    {
      name: 'workers',
      aliases: ['threads'],
      kind: 'int',
      min: 1,
      max: 64,
      fallback: 2,
      doc: 'worker threads per message thread (schbench -t/--threads)',
    },
    { name: 'rounds', kind: 'int', min: 1, max: 100_000, fallback: 250, doc: 'wakeups each worker measures' },
    {
      name: 'sleep_us',
      aliases: ['sleeptime'],
      kind: 'int',
      min: 1,
      max: 1_000_000,
      fallback: 2000,
      doc: 'message thread sleep per round (µs; schbench -s/--sleeptime)',
    },
    {
      name: 'think_cycles',
      kind: 'int',
      min: 0,
      max: 1_000_000_000,
      fallback: 30_000,
      doc: 'worker work per wakeup (cycles)',
    },
    { name: 'hogs', kind: 'int', min: 0, max: 256, fallback: 0, doc: 'CPU-bound background threads' },
  ],
};
