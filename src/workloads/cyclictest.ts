/**
 * `cyclictest`: timer wake-up latency shaped like rt-tests' cyclictest (Thomas Gleixner's):
 * each measuring thread sleeps with clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) until its
 * next period, reads the clock as soon as it runs, and records how late it woke (the actual
 * time minus the requested one); the next request is one interval after the previous request,
 * so lateness does not accumulate. Reports the lateness percentiles and the maximum in ns.
 *
 * What it shows (issue 11): a kernel that expires timeouts at ticks (the Redox baseline)
 * wakes a thread at the first tick or switch after its request, so the lateness spreads over a
 * whole tick period; one with high-resolution timers (the improved kernel, kernel/hrtimer.ts)
 * wakes it at the request plus its timer slack (50 us under SCHED_OTHER, none under
 * SCHED_FIFO) plus a few us of interrupt and switch costs, whatever the tick.
 */
import type { Program } from '../abi/effects.ts';
import { ENOSYS } from '../abi/errno.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { SCHED_FIFO } from '../abi/sched.ts';
import { CLOCK_MONOTONIC } from '../abi/syscalls.ts';
import { errno } from '../libc/errno.ts';
import { malloc } from '../libc/malloc.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { sched_setscheduler } from '../libc/sched.ts';
import {
  clock_gettime_ns,
  clock_nanosleep,
  TIMER_ABSTIME,
  TIMESPEC_BYTES,
  timespec_store,
  timespecOfNs,
} from '../libc/time.ts';
import { cyclictestReport } from './cyclictest-report.ts';
import { attrOnCpus, type GuestProgram, intArg, intsArg, type ProgramArgs, stringArg } from './program.ts';
import { latencySummary, NS_PER_US, publish } from './common.ts';

interface Shared {
  loops: number;
  intervalNs: number;
  /** SCHED_FIFO priority of every measuring thread, or 0 for SCHED_OTHER. */
  fifoPriority: number;
  latenciesNs: number[];
  /** Each thread's samples, in order. */
  perThreadNs: number[][];
}

/** One measuring thread: `loops` absolute sleeps one interval apart, each wake-up measured. */
function* measurer(t: Guest, raw: unknown): Program<number> {
  const { s, index } = raw as { s: Shared; index: number };
  const mine = s.perThreadNs[index]!;
  const prio = s.fifoPriority;
  if (prio > 0 && (yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: prio })) !== 0) {
    // cyclictest -p on a kernel without sched_setscheduler cannot measure what it was asked to.
    const why = errno(t) === ENOSYS ? 'the kernel has no sched_setscheduler' : `errno ${errno(t)}`;
    throw new Error(`cyclictest: SCHED_FIFO refused (${why})`);
  }
  const req = yield* malloc(t, TIMESPEC_BYTES);
  // Threads start a little apart (cyclictest's -d distance), as its threads do.
  let nextNs = (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) + s.intervalNs + index * 50_000;
  for (let loop = 0; loop < s.loops; loop++) {
    const at = timespecOfNs(nextNs);
    timespec_store(t, req, at.tv_sec, at.tv_nsec);
    const r = yield* clock_nanosleep(t, CLOCK_MONOTONIC, TIMER_ABSTIME, req, 0);
    if (r !== 0) throw new Error(`cyclictest: clock_nanosleep failed (${r})`);
    const lateNs = (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - nextNs;
    s.latenciesNs.push(lateNs);
    mine.push(lateNs);
    nextNs += s.intervalNs;
  }
  return 0;
}

/** The SCHED_FIFO priority `-p` and `policy` ask for (0: SCHED_OTHER). */
function fifoPriorityOf(a: ProgramArgs): number {
  const p = intArg(a, 'priority');
  if (p > 0) return p;
  return stringArg(a, 'policy') === 'fifo' ? 80 : 0;
}

function* cyclictestMain(t: Guest, raw: unknown): Program<number> {
  const a = raw as ProgramArgs;
  const count = intArg(a, 'threads');
  const affinity = intsArg(a, 'affinity');
  const s: Shared = {
    loops: intArg(a, 'loops'),
    intervalNs: intArg(a, 'interval_us') * NS_PER_US,
    fifoPriority: fifoPriorityOf(a),
    latenciesNs: [],
    perThreadNs: Array.from({ length: count }, () => []),
  };
  const threads: pthread_t[] = [];
  for (let index = 0; index < count; index++) {
    const attr = affinity.length === 0 ? null : attrOnCpus([affinity[index % affinity.length]!]);
    threads.push((yield* pthread_create(t, attr, measurer, { s, index }))[1]);
  }
  for (const th of threads) yield* pthread_join(t, th);
  const report = cyclictestReport(s.perThreadNs, {
    priority: s.fifoPriority,
    intervalUs: intArg(a, 'interval_us'),
    histogramUs: intArg(a, 'histogram'),
  });
  publish(t, 'cyclictest', { ...latencySummary(s.latenciesNs, [50, 99], true), ...report });
  return 0;
}

export const CYCLICTEST: GuestProgram = {
  image: { name: 'cyclictest', main: cyclictestMain } satisfies ProgramImage,
  doc: 'cyclictest-style timer latency: absolute clock_nanosleep periods, actual minus requested wake-up time; min/p50/p99/max',
  claims: ['HW-12'],
  params: [
    { name: 'threads', kind: 'int', min: 1, max: 64, fallback: 1, doc: 'measuring threads' },
    {
      name: 'interval_us',
      aliases: ['interval'],
      kind: 'int',
      min: 10,
      max: 1_000_000,
      fallback: 1000,
      doc: 'period (µs; cyclictest -i/--interval)',
    },
    {
      name: 'loops',
      kind: 'int',
      min: 1,
      max: 100_000,
      fallback: 1000,
      doc: 'wake-ups each thread measures',
    },
    {
      name: 'policy',
      kind: 'choice',
      choices: ['other', 'fifo'],
      fallback: 'other',
      doc: 'SCHED_OTHER (50 µs timer slack) or SCHED_FIFO 80 (none), as cyclictest -p',
    },
    {
      name: 'priority',
      kind: 'int',
      min: 0,
      max: 99,
      fallback: 0,
      doc: 'SCHED_FIFO priority (cyclictest -p); 0: as policy',
    },
    {
      name: 'affinity',
      kind: 'ints',
      min: 0,
      max: 1023,
      maxLength: 64,
      fallback: [],
      doc: 'CPUs the threads are pinned to, round robin (cyclictest -a); empty: not pinned',
    },
    {
      name: 'histogram',
      kind: 'int',
      min: 0,
      max: 100_000,
      fallback: 0,
      doc: 'latency histogram up to this many µs, 1 µs buckets (cyclictest -h); 0: none',
    },
  ],
  check: (args, machine) => {
    const bad = intsArg(args, 'affinity').find((cpu) => cpu >= machine.cpus);
    if (bad === undefined) return null;
    return {
      param: 'affinity',
      problem: `CPU ${bad} does not exist`,
      allowed: `CPUs 0..${machine.cpus - 1}`,
    };
  },
};
