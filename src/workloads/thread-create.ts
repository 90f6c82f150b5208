/**
 * `thread-create` (SCHED-12, issue 24): how fast threads are made. `pattern = "loop"` creates
 * and joins one thread at a time, `threads` times a round; `pattern = "burst"` creates `threads`
 * threads, then joins them all. Each thread computes `work_us` and returns. Rounds are
 * `gap_us` apart (a sleep: idle time, in which a context pool refills).
 *
 * Publishes `created`, the creation latency (each pthread_create call, from before it to its
 * return: `create_p50_ns`, `create_p99_ns`, `create_max_ns`), `elapsed_ns` (the rounds, gaps
 * left out) and `threads_per_s` (created over elapsed). The proc scheme's own share is the
 * kernel's `kernel.proc_scheme_ns`.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { CLOCK_MONOTONIC } from '../abi/syscalls.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import { CYCLES_PER_US, latencySummary, NS_PER_US, publish } from './common.ts';
import { type GuestProgram, intArg, type ProgramArgs, stringArg } from './program.ts';

function* body(t: Guest, raw: unknown): Program<number> {
  const workUs = raw as number;
  if (workUs > 0) yield t.compute(workUs * CYCLES_PER_US);
  return 0;
}

/** Creates one thread, recording how long the call took; throws if it failed. */
function* timedCreate(t: Guest, workUs: number, latenciesNs: number[]): Program<pthread_t> {
  const before = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
  const [err, th] = yield* pthread_create(t, null, body, workUs);
  latenciesNs.push((yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - before);
  if (err !== 0) throw new Error(`thread-create: pthread_create failed (${err})`);
  return th;
}

function* threadCreateMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const burst = stringArg(args, 'pattern') === 'burst';
  const threads = intArg(args, 'threads');
  const rounds = intArg(args, 'rounds');
  const gapNs = intArg(args, 'gap_us') * NS_PER_US;
  const workUs = intArg(args, 'work_us');
  const latenciesNs: number[] = [];
  let elapsedNs = 0;
  for (let round = 0; round < rounds; round++) {
    if (gapNs > 0) yield* sleep_ns(t, gapNs);
    const start = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
    if (burst) {
      const made: pthread_t[] = [];
      for (let i = 0; i < threads; i++) made.push(yield* timedCreate(t, workUs, latenciesNs));
      for (const th of made) yield* pthread_join(t, th);
    } else {
      for (let i = 0; i < threads; i++) yield* pthread_join(t, yield* timedCreate(t, workUs, latenciesNs));
    }
    elapsedNs += (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - start;
  }
  const summary = latencySummary(latenciesNs, [50, 99], false);
  publish(t, 'thread-create', {
    created: latenciesNs.length,
    createP50Ns: summary.p50Ns,
    createP99Ns: summary.p99Ns,
    createMaxNs: summary.maxNs,
    elapsedNs,
    threadsPerS: elapsedNs > 0 ? Math.round((latenciesNs.length * 1e9) / elapsedNs) : 0,
  });
  return 0;
}

export const THREAD_CREATE: GuestProgram = {
  image: { name: 'thread-create', main: threadCreateMain },
  doc: 'create-and-join loops or bursts of threads: creation latency and threads per second (SCHED-12)',
  claims: ['SCHED-12'],
  params: [
    {
      name: 'pattern',
      kind: 'choice',
      choices: ['loop', 'burst'],
      fallback: 'burst',
      doc: 'loop: create then join, one at a time; burst: create all, then join all',
    },
    { name: 'threads', kind: 'int', min: 1, max: 4_000, fallback: 16, doc: 'threads per round' },
    { name: 'rounds', kind: 'int', min: 1, max: 10_000, fallback: 8, doc: 'rounds' },
    { name: 'gap_us', kind: 'int', min: 0, max: 1_000_000, fallback: 500, doc: 'sleep before each round' },
    { name: 'work_us', kind: 'int', min: 0, max: 1_000_000, fallback: 0, doc: 'compute in each thread' },
  ],
};
