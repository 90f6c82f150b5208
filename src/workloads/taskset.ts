/**
 * `taskset`: a periodic task set as SimSo describes one (issue 23): task i has a WCET, a period,
 * a relative deadline (the period when not given) and an offset, all in µs. Each task is one
 * SCHED_DEADLINE thread (runtime = WCET, deadline, period) running its jobs in turn: it sleeps
 * until its first release (r0 + offset, r0 shared by all tasks, read before they start), then
 * for every job computes its WCET, reads the clock and calls sched_yield, which ends the job
 * (Linux's dl_yield; on `gedf` the next job is released one period after this one's release,
 * at once when that has passed). Jobs released before `horizon_ms` run; after its last one a
 * task leaves the class (sched_setscheduler SCHED_OTHER), which frees its bandwidth. The runtime
 * is the WCET (`runtime_pct` = 100), exact on a zero-cost machine; with costs a job is also
 * charged its system calls and switches, so a reservation needs room for them (`runtime_pct`).
 *
 * The tasks may also be given as SimSo's rows, inline or in a file (scenario/taskset-keys.ts).
 *
 * `abort = "yes"` ends a job at its deadline, approximately: the job computes in chunks of
 * `chunk_us` (by default the greatest common divisor of every task time, so that on a zero-cost
 * machine every scheduling event falls on a chunk boundary) and stops at the first boundary at
 * or after its deadline; a job preempted at the very start of a chunk and resumed after its
 * deadline still runs that one chunk. The reference schedule's abort (`kernel/sched/gedf-exact`)
 * is exact; compare with it only without aborts.
 *
 * It publishes jobs, misses (a job that ended after its deadline or was aborted), aborted, the
 * worst lateness, and, for inspection, `finishes`: [task, job, finish − r0 (ns), missed] per job.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { SCHED_DEADLINE, SCHED_OTHER } from '../abi/sched.ts';
import { CLOCK_MONOTONIC } from '../abi/syscalls.ts';
import { TIMER_ABSTIME } from '../abi/time.ts';
import { errno } from '../libc/errno.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { sched_setattr, sched_setscheduler } from '../libc/sched.ts';
import { sched_yield } from '../libc/sys.ts';
import { clock_gettime_ns, clock_nanosleep, timespec_ns } from '../libc/time.ts';
import { CYCLES_PER_US, publish } from './common.ts';
import { type GuestProgram, intArg, intsArg, type ProgramArgs, stringArg } from './program.ts';

interface TaskRun {
  index: number;
  wcetUs: number;
  periodUs: number;
  deadlineUs: number;
  offsetUs: number;
  jobs: number;
  chunkUs: number;
  abort: boolean;
  runtimePct: number;
  shared: { r0Ns: number; refused: number; finishes: number[][]; lateNsMax: number; aborted: number };
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** One job: its WCET in one compute, or in chunks that stop at the deadline. True if aborted. */
function* runJob(t: Guest, a: TaskRun, deadlineNs: number): Program<boolean> {
  if (!a.abort) {
    yield t.compute(a.wcetUs * CYCLES_PER_US);
    return false;
  }
  for (let doneUs = 0; doneUs < a.wcetUs; doneUs += a.chunkUs) {
    if ((yield* clock_gettime_ns(t)) >= deadlineNs) return true;
    yield t.compute(Math.min(a.chunkUs, a.wcetUs - doneUs) * CYCLES_PER_US);
  }
  return false;
}

function* task(t: Guest, raw: unknown): Program<number> {
  const a = raw as TaskRun;
  const us = 1000;
  const attr = { policy: SCHED_DEADLINE, flags: 0, nice: 0, priority: 0 };
  const runtimeNs = Math.min(Math.round((a.wcetUs * us * a.runtimePct) / 100), a.deadlineUs * us);
  const reservation = { runtimeNs, deadlineNs: a.deadlineUs * us, periodNs: a.periodUs * us };
  if ((yield* sched_setattr(t, 0, { ...attr, ...reservation })) !== 0) {
    a.shared.refused++;
    return errno(t);
  }
  const firstNs = a.shared.r0Ns + a.offsetUs * us;
  yield* clock_nanosleep(t, CLOCK_MONOTONIC, TIMER_ABSTIME, yield* timespec_ns(t, firstNs), 0);
  for (let k = 0; k < a.jobs; k++) {
    const deadlineNs = firstNs + k * a.periodUs * us + a.deadlineUs * us;
    const aborted = yield* runJob(t, a, deadlineNs);
    const finishNs = yield* clock_gettime_ns(t);
    const missed = aborted || finishNs > deadlineNs;
    if (aborted) a.shared.aborted++;
    a.shared.lateNsMax = Math.max(a.shared.lateNsMax, finishNs - deadlineNs);
    a.shared.finishes.push([a.index, k, finishNs - a.shared.r0Ns, missed ? 1 : 0]);
    if (k + 1 < a.jobs) yield* sched_yield(t);
  }
  yield* sched_setscheduler(t, 0, SCHED_OTHER, { sched_priority: 0 });
  return 0;
}

function tasksOf(args: ProgramArgs): Omit<TaskRun, 'jobs' | 'chunkUs' | 'abort' | 'runtimePct' | 'shared'>[] {
  const wcets = intsArg(args, 'wcet_us');
  const periods = intsArg(args, 'period_us');
  const deadlines = intsArg(args, 'deadline_us');
  const offsets = intsArg(args, 'offset_us');
  return wcets.map((wcetUs, index) => ({
    index,
    wcetUs,
    periodUs: periods[index]!,
    deadlineUs: deadlines.length === 0 ? periods[index]! : deadlines[index]!,
    offsetUs: offsets.length === 0 ? 0 : offsets[index]!,
  }));
}

function* tasksetMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const horizonUs = intArg(args, 'horizon_ms') * 1000;
  const specs = tasksOf(args);
  const times = specs.flatMap((s) => [s.wcetUs, s.periodUs, s.deadlineUs, s.offsetUs]);
  const chunkUs = intArg(args, 'chunk_us') || times.reduce(gcd);
  const shared = { r0Ns: 0, refused: 0, finishes: [] as number[][], lateNsMax: -Infinity, aborted: 0 };
  shared.r0Ns = (yield* clock_gettime_ns(t)) + intArg(args, 'lead_us') * 1000;
  const threads: pthread_t[] = [];
  for (const s of specs) {
    const jobs = Math.max(0, Math.ceil((horizonUs - s.offsetUs) / s.periodUs));
    const abort = stringArg(args, 'abort') === 'yes';
    const run: TaskRun = { ...s, jobs, chunkUs, abort, runtimePct: intArg(args, 'runtime_pct'), shared };
    const [err, th] = yield* pthread_create(t, null, task, run);
    if (err !== 0) throw new Error(`taskset: pthread_create failed (${err})`);
    threads.push(th);
  }
  for (const th of threads) yield* pthread_join(t, th);
  const finishes = shared.finishes.sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!);
  publish(t, 'taskset', {
    tasks: specs.length,
    refused: shared.refused,
    utilisation_pct: Math.round(specs.reduce((u, s) => u + s.wcetUs / s.periodUs, 0) * 1000) / 10,
    jobs: finishes.length,
    misses: finishes.filter((f) => f[3] === 1).length,
    aborted: shared.aborted,
    late_max_us: finishes.length === 0 ? 0 : shared.lateNsMax / 1000,
    chunk_us: chunkUs,
    finishes,
  });
  return 0;
}

const timeList = (name: string, doc: string, min: number, fallback: number[]) => ({
  name,
  kind: 'ints' as const,
  min,
  max: 4_000_000,
  maxLength: 256,
  doc,
  fallback,
});

export const TASKSET: GuestProgram = {
  image: { name: 'taskset', main: tasksetMain } satisfies ProgramImage,
  doc: 'a periodic SCHED_DEADLINE task set (SimSo fields, as the lists below or as rows: tasks = [{ wcet_us, period_us, … }] or tasks_file = "set.toml"): jobs, deadline misses, aborts, lateness',
  claims: [],
  params: [
    timeList('wcet_us', 'worst-case execution time of each task (its runtime)', 2, [3000, 5000, 2000]),
    timeList('period_us', 'period of each task', 100, [6000, 6000, 3000]),
    timeList('deadline_us', 'relative deadline of each task; empty: the period', 2, []),
    timeList('offset_us', 'first release of each task after r0; empty: 0', 0, []),
    {
      name: 'horizon_ms',
      kind: 'int',
      min: 1,
      max: 3_600_000,
      doc: 'jobs released before it run',
      fallback: 12,
    },
    {
      name: 'abort',
      kind: 'choice',
      choices: ['no', 'yes'],
      doc: 'end a job at its deadline (at chunk boundaries)',
      fallback: 'no',
    },
    {
      name: 'chunk_us',
      kind: 'int',
      min: 0,
      max: 1_000_000,
      doc: 'abort check interval; 0: the gcd',
      fallback: 0,
    },
    {
      name: 'runtime_pct',
      kind: 'int',
      min: 100,
      max: 1000,
      doc: 'runtime reserved, % of the WCET (at most the deadline): room for the kernel costs a job is charged',
      fallback: 100,
    },
    { name: 'lead_us', kind: 'int', min: 1, max: 1_000_000, doc: 'from the start to r0', fallback: 2000 },
  ],
  check: (args) => {
    const n = intsArg(args, 'wcet_us').length;
    for (const name of ['period_us', 'deadline_us', 'offset_us']) {
      const length = intsArg(args, name).length;
      if (length !== n && !(length === 0 && name !== 'period_us'))
        return { param: name, problem: `has ${length} entries`, allowed: `${n}, one per task (wcet_us)` };
    }
    const specs = tasksOf(args);
    const bad = specs.find((s) => !(s.wcetUs <= s.deadlineUs && s.deadlineUs <= s.periodUs));
    if (bad !== undefined)
      return {
        param: 'deadline_us',
        problem: `task ${bad.index} has wcet ${bad.wcetUs}, deadline ${bad.deadlineUs}, period ${bad.periodUs}`,
        allowed: 'wcet <= deadline <= period (sched_setattr, __checkparam_dl)',
      };
    return null;
  },
};
