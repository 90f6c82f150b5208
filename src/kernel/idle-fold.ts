/**
 * Idle-tick folding (issue 14): a halted CPU's periodic LAPIC ticks that can only advance time
 * handled k at a time. An idle tick wakes the CPU from `hlt`, enters the interrupt, counts the
 * tick, asks the policy (nothing to do), runs the idle loop's select (nothing to run or steal)
 * and halts again: about six events and as many kernel generator steps that change nothing but
 * counters and clocks. Such a tick changes the same counters by the same amounts every time
 * while the state it reads is the same, so the fold learns them from one tick that ran (its
 * deltas from the tick's event to its halt) and applies k times that delta at once.
 *
 * Learning: at the tick of a halted CPU whose state is pure (below) the CPU's own counters are
 * read; at the halt that ends it they are read again. The tick counts only if no other
 * interrupt reached the CPU meanwhile and it stayed pure throughout; other CPUs' events may
 * fall inside it (they touch none of these counters), so the kernel-wide counts a tick makes
 * (an interrupt, a tick, an idle tick) are added in closed form, not learned. A fold uses it at the next tick of the same CPU, which must be exactly one
 * period after the learned tick's halt began (the CPU stayed halted), with the switch lock's
 * line still on this CPU (the lock's cost is the same).
 *
 * Pure: no cpufreq governor, fault plan or deadline timer; a periodic tick; the policy says
 * until when its ticks do nothing (SchedPolicy.idleFoldUntilNs: no timer, balance or steal);
 * no hrtimer or reschedule due; some thread can still wake (so no halt reports a deadlock).
 *
 * Horizon: the folded ticks must end before anything that could observe or change the state
 * they read. Every queued event bounds it, except another halted CPU's tick while that CPU is
 * itself pure (such ticks touch only their own CPU's state and commutative counters); those
 * bound it where their own purity ends. The simulated-time and event limits bound it too, and
 * the fold refuses itself where runAhead would (observers, an explorer decider, a stop).
 *
 * What differs from running the ticks: the trace hash (one IdleTicksFolded record instead of
 * each tick's records) and the order in which other CPUs' folded ticks are accounted; every
 * figure and the simulated time are the same (test/kernel/idle-fold.test.ts runs seeds both ways).
 */
import { TraceKind } from '../abi/trace.ts';
import type { Cpu } from '../hw/cpu.ts';
import type { IdleTickFolder } from '../hw/timer.ts';
import type { Kernel } from './kernel.ts';
import { ThreadState } from './thread.ts';
import { NO_DEADLINE } from '../engine/deadline.ts';

/**
 * The CPU's own counters a tick may change, read in one fixed order (see `#read`): the times a
 * tick adds to (Cpu.addTimes, in this order), then its plain counters.
 */
const TIME_FIELDS = ['userNs', 'kernelNs', 'spinNs'] as const;
const COUNTER_FIELDS = ['effects', 'remoteMemNs', 'resumeEvents'] as const;
const CPU_FIELDS = [...TIME_FIELDS, ...COUNTER_FIELDS] as const;
/** Slots: cpu fields, idle time so far, the idle context's CPU time, the switch lock. */
const IDLE_SLOT = CPU_FIELDS.length;
const RESUMES_SLOT = CPU_FIELDS.length - 1;
const SLOTS = IDLE_SLOT + 5;

/** What one CPU's learned idle tick did. */
class Learned {
  /** Counters at the learning tick's event. */
  readonly before = new Float64Array(SLOTS);
  /** Their change over one tick (valid when `valid`). */
  readonly delta = new Float64Array(SLOTS);
  learning = false;
  valid = false;
  tickNs = 0;
  /** Before when the learning tick was pure, as known at its event. */
  untilNs = 0;
  /** The CPU's LAPIC's accepted count at the learning tick's event. */
  acceptedAtTick = 0;
  /** From the tick's event to its halt. */
  spanNs = 0;
  /** The CPU's own events after the tick's (its resumes). */
  eventsAfter = 0;
  /** When the halt that ended the last learned or folded tick began. */
  haltNs = -1;
}

export class IdleFold implements IdleTickFolder {
  readonly #k: Kernel;
  readonly #learned: Learned[] = [];
  readonly #scratch = new Float64Array(SLOTS);
  #tickKind = -1;
  /** Folds made and the ticks they stood for (tests and the bench read them). */
  folds = 0;
  ticksFolded = 0;

  constructor(k: Kernel) {
    this.#k = k;
    for (const cpu of k.board.cpus) {
      this.#learned.push(new Learned());
      cpu.onHalt = (cpuId) => this.#halted(cpuId);
    }
  }

  setTickKind(kind: number): void {
    this.#tickKind = kind;
  }

  /** The LAPIC timer's question at a tick of the halted `cpuId` (hw/timer.ts). */
  foldTicks(cpuId: number, periodNs: number): number {
    const k = this.#k;
    const engine = k.board.engine;
    const learned = this.#learned[cpuId]!;
    learned.learning = false;
    if (!engine.foldAllowed) return -1;
    const cpu = k.board.cpus[cpuId]!;
    const untilNs = this.#pureUntilNs(cpu);
    if (!(untilNs > engine.nowNs)) {
      learned.valid = false;
      return -1;
    }
    if (learned.valid && this.#sameTick(cpu, learned, periodNs)) {
      const nextNs = this.#fold(cpu, learned, periodNs, untilNs);
      if (nextNs >= 0) return nextNs;
    }
    this.#beginLearning(cpu, learned, untilNs);
    return -1;
  }

  /** The tick now is the one after the learned (or last folded) one, on an unchanged CPU. */
  #sameTick(cpu: Cpu, learned: Learned, periodNs: number): boolean {
    const nowNs = this.#k.nowNs;
    if (cpu.haltSinceNs !== learned.haltNs || nowNs - learned.haltNs !== periodNs - learned.spanNs)
      return false;
    return this.#lockLocal(cpu);
  }

  /** The switch lock is free and its line on `cpu`: taking it costs what the learned tick paid. */
  #lockLocal(cpu: Cpu): boolean {
    const lock = this.#k.policy.switchLock(cpu.id);
    if (lock.queued !== null) return lock.holder === -1 && lock.queued.localTo(cpu.id); // MCS: its words
    return lock.holder === -1 && lock.lastHolder === cpu.id && lock.spinners.length === 0;
  }

  #beginLearning(cpu: Cpu, learned: Learned, untilNs: number): void {
    const engine = this.#k.board.engine;
    learned.valid = false;
    if (!this.#lockLocal(cpu)) return;
    learned.learning = true;
    learned.tickNs = engine.nowNs;
    learned.untilNs = untilNs;
    learned.acceptedAtTick = cpu.lapic.accepted;
    this.#read(cpu, learned.before);
  }

  /** `cpuId` halted: the end of a tick being learned, or of anything else. */
  #halted(cpuId: number): void {
    const learned = this.#learned[cpuId]!;
    if (!learned.learning) {
      learned.valid = false;
      return;
    }
    learned.learning = false;
    const engine = this.#k.board.engine;
    // Another interrupt reached the CPU inside the tick: the counters are not one idle tick's.
    if (this.#k.board.cpus[cpuId]!.lapic.accepted !== learned.acceptedAtTick + 1) return;
    // Pure for the whole tick: a bound the tick's code passed while it ran (a periodic balance due
    // a few hundred ns after the tick's event) made it do more than the ticks it would stand for.
    const cpu = this.#k.board.cpus[cpuId]!;
    if (!(learned.untilNs > engine.nowNs) || !(this.#pureUntilNs(cpu) > engine.nowNs)) return;
    this.#read(cpu, this.#scratch);
    for (let i = 0; i < SLOTS; i++) learned.delta[i] = this.#scratch[i]! - learned.before[i]!;
    learned.eventsAfter = learned.delta[RESUMES_SLOT]!;
    learned.spanNs = engine.nowNs - learned.tickNs;
    learned.haltNs = engine.nowNs;
    learned.valid = true;
  }

  /**
   * Folds the ticks at now, now + P, ... whose whole span ends before the horizon; returns when
   * the next tick is due, or -1 when not even this one fits.
   */
  #fold(cpu: Cpu, learned: Learned, periodNs: number, untilNs: number): number {
    const k = this.#k;
    const engine = k.board.engine;
    const nowNs = engine.nowNs;
    // Two ticks at least, or the queue is not even scanned: one tick saves less than the scan
    // costs on a machine of many CPUs (each other CPU's purity is a policy question).
    const usefulNs = nowNs + periodNs + learned.spanNs + 1;
    if (untilNs < usefulNs || engine.simNsMax + 1 < usefulNs) return -1;
    const horizonNs = Math.min(untilNs, this.#queueHorizonNs(cpu.id, usefulNs), engine.simNsMax + 1);
    const perTick = learned.eventsAfter + 1;
    const byTime = Math.floor((horizonNs - 1 - learned.spanNs - nowNs) / periodNs) + 1;
    // Other CPUs' ticks in the span spend the event budget too: a wide margin keeps the event
    // limit from falling inside the folded span (where running them would stop part-way).
    const byEvents = Math.floor(engine.eventsLeft / (4 * perTick * k.board.cpus.length)) - 1;
    const ticks = Math.min(byTime, byEvents);
    if (!(ticks >= 1) || !Number.isFinite(ticks) || !canStillWake(k)) return -1;
    const idleNs =
      cpu.idleSoFarNs + ticks * learned.delta[IDLE_SLOT]! + (ticks - 1) * (periodNs - learned.spanNs);
    this.#apply(cpu, learned.delta, ticks);
    const lastHaltNs = nowNs + (ticks - 1) * periodNs + learned.spanNs;
    cpu.refoldHalt(lastHaltNs, idleNs);
    learned.haltNs = lastHaltNs;
    engine.countFolded(ticks * perTick - 1, lastHaltNs);
    k.board.trace.mix(TraceKind.IdleTicksFolded, cpu.id, ticks);
    this.folds++;
    this.ticksFolded += ticks;
    return nowNs + ticks * periodNs;
  }

  /**
   * The earliest queued event that could observe or change what the folded ticks read: any
   * event, but a tick of another halted, pure CPU, which counts only from where its purity ends.
   * The cheap bound (every event but such ticks) comes first; the ticks' purity is asked only
   * below it, and the scan gives up (-1) once the horizon falls below `usefulNs`.
   */
  #queueHorizonNs(cpuId: number, usefulNs: number): number {
    const queue = this.#k.board.engine.queue;
    const cpus = this.#k.board.cpus;
    let horizonNs = NO_DEADLINE;
    for (let slot = 0; slot < queue.size; slot++) {
      const timeNs = queue.timeAt(slot);
      if (timeNs < horizonNs && !this.#otherTick(slot, cpuId)) horizonNs = timeNs;
    }
    if (horizonNs < usefulNs) return -1;
    for (let slot = 0; slot < queue.size; slot++) {
      const timeNs = queue.timeAt(slot);
      if (timeNs >= horizonNs || !this.#otherTick(slot, cpuId)) continue;
      const untilNs = this.#pureUntilNs(cpus[queue.argAt(slot)]!, true);
      horizonNs = Math.min(horizonNs, untilNs > timeNs ? untilNs : timeNs);
      if (horizonNs < usefulNs) return -1;
    }
    return horizonNs;
  }

  /** Whether the event in heap `slot` is the periodic tick of a halted CPU other than `cpuId`. */
  #otherTick(slot: number, cpuId: number): boolean {
    const queue = this.#k.board.engine.queue;
    const other = queue.argAt(slot);
    return queue.kindAt(slot) === this.#tickKind && other !== cpuId && this.#k.board.cpus[other]!.halted;
  }

  /**
   * Before when `cpu`'s ticks only advance time and counters, or -1 (see the file's header);
   * `otherCpu`: of a CPU other than the folding one (SchedPolicy.idleFoldUntilNs).
   */
  #pureUntilNs(cpu: Cpu, otherCpu = false): number {
    const k = this.#k;
    if (k.cpufreq !== null || k.deadlineTimer !== null || k.switchFaultPlan.armed) return -1;
    if (k.needResched[cpu.id] !== 0 || k.percpu.preemptDeferred[cpu.id] !== 0 || k.finished) return -1;
    if (k.contextPool.wantsRefill(cpu.id)) return -1; // it refills before it halts (context-pool.ts)
    const policy = k.policy;
    if (policy.idleFoldUntilNs === undefined) return -1;
    let untilNs = policy.idleFoldUntilNs(cpu, otherCpu);
    if (!(untilNs > k.nowNs)) return -1;
    if (k.hrtimers !== null) untilNs = Math.min(untilNs, k.hrtimers.nextSoftNs(cpu.id));
    return untilNs > k.nowNs ? untilNs : -1;
  }

  /** Reads the counters a tick changes into `out`, in SLOTS order. */
  #read(cpu: Cpu, out: Float64Array): void {
    const k = this.#k;
    let i = 0;
    for (const f of CPU_FIELDS) out[i++] = cpu[f];
    out[i++] = cpu.idleSoFarNs;
    out[i++] = k.idle[cpu.id]!.cpuTimeNs;
    const lock = k.policy.switchLock(cpu.id);
    out[i++] = lock.acquisitions;
    out[i++] = lock.contended;
    out[i++] = lock.spinNs;
  }

  /**
   * Adds `ticks` times `delta` to the CPU's counters (idle time so far is set by refoldHalt) and
   * counts what each idle tick counts in the kernel (irqEntry: an interrupt; tick.ts: a tick, on
   * an idle context): closed form, since other CPUs' events may fall inside a learned tick.
   */
  #apply(cpu: Cpu, delta: Float64Array, ticks: number): void {
    const k = this.#k;
    k.stats.interrupts += ticks;
    k.stats.ticks += ticks;
    k.stats.idleTicks += ticks;
    cpu.lapic.accepted += ticks;
    cpu.addTimes(ticks * delta[0]!, ticks * delta[1]!, ticks * delta[2]!);
    let i = TIME_FIELDS.length;
    for (const f of COUNTER_FIELDS) cpu[f] += ticks * delta[i++]!;
    i++; // idle time so far
    k.idle[cpu.id]!.cpuTimeNs += ticks * delta[i++]!;
    const lock = k.policy.switchLock(cpu.id);
    lock.acquisitions += ticks * delta[i++]!;
    lock.contended += ticks * delta[i++]!;
    lock.spinNs += ticks * delta[i++]!;
  }
}

/**
 * Whether some thread can still run or wake by itself (runnable, or blocked with a timeout):
 * then no halt in the folded span would report a deadlock (kernel/deadlock.ts).
 */
function canStillWake(k: Kernel): boolean {
  for (const t of k.threads.values()) {
    if (t.state === ThreadState.Runnable) return true;
    if (t.state === ThreadState.Blocked && t.wakeNs !== NO_DEADLINE) return true;
  }
  return false;
}
