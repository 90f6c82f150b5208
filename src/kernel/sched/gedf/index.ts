/**
 * `gedf`: exact global EDF for SCHED_DEADLINE threads (issue 23), against which Linux's
 * SCHED_DEADLINE (the `fair` policy's deadline class: per-CPU queues with push and pull, a
 * documented approximation of G-EDF, as Linux's is) can be measured.
 *
 * One global ready set ordered by absolute deadline, ties by thread id, one global lock. Jobs
 * are linked to CPUs by the G-EDF rule (`link.ts`), and a CPU whose link changed is told to
 * switch. A job is what a SCHED_DEADLINE thread runs between its release and its sched_yield:
 * - the first wakeup after sched_setattr, or one after its deadline passed, starts a job:
 *   release = now, deadline = now + D;
 * - sched_yield ends the job (Linux's way for a periodic task to say so, dl_yield); the next
 *   job is released one period after this one's release, with deadline release + D. If that is
 *   still ahead the thread is parked until then (a timer on the CPU it yielded on); if it has
 *   passed (the job was late) the next job is ready at once, on the task's grid as SimSo's are.
 * Unlike Linux's constant-bandwidth servers nothing is throttled for overrunning its runtime:
 * G-EDF runs a job until it ends, as the reference schedule (`../gedf-exact.ts`) does. With
 * every cost and jitter zero, a task set run by the `taskset` workload follows that schedule
 * exactly (test/kernel/sched/gedf-policy.test.ts).
 *
 * Other threads (SCHED_OTHER) run on CPUs no job is linked to, round robin in turns of
 * QUANTUM_TICKS ticks. Deadline threads ignore affinity masks: sched_setattr refuses SCHED_DEADLINE
 * to a thread whose mask is not every CPU (EPERM), as Linux does for the root domain.
 *
 * About 445 lines: every hook of the policy interface reads and writes the one instant's state
 * (the links, the instant's start, the ready and parked sets); the pure decision is in link.ts
 * and the counting in account.ts.
 */
import { SCHED_DEADLINE, SCHED_OTHER } from '../../../abi/sched.ts';
import { TraceKind } from '../../../abi/trace.ts';
import { NO_DEADLINE } from '../../../engine/deadline.ts';
import type { Cpu } from '../../../hw/cpu.ts';
import { type KernelGen, lock, spend, unlock } from '../../../hw/effects.ts';
import { SpinLock } from '../../../hw/spinlock.ts';
import { LOCK_SWITCH } from '../../lock-order.ts';
import { type Context, isThread, type Thread, ThreadState } from '../../thread.ts';
import type { SchedHost, SchedPolicy } from '../policy.ts';
import { reschedule, TimedSleepers, TurnCounter } from '../policy-kit.ts';
import { GedfAccount, type GedfEntity, type GedfJobEnd, type GedfRunSlice } from './account.ts';
import { decideLinks } from './link.ts';

/** Ticks per turn of a SCHED_OTHER thread among its peers. */
export const QUANTUM_TICKS = 4;

export class GedfPolicy implements SchedPolicy {
  readonly name = 'gedf';
  readonly keepsBlockedQueued = false;
  readonly schedHandles = true;
  readonly classes: readonly number[] = [SCHED_OTHER, SCHED_DEADLINE];
  /** Admission as SimSo's: any set up to every CPU in full (Linux keeps 5% for the rest). */
  readonly dlFullCapacity = true;
  readonly #host: SchedHost;
  readonly #lock = new SpinLock('gedf', LOCK_SWITCH);
  readonly #entities = new Map<Thread, GedfEntity & { thread: Thread }>();
  readonly #ready = new Set<GedfEntity & { thread: Thread }>();
  /** Jobs that ended early, by release time. */
  readonly #parked: (GedfEntity & { thread: Thread })[] = [];
  /** Runnable SCHED_OTHER threads waiting for a CPU no job is linked to. */
  readonly #others: Thread[] = [];
  readonly #sleepers = new TimedSleepers();
  readonly #turns: TurnCounter;
  readonly #account = new GedfAccount();
  readonly #open = new Set<GedfEntity>();
  /** The links now, and at the end of the previous instant (`link.ts`). */
  #links: ((GedfEntity & { thread: Thread }) | null)[];
  #start: ((GedfEntity & { thread: Thread }) | null)[];
  /** The job each start link was running: a job that ended this instant left its CPU idle. */
  #startJob: number[];
  #instantNs = -1;

  constructor(host: SchedHost) {
    this.#host = host;
    this.#links = new Array(host.cpus.length).fill(null);
    this.#start = [...this.#links];
    this.#startJob = this.#links.map(() => -1);
    this.#turns = new TurnCounter(host.cpus.length, QUANTUM_TICKS);
  }

  #nowNs(): number {
    return this.#host.board.engine.nowNs;
  }

  /** A deadline thread's entity (created at its first sched_setattr), while it is in the class. */
  #dl(t: Thread): (GedfEntity & { thread: Thread }) | null {
    const e = this.#entities.get(t);
    return e?.active === true ? e : null;
  }

  /** A new instant: the last one's links are final, so they are counted and decided from. */
  #advance(): void {
    const now = this.#nowNs();
    if (now === this.#instantNs) return;
    if (this.#instantNs >= 0) this.#account.commit(this.#links, this.#open, this.#instantNs);
    this.#start = [...this.#links];
    this.#startJob = this.#links.map((e) => (e === null ? -1 : e.job));
    this.#instantNs = now;
  }

  /** Decides the links again from the instant's start, with every event so far applied. */
  #relink(): void {
    this.#advance();
    this.#settle();
    const start = this.#start.map((e, cpu) => (e !== null && e.job === this.#startJob[cpu] ? e : null));
    const links = decideLinks([...this.#ready], start);
    links.forEach((e, cpu) => {
      if (e !== this.#links[cpu]) this.#host.traceDecision(TraceKind.GedfLink, cpu, e === null ? -1 : e.id);
    });
    this.#links = links;
  }

  /**
   * A thread whose job a decision ended at this instant (`#settle`) has not yet said so: it keeps
   * its CPU for the rest of the instant, which its sched_yield takes no time of at zero cost, so
   * that it reads the clock when its work ended. Its CPU's link waits for that yield.
   */
  #finishing(t: Thread): boolean {
    const e = this.#dl(t);
    return e?.budgetEnded === true && e.budgetEndNs === this.#nowNs() && t.state === ThreadState.Runnable;
  }

  /** Whether CPU `id` runs something other than what it should (its job, or no job). */
  #stale(id: number): boolean {
    const current = this.#host.cpus[id]!.current;
    if (isThread(current) && this.#finishing(current)) return false;
    const want = this.#links[id] ?? null;
    if (want !== null) return current !== want.thread;
    if (isThread(current) && this.#dl(current) !== null) return true;
    return !isThread(current) && this.#others.some((t) => !t.running && t.allowedOn(id));
  }

  /** Tells every CPU other than `cpu` that runs the wrong thing to switch; true if `cpu` should. */
  *#kick(cpu: Cpu): KernelGen<boolean> {
    for (let id = 0; id < this.#host.cpus.length; id++) {
      if (id !== cpu.id && this.#stale(id)) yield* reschedule(this.#host, cpu, id);
    }
    return this.#stale(cpu.id);
  }

  /** Releases the parked jobs due by now (those on `cpuId`'s timer, or every CPU's with -1). */
  #releaseDue(cpuId: number): boolean {
    const now = this.#nowNs();
    let released = false;
    for (let i = 0; i < this.#parked.length; ) {
      const e = this.#parked[i]!;
      if (e.releaseNs > now) break;
      if (cpuId >= 0 && e.parkedCpu !== cpuId) {
        i++;
        continue;
      }
      this.#parked.splice(i, 1);
      e.parked = false;
      e.ready = true;
      this.#ready.add(e);
      this.#account.releases++;
      this.#host.traceDecision(TraceKind.GedfRelease, e.id, e.gedfDeadlineNs % 2 ** 32);
      released = true;
    }
    return released;
  }

  #parkedDueNs(cpuId: number): number {
    for (const e of this.#parked) if (e.parkedCpu === cpuId) return e.releaseNs;
    return NO_DEADLINE;
  }

  /** A thread that can run again is placed: a deadline thread's job, or the others' tail. */
  #enqueue(t: Thread): void {
    const e = this.#dl(t);
    if (e === null) {
      if (!this.#others.includes(t)) this.#others.push(t);
      return;
    }
    const now = this.#nowNs();
    if (e.parked) return; // its next job is released by its timer
    if (!e.ready && (e.fresh || now >= e.gedfDeadlineNs)) {
      e.fresh = false;
      e.releaseNs = now;
      e.gedfDeadlineNs = now + e.deadlineNs;
    }
    e.ready = true;
    this.#ready.add(e);
  }

  switchLock(): SpinLock {
    return this.#lock;
  }

  *tick(cpu: Cpu, periods: number): KernelGen<boolean> {
    const turnOver = this.#turns.tick(cpu.id, periods);
    const now = this.#nowNs();
    const current = cpu.current;
    const otherTurn = turnOver && isThread(current) && this.#dl(current) === null && this.#others.length > 0;
    return otherTurn || this.#sleepers.dueNs() <= now || this.#parkedDueNs(cpu.id) <= now;
  }

  nextTickNs(cpu: Cpu, periodNs: number): number {
    const now = this.#nowNs();
    const current = cpu.current;
    const turn =
      isThread(current) && this.#dl(current) === null && this.#others.length > 0
        ? this.#turns.turnEndNs(cpu, periodNs, now)
        : NO_DEADLINE;
    return Math.min(turn, this.#sleepers.dueNs(), this.#parkedDueNs(cpu.id));
  }

  hrtimerNextNs(cpu: Cpu): number {
    return this.#parkedDueNs(cpu.id);
  }

  *runHrtimers(cpu: Cpu): KernelGen<boolean> {
    yield lock(this.#lock);
    const released = this.#releaseDue(cpu.id);
    if (released) this.#relink();
    yield unlock(this.#lock);
    return released ? yield* this.#kick(cpu) : false;
  }

  *start(cpu: Cpu, t: Thread): KernelGen<void> {
    t.state = ThreadState.Runnable;
    yield* this.wake(cpu, t);
  }

  *wake(cpu: Cpu, t: Thread): KernelGen<void> {
    this.#sleepers.delete(t);
    yield lock(this.#lock);
    this.#enqueue(t);
    this.#relink();
    yield spend(this.#host.board.costs.schedPickNs);
    yield unlock(this.#lock);
    if (yield* this.#kick(cpu)) yield* reschedule(this.#host, cpu, cpu.id);
  }

  armTimeout(_cpu: Cpu, t: Thread, deadlineNs: number): void {
    this.#sleepers.arm(t, deadlineNs);
  }

  *select(cpu: Cpu, prev: Context): KernelGen<Context | null> {
    this.#sleepers.expire(this.#host, (t) => this.#enqueue(t));
    this.#releaseDue(-1);
    if (isThread(prev)) {
      const e = this.#dl(prev);
      if (e !== null && e.runStartNs >= 0) {
        e.usedNs += this.#nowNs() - e.runStartNs;
        e.runStartNs = -1;
        e.stopNs = this.#nowNs();
      }
      if (prev.state !== ThreadState.Runnable) {
        if (e !== null) this.#unready(e);
      } else if (e === null && !this.#others.includes(prev)) this.#others.push(prev);
    }
    this.#relink();
    yield* this.#kick(cpu);
    yield spend(this.#host.board.costs.schedPickNs);
    const next = this.#pick(cpu, prev);
    this.#host.traceDecision(TraceKind.GedfPick, cpu.id, next === null ? -1 : next.id);
    if (next !== null) {
      if (next !== prev) this.#turns.reset(cpu.id);
      const e = this.#dl(next);
      if (e !== null) {
        e.runStartNs = this.#nowNs();
        e.runCpu = cpu.id;
      }
      return next;
    }
    const idle = this.#host.idle[cpu.id]!;
    return prev === idle ? null : idle;
  }

  /** The linked job if it is free to run here, else (no job linked) the first waiting other. */
  #pick(cpu: Cpu, prev: Context): Thread | null {
    if (isThread(prev) && this.#finishing(prev)) return prev;
    const want = this.#links[cpu.id] ?? null;
    if (want !== null) {
      // Still current on the CPU it was taken from: that CPU's switch will send it here.
      return !want.thread.running || want.thread === prev ? want.thread : null;
    }
    const at = this.#others.findIndex((t) => (!t.running || t === prev) && t.allowedOn(cpu.id));
    return at < 0 ? null : this.#others.splice(at, 1)[0]!;
  }

  #unready(e: GedfEntity & { thread: Thread }): void {
    e.ready = false;
    this.#ready.delete(e);
    const at = this.#parked.indexOf(e);
    if (at >= 0) this.#parked.splice(at, 1);
    e.parked = false;
  }

  *afterSwitch(cpu: Cpu): KernelGen<void> {
    for (let id = 0; id < this.#host.cpus.length; id++) {
      const want = this.#links[id] ?? null;
      if (id !== cpu.id && want !== null && !want.thread.running && this.#stale(id))
        yield* reschedule(this.#host, cpu, id);
    }
  }

  /** sched_yield by a deadline thread ends its job (see the header), unless a decision already did. */
  yieldCurrent(cpu: Cpu, t: Thread): void {
    const e = this.#dl(t);
    if (e === null) return;
    if (e.budgetEnded) {
      e.budgetEnded = false; // the job a decision ended: this is its late word (parked or not)
      return;
    }
    if (!e.ready) return;
    this.#advance();
    this.#endJob(e, cpu.id, this.#nowNs());
  }

  /** `e`'s job ends now, its work done at `finishNs`; the next is released a period after this one. */
  #endJob(e: GedfEntity & { thread: Thread }, cpuId: number, finishNs: number): void {
    const now = this.#nowNs();
    this.#host.traceDecision(TraceKind.GedfJobEnd, e.id, finishNs > e.gedfDeadlineNs ? 1 : 0);
    this.#account.endJob(e, this.#open, now, finishNs);
    e.job++;
    e.usedNs = 0;
    if (e.runStartNs >= 0) e.runStartNs = now;
    e.releaseNs += e.periodNs;
    e.gedfDeadlineNs = e.releaseNs + e.deadlineNs;
    if (e.releaseNs <= now) return; // late: the next job is ready at once
    this.#ready.delete(e);
    e.ready = false;
    e.parked = true;
    e.parkedCpu = cpuId;
    let i = this.#parked.length;
    while (i > 0 && this.#parked[i - 1]!.releaseNs > e.releaseNs) i--;
    this.#parked.splice(i, 0, e);
  }

  /**
   * Completions first (the reference's rule at an instant): a running job that has had its whole
   * runtime has done its work, though its thread has not yet said so with sched_yield (it may be
   * switched out by this very decision before it can). Its next sched_yield is then absorbed.
   */
  #settle(): void {
    const now = this.#nowNs();
    for (const e of [...this.#ready]) {
      if (e.budgetEnded) continue; // its yield is still to come: the job after has not run yet
      const running = e.runStartNs >= 0;
      const overNs = e.usedNs + (running ? now - e.runStartNs : 0) - e.runtimeNs;
      if (overNs < 0) continue;
      e.budgetEnded = true;
      e.budgetEndNs = now;
      this.#endJob(e, e.runCpu, (running ? now : e.stopNs) - overNs);
    }
  }

  /**
   * sched_setattr / sched_setscheduler moved `t` into or out of SCHED_DEADLINE (or changed its
   * reservation): a new reservation starts a job at the next wakeup; leaving the class ends the
   * job it was running.
   */
  *prioChanged(cpu: Cpu, t: Thread): KernelGen<void> {
    yield lock(this.#lock);
    const old = this.#entities.get(t);
    if (old !== undefined) {
      if (old.active && old.ready && !old.budgetEnded && t.policy !== SCHED_DEADLINE) {
        this.#advance();
        this.#account.endJob(old, this.#open, this.#nowNs(), this.#nowNs()); // leaving ends the job
      }
      old.budgetEnded = false;
      old.active = false;
      this.#unready(old);
    }
    if (t.policy === SCHED_DEADLINE) {
      const e = old ?? this.#newEntity(t);
      e.active = true;
      e.runtimeNs = t.dlRuntimeNs;
      e.deadlineNs = t.dlDeadlineNs;
      e.periodNs = t.dlPeriodNs;
      // Until its first wakeup starts a job it runs with a deadline from now.
      e.fresh = true;
      e.releaseNs = this.#nowNs();
      e.gedfDeadlineNs = e.releaseNs + e.deadlineNs;
      const at = this.#others.indexOf(t);
      if (at >= 0) this.#others.splice(at, 1);
      if (t.state === ThreadState.Runnable) {
        e.ready = true;
        this.#ready.add(e);
      }
    } else if (t.state === ThreadState.Runnable && !t.running) this.#enqueue(t);
    this.#relink();
    yield unlock(this.#lock);
    if (yield* this.#kick(cpu)) yield* reschedule(this.#host, cpu, cpu.id);
  }

  #newEntity(t: Thread): GedfEntity & { thread: Thread } {
    const e = {
      ...{ id: t.id, thread: t, active: false, runtimeNs: 0, deadlineNs: 0, periodNs: 0 },
      ...{ gedfDeadlineNs: 0, releaseNs: 0, job: 0, fresh: true },
      ...{ ready: false, parked: false, parkedCpu: -1, lastCpu: -1, displaced: false },
      ...{ sliceCpu: -1, sliceStartNs: 0, usedNs: 0, runStartNs: -1, runCpu: -1, stopNs: -1 },
      ...{ budgetEnded: false, budgetEndNs: -1 },
    };
    this.#entities.set(t, e);
    return e;
  }

  remove(t: Thread): void {
    this.#sleepers.delete(t);
    const e = this.#entities.get(t);
    if (e !== undefined) this.#unready(e);
    const at = this.#others.indexOf(t);
    if (at >= 0) this.#others.splice(at, 1);
  }

  queued(): Thread[] {
    const jobs = [...this.#ready, ...this.#parked].map((e) => e.thread);
    return [...jobs, ...this.#others].filter((t) => !t.running);
  }

  locks(): SpinLock[] {
    return [this.#lock];
  }

  /** The committed schedule so far: every slice a job ran on a CPU (tests, inspection). */
  slices(): readonly GedfRunSlice[] {
    this.#commitNow();
    return this.#account.slices;
  }

  /** Every job that ended so far, with its finish time (tests, inspection). */
  jobEnds(): readonly GedfJobEnd[] {
    return this.#account.ends;
  }

  /** Counts the current instant's links as final (a report reads them at the end of a run). */
  #commitNow(): void {
    if (this.#instantNs < 0) return;
    this.#account.commit(this.#links, this.#open, this.#instantNs);
  }

  stats(): Record<string, number> {
    this.#commitNow();
    const a = this.#account;
    return {
      jobs_ended: a.jobsEnded,
      deadline_misses: a.misses,
      preemptions: a.preemptions,
      migrations: a.migrations,
      releases: a.releases,
      slices_dropped: a.slicesDropped,
    };
  }
}
