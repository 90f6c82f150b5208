/**
 * `dlperiodic`: a periodic SCHED_DEADLINE task set (SCHED-7's deadline class). Task i reserves
 * runtime_us[i] every period_us[i] (implicit deadline = period) and runs `jobs` jobs of
 * work_us[i] each; after a job it calls sched_yield, which gives up the rest of its runtime
 * until its next period (Linux's dl_yield). The program keeps its own schedule: job k is released
 * at r0 + k·P and must finish by r0 + (k+1)·P, where r0 is read before the tasks are woken (so
 * this is at least as strict as the kernel's deadlines). It publishes the misses and the least
 * slack. A second phase asks for the reservations in `overcommit_us` (runtime per 10 ms period,
 * one thread each) in turn and counts the ones admission control refuses with EBUSY.
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { EBUSY } from '../abi/errno.ts';
import { SCHED_DEADLINE, SCHED_OTHER } from '../abi/sched.ts';
import { errno } from '../libc/errno.ts';
import { sched_setattr, sched_setscheduler } from '../libc/sched.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { futex_wait, futex_wake, mmap_anonymous, sched_yield } from '../libc/sys.ts';
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import { type GuestProgram, intArg, intsArg, type ProgramArgs } from './program.ts';
import { CYCLES_PER_US, publish } from './common.ts';

const OVERCOMMIT_PERIOD_US = 10_000;

interface Task {
  runtimeUs: number;
  periodUs: number;
  workUs: number;
  jobs: number;
  /** Word 0: release flag; word 1: release time (ms, for the record only). */
  block: number;
  shared: { releaseNs: number; misses: number; jobsDone: number; minSlackNs: number; refused: number };
}

const dlAttr = (runtimeUs: number, periodUs: number) => ({
  policy: SCHED_DEADLINE,
  flags: 0,
  nice: 0,
  priority: 0,
  runtimeNs: runtimeUs * 1000,
  deadlineNs: periodUs * 1000,
  periodNs: periodUs * 1000,
});

function* periodic(t: Guest, raw: unknown): Program<number> {
  const a = raw as Task;
  if ((yield* sched_setattr(t, 0, dlAttr(a.runtimeUs, a.periodUs))) !== 0) {
    a.shared.refused++;
    return errno(t);
  }
  while (((yield t.atomic(AtomicOp.Load, a.block)) as number) === 0) yield* futex_wait(t, a.block, 0);
  const periodNs = a.periodUs * 1000;
  for (let k = 0; k < a.jobs; k++) {
    yield t.compute(a.workUs * CYCLES_PER_US);
    const finish = yield* clock_gettime_ns(t);
    const deadline = a.shared.releaseNs + (k + 1) * periodNs;
    if (finish > deadline) a.shared.misses++;
    a.shared.minSlackNs = Math.min(a.shared.minSlackNs, deadline - finish);
    a.shared.jobsDone++;
    yield* sched_yield(t); // done for this period: throttled until the next one
  }
  yield* sched_setscheduler(t, 0, SCHED_OTHER, { sched_priority: 0 }); // frees its bandwidth
  return 0;
}

function* holder(t: Guest, raw: unknown): Program<number> {
  const a = raw as { runtimeUs: number; block: number; result: number[] };
  const r = yield* sched_setattr(t, 0, dlAttr(a.runtimeUs, OVERCOMMIT_PERIOD_US));
  a.result.push(r === 0 ? 0 : errno(t));
  while (((yield t.atomic(AtomicOp.Load, a.block)) as number) === 0) yield* futex_wait(t, a.block, 0);
  return 0;
}

function* dlPeriodicMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const runtimes = intsArg(args, 'runtime_us');
  const periods = intsArg(args, 'period_us');
  const works = intsArg(args, 'work_us');
  if (periods.length !== runtimes.length || works.length !== runtimes.length) {
    throw new Error('dlperiodic: runtime_us, period_us and work_us must have the same length');
  }
  const jobs = intArg(args, 'jobs');
  const block = yield* mmap_anonymous(t, 4096);
  const shared = { releaseNs: 0, misses: 0, jobsDone: 0, minSlackNs: Number.POSITIVE_INFINITY, refused: 0 };
  const threads: pthread_t[] = [];
  for (let i = 0; i < runtimes.length; i++) {
    const task: Task = {
      runtimeUs: runtimes[i]!,
      periodUs: periods[i]!,
      workUs: works[i]!,
      jobs,
      block,
      shared,
    };
    const [err, th] = yield* pthread_create(t, null, periodic, task);
    if (err !== 0) throw new Error(`dlperiodic: pthread_create failed (${err})`);
    threads.push(th);
  }
  yield* sleep_ns(t, 5_000_000); // every task has its reservation and waits
  shared.releaseNs = yield* clock_gettime_ns(t);
  yield t.atomic(AtomicOp.Store, block, 1);
  yield* futex_wake(t, block, 0x7fffffff);
  for (const th of threads) yield* pthread_join(t, th);
  const utilisation = runtimes.reduce((s, r, i) => s + r / periods[i]!, 0);

  // Admission: the over-committed set, asked for one reservation at a time.
  const overcommit = intsArg(args, 'overcommit_us');
  const block2 = block + 64;
  const results: number[] = [];
  const holders: pthread_t[] = [];
  for (const runtimeUs of overcommit) {
    const [, th] = yield* pthread_create(t, null, holder, { runtimeUs, block: block2, result: results });
    holders.push(th);
    yield* sleep_ns(t, 1_000_000); // it asks before the next one is created
  }
  t.store32(block2, 1);
  yield* futex_wake(t, block2, 0x7fffffff);
  for (const th of holders) yield* pthread_join(t, th);

  publish(t, 'dlperiodic', {
    tasks: runtimes.length,
    refused_at_start: shared.refused,
    utilisation_pct: Math.round(utilisation * 1000) / 10,
    jobs: shared.jobsDone,
    misses: shared.misses,
    min_slack_us: shared.minSlackNs / 1000,
    overcommit_asked: overcommit.length,
    overcommit_admitted: results.filter((e) => e === 0).length,
    overcommit_ebusy: results.filter((e) => e === EBUSY).length,
  });
  return 0;
}

export const DLPERIODIC: GuestProgram = {
  image: { name: 'dlperiodic', main: dlPeriodicMain } satisfies ProgramImage,
  doc: 'periodic SCHED_DEADLINE tasks: deadline misses, least slack, and EBUSY from admission control',
  claims: ['SCHED-7'],
  params: [
    {
      name: 'runtime_us',
      kind: 'ints',
      min: 2,
      max: 1_000_000,
      maxLength: 64,
      doc: 'reserved runtime per period of each task',
      fallback: [2000, 2000],
    },
    {
      name: 'period_us',
      kind: 'ints',
      min: 100,
      max: 4_000_000,
      maxLength: 64,
      doc: 'period (= deadline) of each task',
      fallback: [10_000, 10_000],
    },
    {
      name: 'work_us',
      kind: 'ints',
      min: 1,
      max: 1_000_000,
      maxLength: 64,
      doc: 'work of each job',
      fallback: [1500, 1500],
    },
    { name: 'jobs', kind: 'int', min: 1, max: 100_000, doc: 'jobs per task', fallback: 20 },
    {
      name: 'overcommit_us',
      kind: 'ints',
      min: 0,
      max: 10_000,
      maxLength: 64,
      doc: 'runtimes (per 10 ms) asked for one by one in the admission phase',
      fallback: [],
    },
  ],
  check: (args) => {
    const tasks = intsArg(args, 'runtime_us').length;
    for (const param of ['period_us', 'work_us']) {
      const n = intsArg(args, param).length;
      if (n !== tasks) {
        return {
          param,
          problem: `${n} entries for ${tasks} tasks`,
          allowed: `${tasks} entries, one per runtime_us`,
        };
      }
    }
    return null;
  },
};
