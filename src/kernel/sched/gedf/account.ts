/**
 * The `gedf` policy's per-job bookkeeping: what SimSo counts (issue 23), read off the policy's
 * committed decisions (`link.ts`: the links at the end of each instant), so zero-length
 * switches inside an instant count for nothing, as they take no time.
 *
 * A preemption is a job resumed after it was taken off its CPU while still ready; a migration
 * is a job resumed on another CPU than the one it last ran on; a new job (after the task's
 * sched_yield) starts with neither. A miss is a job that ended after its absolute deadline.
 */
import type { LinkJob } from './link.ts';

/** Per-thread state of the `gedf` policy. */
export interface GedfEntity extends LinkJob {
  /** The thread id, the decision's tie-break (`LinkJob.id`). */
  readonly id: number;
  /**
   * In the class, with this reservation: copied when the policy hears of a change, since
   * sched_setattr writes the thread's own fields before the policy can take its lock.
   */
  active: boolean;
  runtimeNs: number;
  deadlineNs: number;
  periodNs: number;
  /** The current job's absolute deadline (ns). */
  gedfDeadlineNs: number;
  /** The current job's release (ns); the next job's is one period later. */
  releaseNs: number;
  /** The job index of the thread's task (0 for its first job). */
  job: number;
  /** Set by sched_setattr: the next wakeup starts a job (the reservation is new). */
  fresh: boolean;
  /** In the ready set (a job released and not yet ended). */
  ready: boolean;
  /** Its job ended before its next release: parked until `releaseNs`, on `parkedCpu`'s timer. */
  parked: boolean;
  parkedCpu: number;
  /** The CPU its current job last ran on, -1 before it first runs. */
  lastCpu: number;
  /** Taken off its CPU while ready, not yet resumed. */
  displaced: boolean;
  /** The CPU of its open slice (committed link), or -1. */
  sliceCpu: number;
  sliceStartNs: number;
  /** CPU time the current job has had (ns), not counting the stretch running since `runStartNs`. */
  usedNs: number;
  /** When it went on its CPU (`runCpu`), or -1 while it is not on one. */
  runStartNs: number;
  runCpu: number;
  /** When it last left its CPU. */
  stopNs: number;
  /** Its job was ended by its runtime at a decision (`settle`): its next sched_yield says so late. */
  budgetEnded: boolean;
  /** The instant of that decision: until it passes the thread keeps its CPU to say so. */
  budgetEndNs: number;
}

/** A job as it ended: its thread, index, absolute deadline and finish time. */
export interface GedfJobEnd {
  tid: number;
  job: number;
  deadline_ns: number;
  finish_ns: number;
}

/** A stretch one job ran on one CPU, by the committed links (the reference's GedfSlice). */
export interface GedfRunSlice {
  cpu: number;
  tid: number;
  job: number;
  start_ns: number;
  end_ns: number;
}

/** Slices kept for a run's inspection (tests, the viewer); past it they are only counted. */
export const GEDF_SLICES_MAX = 20_000;

export class GedfAccount {
  preemptions = 0;
  migrations = 0;
  jobsEnded = 0;
  misses = 0;
  releases = 0;
  readonly slices: GedfRunSlice[] = [];
  readonly ends: GedfJobEnd[] = [];
  slicesDropped = 0;

  #close(e: GedfEntity, atNs: number): void {
    if (e.sliceCpu < 0) return;
    if (atNs > e.sliceStartNs) {
      const slice = { cpu: e.sliceCpu, tid: e.id, job: e.job, start_ns: e.sliceStartNs, end_ns: atNs };
      if (this.slices.length < GEDF_SLICES_MAX) this.slices.push(slice);
      else this.slicesDropped++;
    }
    e.sliceCpu = -1;
  }

  /** The links `final` held at the end of the instant `atNs` (`open`: the jobs with open slices). */
  commit(final: readonly (GedfEntity | null)[], open: Set<GedfEntity>, atNs: number): void {
    for (const e of open) {
      if (final[e.sliceCpu] === e) continue;
      this.#close(e, atNs);
      if (e.ready) e.displaced = true;
      open.delete(e);
    }
    final.forEach((e, cpu) => {
      if (e === null || e.sliceCpu === cpu) return;
      if (e.lastCpu >= 0) {
        if (e.displaced) this.preemptions++;
        if (cpu !== e.lastCpu) this.migrations++;
      }
      e.displaced = false;
      e.lastCpu = cpu;
      e.sliceCpu = cpu;
      e.sliceStartNs = atNs;
      open.add(e);
    });
  }

  /** `e`'s job ended at `atNs`, its work done at `finishNs`: its slice closes; the next job starts afresh. */
  endJob(e: GedfEntity, open: Set<GedfEntity>, atNs: number, finishNs: number): void {
    this.#close(e, atNs);
    open.delete(e);
    this.jobsEnded++;
    if (finishNs > e.gedfDeadlineNs) this.misses++;
    const end = { tid: e.id, job: e.job, deadline_ns: e.gedfDeadlineNs, finish_ns: finishNs };
    if (this.ends.length < GEDF_SLICES_MAX) this.ends.push(end);
    e.lastCpu = -1;
    e.displaced = false;
  }
}
