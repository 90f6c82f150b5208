/**
 * Exact global EDF on a periodic task set with every cost zero (issue 23, "Exact global EDF"):
 * the one schedule SimSo's G-EDF gives, as a reference for a `gedf` kernel policy and against
 * which smpsim's SCHED_DEADLINE (per-CPU queues with push/pull, a documented approximation)
 * can be compared. Pure integer-time computation; no kernel state.
 *
 * Rules (the issue's): one global ready queue ordered by absolute deadline, ties by task id
 * (then job index); at every release, completion or abort the first `cpus` jobs run; a job
 * already running keeps its CPU; a job that must start takes the lowest-numbered idle CPU,
 * otherwise the CPU of the running job with the latest deadline (the one it preempts).
 * At one instant completions come first, then aborts (a job finishing at its deadline is on
 * time), then releases. Counters by SimSo's rules: a preemption is a job resumed after another
 * job ran on its CPU while it was ready; a migration is a job resumed on another CPU than the
 * one it last ran on. A miss: finished after its deadline, aborted at it (`abortAtDeadline`),
 * or unfinished at the horizon with its deadline at or before it.
 *
 * `sequential`: a job is ready only once the task's previous job has finished or was aborted,
 * as when each task is one thread that runs its jobs in turn (the `taskset` workload on the
 * `gedf` policy). It changes nothing unless a job is still unfinished at its task's next release.
 */

/** One task, with SimSo's fields (times in ns): wcet, period, deadline (relative), offset. */
export interface PeriodicTask {
  id: number;
  wcet_ns: number;
  period_ns: number;
  deadline_ns: number;
  offset_ns: number;
}

export interface GedfJob {
  task: number;
  index: number;
  release_ns: number;
  deadline_ns: number;
  /** Completion time, or null (aborted, or still unfinished at the horizon). */
  finish_ns: number | null;
  aborted: boolean;
  missed: boolean;
  preemptions: number;
  migrations: number;
}

/** A stretch one job ran on one CPU. */
export interface GedfSlice {
  cpu: number;
  task: number;
  index: number;
  start_ns: number;
  end_ns: number;
}

export interface GedfResult {
  jobs: GedfJob[];
  slices: GedfSlice[];
  misses: number;
  preemptions: number;
  migrations: number;
}

interface LiveJob extends GedfJob {
  remaining_ns: number;
  cpu: number | null;
  lastCpu: number | null;
  displaced: boolean;
  sliceStart_ns: number;
}

const before = (a: LiveJob, b: LiveJob) =>
  a.deadline_ns - b.deadline_ns || a.task - b.task || a.index - b.index;

function releases(tasks: readonly PeriodicTask[], horizon_ns: number): LiveJob[] {
  const jobs: LiveJob[] = [];
  for (const t of tasks) {
    for (let k = 0, r = t.offset_ns; r < horizon_ns; k++, r += t.period_ns) {
      jobs.push({
        ...{ task: t.id, index: k, release_ns: r, deadline_ns: r + t.deadline_ns, finish_ns: null },
        ...{ aborted: false, missed: false, preemptions: 0, migrations: 0, remaining_ns: t.wcet_ns },
        ...{ cpu: null, lastCpu: null, displaced: false, sliceStart_ns: 0 },
      });
    }
  }
  return jobs;
}

/** Takes `j` off its CPU at `now`, closing its slice. */
function stop(j: LiveJob, now: number, running: (LiveJob | null)[], slices: GedfSlice[]): void {
  const cpu = j.cpu!;
  if (now > j.sliceStart_ns)
    slices.push({ cpu, task: j.task, index: j.index, start_ns: j.sliceStart_ns, end_ns: now });
  running[cpu] = null;
  j.cpu = null;
}

/** The scheduling decision at `now`: the first `cpus` ready jobs run (see the header). */
function decide(ready: LiveJob[], running: (LiveJob | null)[], now: number, slices: GedfSlice[]): void {
  ready.sort(before);
  const chosen = new Set(ready.slice(0, running.length));
  const idle = running.flatMap((j, cpu) => (j === null ? [cpu] : []));
  const victims = running
    .filter((j): j is LiveJob => j !== null && !chosen.has(j))
    .sort((a, b) => before(b, a));
  const freed = victims.map((j) => {
    const cpu = j.cpu!;
    stop(j, now, running, slices);
    j.displaced = true;
    return cpu;
  });
  for (const j of ready.slice(0, running.length)) {
    if (j.cpu !== null) continue;
    const cpu = idle.length > 0 ? idle.shift()! : freed.shift()!;
    if (j.lastCpu !== null) {
      if (j.displaced) j.preemptions++;
      if (cpu !== j.lastCpu) j.migrations++;
    }
    j.displaced = false;
    j.cpu = cpu;
    j.lastCpu = cpu;
    j.sliceStart_ns = now;
    running[cpu] = j;
  }
}

/** Settles what happens at `now`: completions, then aborts at the deadline. */
function settle(
  live: LiveJob[],
  running: (LiveJob | null)[],
  now: number,
  abort: boolean,
  slices: GedfSlice[],
): void {
  for (const j of live) {
    if (j.release_ns > now || j.finish_ns !== null || j.aborted) continue;
    if (j.remaining_ns === 0) {
      if (j.cpu !== null) stop(j, now, running, slices);
      j.finish_ns = now;
      j.missed = now > j.deadline_ns;
    } else if (abort && now >= j.deadline_ns) {
      if (j.cpu !== null) stop(j, now, running, slices);
      j.aborted = true;
      j.missed = true;
    }
  }
}

/** The next instant something happens after `now`, at most the horizon. */
function nextEvent(live: LiveJob[], now: number, horizon_ns: number, abort: boolean): number {
  let next = horizon_ns;
  for (const j of live) {
    if (j.finish_ns !== null || j.aborted) continue;
    if (j.release_ns > now) next = Math.min(next, j.release_ns);
    else if (j.cpu !== null) next = Math.min(next, now + j.remaining_ns);
    if (abort && j.release_ns <= now && j.deadline_ns > now) next = Math.min(next, j.deadline_ns);
  }
  return next;
}

/** Released, unfinished jobs; with `sequential`, only each task's earliest unfinished one. */
function readyJobs(live: LiveJob[], now: number, sequential: boolean): LiveJob[] {
  const blocked = new Set<number>();
  const ready: LiveJob[] = [];
  for (const j of live) {
    if (j.release_ns > now || j.finish_ns !== null || j.aborted) continue;
    if (sequential && blocked.has(j.task)) continue;
    blocked.add(j.task);
    ready.push(j);
  }
  return ready;
}

/** The G-EDF schedule of `tasks` on `cpus` CPUs from 0 to `horizon_ns`. */
export function gedfSchedule(
  tasks: readonly PeriodicTask[],
  cpus: number,
  horizon_ns: number,
  abortAtDeadline = false,
  sequential = false,
): GedfResult {
  const live = releases(tasks, horizon_ns);
  const running: (LiveJob | null)[] = new Array(cpus).fill(null);
  const slices: GedfSlice[] = [];
  let now = 0;
  for (;;) {
    settle(live, running, now, abortAtDeadline, slices);
    if (now >= horizon_ns) break;
    const ready = readyJobs(live, now, sequential);
    decide(ready, running, now, slices);
    const next = nextEvent(live, now, horizon_ns, abortAtDeadline);
    for (const j of running) if (j !== null) j.remaining_ns -= next - now;
    now = next;
  }
  for (const j of running) if (j !== null) stop(j, now, running, slices);
  for (const j of live)
    if (j.finish_ns === null && !j.aborted && j.deadline_ns <= horizon_ns) j.missed = true;
  slices.sort((a, b) => a.start_ns - b.start_ns || a.cpu - b.cpu);
  const jobs: GedfJob[] = live.map((j) => ({
    ...{ task: j.task, index: j.index, release_ns: j.release_ns, deadline_ns: j.deadline_ns },
    ...{ finish_ns: j.finish_ns, aborted: j.aborted, missed: j.missed },
    ...{ preemptions: j.preemptions, migrations: j.migrations },
  }));
  const sum = (f: (j: GedfJob) => number) => jobs.reduce((s, j) => s + f(j), 0);
  return {
    jobs,
    slices,
    misses: sum((j) => (j.missed ? 1 : 0)),
    preemptions: sum((j) => j.preemptions),
    migrations: sum((j) => j.migrations),
  };
}
