/**
 * A CPU: an interpreter of effects. It runs the top frame of its current context, charges each
 * effect's cost from the cost model, spins on held locks, halts, and takes interrupts from its
 * LAPIC (lapic.ts) at the points real hardware would (user mode, `sti; hlt`, `sti; nop`).
 * Kernel frames run with interrupts disabled, so an interrupt that arrives meanwhile stays
 * pending until one of those points. It refuses, with a guest fault, what a user frame must not
 * run (IllegalEffect). The CPU knows nothing of schedulers: the kernel installs its handlers as
 * CpuHooks. It keeps the frames, the wait states and the time accounting; the interrupt
 * controller is the LAPIC's, the lock's line costs and races are the SpinLock's.
 *
 * Why it is about 820 lines, above the house ~400: the run loop, the wait states and the time
 * accounting share private per-CPU state on the hottest path of every simulation, kept in one
 * class so V8 sees one shape and inlines across it (bench); what does not share that state has
 * moved out (lapic.ts, spinlock.ts, IllegalEffect in effects.ts, the AP start states in
 * ap-startup.ts, the time table's layout in cpu-times.ts). About 270 lines came with issue 14's
 * run-ahead, one-call compute path (#computeEnded) and frame kept on the CPU, issue 16's core-clock
 * changes and issue 17's ordered accesses and queued locks (the word spin is a wait state). The
 * largest piece left that could go is the lock and word effects (#lock to #unlock, ~120 lines),
 * once they can enter and leave the spin wait through a narrow interface that the futex
 * ping-pong's lock path does not pay for (measure with scripts/instructions.mjs).
 */
import type {
  AtomicEffect,
  CallEffect,
  FenceEffect,
  LoadEffect,
  StoreEffect,
  SyscallEffect,
} from '../abi/effects.ts';
import { AtomicOp, GUEST_OP_LAST, Op } from '../abi/effects.ts';
import { assert, fail } from '../engine/assert.ts';
import { ChoiceKind, type Decider, PrngDecider } from '../engine/decider.ts';
import type { Prng } from '../engine/prng.ts';
import type { Engine, EventSink } from '../engine/engine.ts';
import type { EventQueue } from '../engine/event-queue.ts';
import type { TraceHash } from '../engine/trace-hash.ts';
import { type ExecContext, type Frame, FrameKind, GENERATOR_NEXT, makeFrame } from './context.ts';
import type { CostModel } from './cost-model.ts';
import {
  IllegalEffect,
  type KernelEffect,
  type KernelGen,
  KernelOp,
  type LockEffect,
  type SpinWordEffect,
  type SwitchEffect,
  type WordEffect,
} from './effects.ts';
import type { CpuidInfo } from './cpuid.ts';
import { type ApicBus, Lapic, type LapicCore } from './lapic.ts';
import type { LockWords, WordWatcher } from './lock-words.ts';
import { type SpinLock, queuedLock, queuedTryLock, queuedUnlock } from './spinlock.ts';
import type { Topology } from './topology.ts';
import { CPU_TIME_FIELDS, Time } from './cpu-times.ts';
import { TraceKind } from '../abi/trace.ts';

/** Handlers the kernel installs; the CPU calls them and runs the kernel code they return. */
export interface CpuHooks {
  syscall(cpu: Cpu, ctx: ExecContext, effect: SyscallEffect): KernelGen<unknown>;
  interrupt(cpu: Cpu, vector: number): KernelGen<void>;
  /** Guest code of `ctx` threw: a memory fault or an uncaught exception. */
  guestFault(cpu: Cpu, ctx: ExecContext, error: unknown): KernelGen<void>;
  /** An atomic operation on guest memory; may throw a fault, which becomes `guestFault`. */
  atomic(cpu: Cpu, ctx: ExecContext, effect: AtomicEffect): number;
  /** The NUMA node of the memory at `addr` in `ctx`'s address space, or -1 (HW-14). */
  memoryNode(cpu: Cpu, ctx: ExecContext, addr: number, memPermille: number): number;
  /** Kernel work due before returning to user mode (a pending reschedule), or null. */
  returnToUser(cpu: Cpu, ctx: ExecContext): KernelGen<void> | null;
  onSwitch(cpu: Cpu, prev: ExecContext, next: ExecContext): void;
}

/** Shared hardware a CPU reaches: the engine, the other CPUs, the costs, the trace. */
export interface CpuBus {
  readonly engine: Engine;
  readonly costs: CostModel;
  readonly topology: Topology;
  readonly trace: TraceHash;
  readonly cpus: readonly Cpu[];
  /** The bus interrupt messages travel on to every CPU's LAPIC. */
  readonly apic: ApicBus;
  /** Engine event kind of the CPUs' resume handler (registered once by the board). */
  readonly kindResume: number;
  /** Every CPU's row of accounting and wait times (cpu-times.ts), zeroed. */
  readonly cpuTimes: Float64Array;
}

enum Wait {
  Running = 0,
  Effect = 1,
  Spin = 2,
  Halt = 3,
}

/** Zero-time effects in a row before the CPU assumes kernel code is looping forever. */
const ZERO_TIME_EFFECTS_MAX = 100_000;

export class Cpu implements LapicCore, WordWatcher, EventSink {
  // Numeric fields start as numbers, not undefined until the constructor assigns them: a field
  // V8 first saw hold undefined stays tagged, boxing every double stored in it (issue 14).
  readonly id: number = 0;
  readonly bus: CpuBus;
  /** This CPU's local APIC: every interrupt reaches the CPU through it. */
  readonly lapic: Lapic;
  /** What CPUID reports on this CPU (its APIC id, x2APIC, the topology shift widths). */
  readonly cpuid: CpuidInfo;
  hooks!: CpuHooks;
  /** Cycles per nanosecond, with this CPU's boot-time skew applied. */
  cyclesPerNs: number = 0;
  current!: ExecContext;

  // Accounting (ns): user, kernel, spin and idle time live in this CPU's row of the board's
  // time table (#t, #r), as the getters below show.
  effects = 0;
  /** Resume events of this CPU dispatched, run ahead or not (kernel/idle-fold.ts counts its own). */
  resumeEvents = 0;
  /** Extra user time memory-bound compute spent because its memory was on another node (HW-14). */
  remoteMemNs = 0;

  /** Called when this CPU halts (kernel/idle-fold.ts learns an idle tick's effect), or null. */
  onHalt: ((cpuId: number) => void) | null = null;

  #wait: Wait = Wait.Running;
  /** The queued-lock word this CPU spins on (Wait.Spin), or null. */
  #wordSpin: SpinWordEffect | null = null;
  /** Generation of the pending resume event; bumping it cancels that event. */
  #resumeGen = 0;
  #effectUserCompute = false;
  /**
   * The frame of the user compute burst in flight (#startCompute), the top of the current
   * context's frames until its resume: nothing pushes or pops a frame of this CPU's context but
   * code this CPU runs, and it runs none while it waits on the burst (an interrupt splits the
   * burst first, which cancels that resume). #computeEnded reads it instead of walking context,
   * frame array and its storage, three dependent loads that at 256 CPUs miss the cache.
   */
  #computeFrame: Frame | null = null;
  /** Woken from `hlt` by an interrupt: take it before the code after `hlt` runs. */
  #haltWoke = false;
  /** In this CPU's onEvent: a resume it schedules is held back (see onEvent). */
  #inResume = false;
  /** A resume scheduled in onEvent, not yet pushed: its time is `#effectEndNs`. */
  #resumeHeld = false;

  // Hot-path references, cached so each effect does not walk bus.engine.queue.
  readonly #engine: Engine;
  readonly #queue: EventQueue;
  readonly #decider: Decider;
  readonly #trace: TraceHash;
  readonly #kindResume: number = 0;
  /** The board's time table and this CPU's row in it (Time). */
  readonly #t: Float64Array;
  readonly #r: number = 0;
  /** Width of the compute jitter draw (2·ppm+1), or 0 for none. */
  readonly #jitterRange: number = 0;
  readonly #jitterPpm: number = 0;
  /** The decider's PRNG when it is the plain PrngDecider: the jitter draw goes to it directly. */
  readonly #jitterPrng: Prng | null = null;
  /** Reused: the atomic an ordered Load or Store runs as (consumed before the next effect). */
  readonly #shared: AtomicEffect = { op: Op.Atomic, kind: AtomicOp.Load, addr: 0, a: 0, b: 0 };

  constructor(id: number, bus: CpuBus, cyclesPerNs: number, cpuid: CpuidInfo) {
    this.id = id;
    this.cpuid = cpuid;
    this.bus = bus;
    this.cyclesPerNs = cyclesPerNs;
    this.#engine = bus.engine;
    this.#queue = bus.engine.queue;
    this.#decider = bus.engine.decider;
    this.#trace = bus.trace;
    this.#kindResume = bus.kindResume;
    this.#t = bus.cpuTimes;
    this.#r = id * CPU_TIME_FIELDS;
    assert(this.#r + CPU_TIME_FIELDS <= this.#t.length, `cpu ${id}: no row in the board's time table`);
    this.#jitterPpm = bus.costs.computeJitterPpm;
    this.#jitterRange = this.#jitterPpm > 0 ? 2 * this.#jitterPpm + 1 : 0;
    const decider = bus.engine.decider;
    this.#jitterPrng = decider instanceof PrngDecider ? decider.prng : null;
    this.lapic = new Lapic(id, cpuid.apicId, bus.apic, this);
  }

  /** User time (ns), compute bursts charged when they start. */
  get userNs(): number {
    return this.#t[this.#r + Time.UserNs]!;
  }

  get kernelNs(): number {
    return this.#t[this.#r + Time.KernelNs]!;
  }

  /** Time spun waiting for locks and words (ns). */
  get spinNs(): number {
    return this.#t[this.#r + Time.SpinNs]!;
  }

  /** Halted time (ns), each halt counted when it ends (idleSoFarNs counts the one in progress). */
  get idleNs(): number {
    return this.#t[this.#r + Time.IdleNs]!;
  }

  /** Adds folded time (kernel/idle-fold.ts: the ticks an idle fold stood for). */
  addTimes(userNs: number, kernelNs: number, spinNs: number): void {
    const t = this.#t;
    const r = this.#r;
    t[r + Time.UserNs]! += userNs;
    t[r + Time.KernelNs]! += kernelNs;
    t[r + Time.SpinNs]! += spinNs;
  }

  get halted(): boolean {
    return this.#wait === Wait.Halt;
  }

  get spinning(): boolean {
    return this.#wait === Wait.Spin;
  }

  /**
   * User compute already charged to the current context's cpuTimeNs but not yet elapsed: a
   * compute burst is charged when it starts, so a reader of another thread's CPU-time clock
   * (LIBC-6) takes this off to see the time it has run so far. 0 when no burst is running.
   */
  get computeAheadNs(): number {
    return this.#effectUserCompute ? this.effectLeftNs : 0;
  }

  /**
   * Of the effect in progress (a compute burst, a kernel spend, a lock hand-off), the ns not yet
   * elapsed: every effect is charged to its account when it starts. 0 when none is in progress.
   */
  get effectLeftNs(): number {
    if (this.#wait !== Wait.Effect) return 0;
    return Math.max(0, this.#t[this.#r + Time.EffectEndNs]! - this.#engine.nowNs);
  }

  /** Idle time up to now, the halt in progress included (idleNs counts a halt when it ends). */
  get idleSoFarNs(): number {
    const t = this.#t;
    const r = this.#r;
    const haltedNs = this.#wait === Wait.Halt ? this.#engine.nowNs - t[r + Time.WaitSinceNs]! : 0;
    return t[r + Time.IdleNs]! + haltedNs;
  }

  /** When the halt in progress began (meaningful only while halted). */
  get haltSinceNs(): number {
    return this.#t[this.#r + Time.WaitSinceNs]!;
  }

  /**
   * An idle-tick fold (kernel/idle-fold.ts) stood for ticks this halted CPU did not run: it is
   * halted again since `sinceNs` with `idleNs` of idle time before that.
   */
  refoldHalt(sinceNs: number, idleNs: number): void {
    assert(this.#wait === Wait.Halt, 'cpu: an idle fold on a CPU that is not halted');
    const t = this.#t;
    const r = this.#r;
    t[r + Time.WaitSinceNs]! = sinceNs;
    t[r + Time.IdleNs]! = idleNs;
  }

  /**
   * A P-state transition completed (pstate.ts): the core clock is now `cyclesPerNs`. A compute
   * burst in flight keeps the cycles it has left and runs them at the new clock from now, as an
   * interrupt splits one; kernel time and waits are in ns and keep their length.
   */
  setCoreClock(cyclesPerNs: number): void {
    this.cyclesPerNs = cyclesPerNs;
    if (this.#wait !== Wait.Effect || !this.#effectUserCompute) return;
    this.#splitCompute();
    this.#run();
  }

  /**
   * Whether a user compute burst in flight still has its frame on top of the current context
   * (the premise #computeEnded relies on; the kernel's invariant checker asks after each event).
   */
  get computeFrameOnTop(): boolean {
    if (this.#wait !== Wait.Effect || !this.#effectUserCompute) return true;
    return this.#computeFrame === this.#top();
  }

  /** Starts executing the current context (called once at boot). */
  start(): void {
    this.#run();
  }

  /**
   * The engine's resume event for this CPU (an EventSink: the engine's loop calls it directly).
   * The resume this step schedules is held back (`#resumeHeld`) and, when the engine says it is
   * the next event anyway (`runAhead`), run here in the same dispatch; otherwise it is pushed as
   * the event it would have been.
   */
  onEvent(gen: number): void {
    this.resumeEvents++;
    if (gen !== this.#resumeGen) return; // cancelled: an interrupt split the effect
    this.#inResume = true;
    if (this.#effectUserCompute && !this.#haltWoke) this.#computeEnded();
    else this.#resumeStep();
    this.#continueHeld();
  }

  /**
   * A user compute burst ended: its frame resumes, and a next burst it yields starts here, the
   * path a CPU-bound thread takes at every effect with no interrupt, halt or frame change (issue
   * 14: one function instead of the rest of resumeStep, #run's loop and #interpret). It does what those do
   * for it, in the same order (the trace record, then the jitter draw); anything else goes on
   * through #interpret and #run as before.
   */
  #computeEnded(): void {
    assert(this.#wait === Wait.Effect, 'cpu: resume while not waiting on an effect');
    this.#wait = Wait.Running;
    const frame = this.#computeFrame!;
    frame.computeLeftCycles = 0;
    if (this.lapic.intr) {
      this.#run(); // it delivers the interrupt first
      return;
    }
    const resume = frame.resume;
    frame.resume = undefined;
    let result: IteratorResult<KernelEffect, unknown>;
    try {
      result = frame.native ? GENERATOR_NEXT.call(frame.gen, resume) : frame.gen.next(resume);
    } catch (error) {
      if (frame.kind !== FrameKind.User) throw this.#kernelBug(error);
      this.current.frames.push(makeFrame(this.hooks.guestFault(this, this.current, error), FrameKind.Kernel));
      this.#run();
      return;
    }
    if (result.done === true) {
      this.#popFrame(frame, result.value);
      this.#run();
      return;
    }
    const effect = result.value;
    if (effect?.op === Op.Compute && effect.cycles >= 0 && !(effect.memPermille! > 0)) {
      this.effects++;
      this.#trace.mix(Op.Compute, this.current.id, effect.cycles);
      frame.computeLeftCycles = effect.cycles;
      if (frame.computeMemPermille !== 0) frame.computeMemPermille = 0;
      this.#startCompute(frame);
      return;
    }
    this.effects++;
    if (frame.kind === FrameKind.User && !(effect?.op <= GUEST_OP_LAST)) this.#refuse(effect);
    else if (this.#interpret(frame, effect)) return;
    this.#run();
  }

  /** Runs a held resume ahead while the engine allows it, else pushes it; ends the hold. */
  #continueHeld(): void {
    while (this.#resumeHeld) {
      this.#resumeHeld = false;
      const endNs = this.#t[this.#r + Time.EffectEndNs]!;
      if (!this.#engine.runAhead(endNs)) {
        this.#queue.push(endNs, this.#kindResume, this.id, this.#resumeGen);
        break;
      }
      this.resumeEvents++;
      if (this.#effectUserCompute && !this.#haltWoke) this.#computeEnded();
      else this.#resumeStep();
    }
    this.#inResume = false;
  }

  #resumeStep(): void {
    assert(this.#wait === Wait.Effect, 'cpu: resume while not waiting on an effect');
    this.#wait = Wait.Running;
    const frame = this.#top();
    if (this.#effectUserCompute) frame.computeLeftCycles = 0;
    if (this.#haltWoke) {
      this.#haltWoke = false;
      if (this.lapic.intr && this.#deliverIrq()) return;
    }
    this.#run();
  }

  /**
   * The LAPIC asserted INTR: leave `hlt`, or split a user compute burst so the interrupt is
   * taken now; in kernel code it waits for the next interrupt window. `tail`: see below.
   */
  interruptPending(tail = false): void {
    // `tail`: the event handler delivering it does nothing after, so what the CPU schedules here
    // may run ahead as if it were in its own resume (onEvent).
    if (this.#wait === Wait.Halt) {
      const t = this.#t;
      const r = this.#r;
      const wakeNs = this.bus.costs.idleWakeNs;
      t[r + Time.IdleNs]! += this.#engine.nowNs - t[r + Time.WaitSinceNs]! + wakeNs;
      this.#haltWoke = true;
      this.#inResume = tail;
      this.#scheduleResume(wakeNs, false);
    } else if (this.#wait === Wait.Effect && this.#effectUserCompute) {
      this.#splitCompute();
      this.#inResume = tail;
      this.#run();
    } else {
      return;
    }
    this.#continueHeld();
  }

  /** Granted a lock it was spinning on, effective after `delayNs` (the cache-line hand-off). */
  grantLock(lockObj: SpinLock, delayNs: number): void {
    assert(this.#wait === Wait.Spin, 'cpu: lock granted to a CPU that is not spinning');
    const t = this.#t;
    const r = this.#r;
    const spun = this.#engine.nowNs + delayNs - t[r + Time.WaitSinceNs]!;
    t[r + Time.SpinNs]! += spun;
    lockObj.spinNs += spun;
    this.#scheduleResume(delayNs, false);
  }

  #top(): Frame {
    const frames = this.current.frames;
    return frames[frames.length - 1]!;
  }

  #scheduleResume(delayNs: number, userCompute: boolean): void {
    const now = this.#engine.nowNs;
    const t = this.#t;
    const r = this.#r;
    this.#wait = Wait.Effect;
    t[r + Time.EffectStartNs]! = now;
    t[r + Time.EffectEndNs]! = now + delayNs;
    this.#effectUserCompute = userCompute;
    const gen = ++this.#resumeGen;
    // In this CPU's own resume, nothing runs after this before the handler returns: hold the
    // event back for onEvent to run ahead or push.
    if (this.#inResume) this.#resumeHeld = true;
    else this.#queue.push(now + delayNs, this.#kindResume, this.id, gen);
  }

  /** An interrupt arrived mid-compute: keep the unfinished cycles on the frame, cancel the event. */
  #splitCompute(): void {
    const t = this.#t;
    const r = this.#r;
    const frame = this.#top();
    const endNs = t[r + Time.EffectEndNs]!;
    const total = endNs - t[r + Time.EffectStartNs]!;
    const leftNs = endNs - this.#engine.nowNs;
    if (leftNs > 0 && total > 0) {
      frame.computeLeftCycles = Math.ceil(frame.computeLeftCycles * (leftNs / total));
      t[r + Time.UserNs]! -= leftNs;
      this.current.cpuTimeNs -= leftNs;
      const remoteNs = t[r + Time.EffectRemoteNs]!;
      if (remoteNs > 0) this.remoteMemNs -= Math.round((remoteNs * leftNs) / total);
    } else {
      frame.computeLeftCycles = 0;
    }
    this.#resumeGen++;
    this.#wait = Wait.Running;
  }

  /** Charges `ns` of kernel time and waits for it. */
  #spendKernel(ns: number): void {
    this.#t[this.#r + Time.KernelNs]! += ns;
    this.current.cpuTimeNs += ns;
    this.#scheduleResume(ns, false);
  }

  #startCompute(frame: Frame): void {
    let ns = frame.computeLeftCycles / this.cyclesPerNs;
    if (this.#jitterRange > 0) {
      // The draw `choose(Jitter, range)` makes, from the PrngDecider's PRNG without the call.
      const prng = this.#jitterPrng;
      const range = this.#jitterRange;
      const pick = prng !== null ? prng.below(range) : this.#decider.choose(ChoiceKind.Jitter, range, null);
      const draw = pick - this.#jitterPpm;
      ns += (ns * draw) / 1_000_000;
    }
    this.#t[this.#r + Time.EffectRemoteNs]! = 0;
    this.#computeFrame = frame;
    if (frame.computeMemPermille > 0 && frame.computeMemNode >= 0) ns += this.#remoteStretchNs(frame, ns);
    // Integer ns, at least 1: floor(x + 0.5) rounds as Math.round does for positive x.
    const whole = ns < 1 ? 1 : Math.floor(ns + 0.5);
    this.#t[this.#r + Time.UserNs]! += whole;
    this.current.cpuTimeNs += whole;
    this.#scheduleResume(whole, true);
  }

  /**
   * What remote memory adds to a memory-bound burst of `ns` (HW-14): its memory stalls stretch by
   * the SLIT ratio d/10 (models.md §7); the rest runs as fast. Kept out of `#startCompute`, which
   * every burst runs, so that one stays small enough for V8 to inline the jitter draw into it.
   */
  #remoteStretchNs(frame: Frame, ns: number): number {
    const topology = this.bus.topology;
    const distance = topology.nodeDistance(topology.nodeOf(this.id), frame.computeMemNode);
    if (distance === 10) return 0;
    const extra = (ns * frame.computeMemPermille * (distance - 10)) / 10_000;
    const remoteNs = Math.round(extra);
    this.#t[this.#r + Time.EffectRemoteNs]! = remoteNs;
    this.remoteMemNs += remoteNs;
    return extra;
  }

  /** Runs frames until an effect takes time, the CPU spins, or it halts. */
  #run(): void {
    let zeroTimeEffects = 0;
    for (;;) {
      if (++zeroTimeEffects >= ZERO_TIME_EFFECTS_MAX) this.#loopsWithoutTime();
      const frame = this.#top();
      if (frame.kind === FrameKind.User) {
        if (this.lapic.intr) {
          this.#deliverIrq();
          return;
        }
        if (frame.computeLeftCycles > 0) {
          this.#startCompute(frame);
          return;
        }
      }
      const resume = frame.resume;
      frame.resume = undefined;
      let result: IteratorResult<KernelEffect, unknown>;
      try {
        result = frame.native ? GENERATOR_NEXT.call(frame.gen, resume) : frame.gen.next(resume);
      } catch (error) {
        if (frame.kind !== FrameKind.User) throw this.#kernelBug(error);
        this.current.frames.push(
          makeFrame(this.hooks.guestFault(this, this.current, error), FrameKind.Kernel),
        );
        continue;
      }
      if (result.done) {
        this.#popFrame(frame, result.value);
        continue;
      }
      this.effects++;
      const effect = result.value;
      // One comparison refuses kernel-only ops and anything without a numeric op (NaN compares
      // false); odd ops that pass it (negative, fractional) reach the switch's default.
      if (frame.kind === FrameKind.User && !(effect?.op <= GUEST_OP_LAST)) {
        this.#refuse(effect);
        continue;
      }
      if (this.#interpret(frame, effect)) return;
    }
  }

  /** A user frame yielded what the CPU must not run: a guest fault (SIGILL), never a crash. */
  #refuse(yielded: unknown): void {
    const fault = new IllegalEffect(yielded);
    this.current.frames.push(makeFrame(this.hooks.guestFault(this, this.current, fault), FrameKind.Kernel));
  }

  #loopsWithoutTime(): never {
    throw new Error(`cpu ${this.id}: kernel code loops without time (ctx=${this.current.id})`);
  }

  /**
   * A frame's generator returned. A system call's value resumes the frame below; a user frame
   * returns into the user frame below it, as a function returns to its caller's address (how a
   * thread's entry returns into its exit stub without a delegating generator in between).
   */
  #popFrame(frame: Frame, value: unknown): void {
    const frames = this.current.frames;
    frames.pop();
    if (frames.length === 0) fail(`cpu ${this.id}: a frame returned to nothing`);
    const below = frames[frames.length - 1]!;
    if (frame.kind === FrameKind.User) {
      if (below.kind !== FrameKind.User) fail(`cpu ${this.id}: user code returned into the kernel`);
      below.resume = value;
      return;
    }
    if (frame.kind === FrameKind.Syscall || frame.kind === FrameKind.Call) below.resume = value;
    if (below.kind === FrameKind.User) {
      const work = this.hooks.returnToUser(this, this.current);
      if (work !== null) frames.push(makeFrame(work, FrameKind.Kernel));
    }
  }

  /** Interprets one effect; returns true when the CPU now waits (time passes or it spins/halts). */
  #interpret(frame: Frame, effect: KernelEffect): boolean {
    const costs = this.bus.costs;
    switch (effect.op) {
      case Op.Compute:
        if (!(effect.cycles >= 0)) return this.#illegal(frame, effect); // NaN or negative cycles
        this.#trace.mix(Op.Compute, this.current.id, effect.cycles);
        frame.computeLeftCycles = effect.cycles;
        if (effect.memPermille !== undefined && effect.memPermille > 0) {
          frame.computeMemPermille = effect.memPermille;
          frame.computeMemNode = this.hooks.memoryNode(
            this,
            this.current,
            effect.memAddr ?? 0,
            effect.memPermille,
          );
        } else if (frame.computeMemPermille !== 0) {
          frame.computeMemPermille = 0;
        }
        this.#startCompute(frame);
        return true;
      case KernelOp.Spend:
        this.#spendKernel(effect.ns);
        return true;
      case Op.Syscall:
        if (!Array.isArray(effect.args)) return this.#illegal(frame, effect);
        this.#trace.mix(Op.Syscall, this.current.id, effect.nr);
        this.current.frames.push(
          makeFrame(this.hooks.syscall(this, this.current, effect), FrameKind.Syscall),
        );
        this.#spendKernel(costs.syscallNs);
        return true;
      case Op.Atomic:
        return this.#atomic(frame, effect);
      case Op.Load:
      case Op.Store:
      case Op.Fence:
        return this.#ordered(frame, effect);
      case KernelOp.Lock:
        return this.#lock(effect);
      case KernelOp.Word:
        return this.#word(frame, effect);
      case KernelOp.SpinWord:
        return this.#spinWord(frame, effect);
      case KernelOp.TryLock:
        return this.#tryLock(frame, effect);
      case KernelOp.Unlock:
        return this.#unlockOp(effect);
      case KernelOp.SendIpi:
        this.lapic.sendIpi(effect.target, effect.vector);
        this.#spendKernel(costs.ipiSendNs);
        return true;
      case KernelOp.Halt:
        return this.#halt();
      case KernelOp.IrqWindow:
        return this.lapic.intr ? this.#deliverIrq() : false;
      case KernelOp.Switch:
        this.#switch(effect);
        return false;
      case Op.Call:
        return this.#call(frame, effect);
      default:
        return this.#illegal(frame, effect);
    }
  }

  /** HLT: an interrupt already pending is taken at once; otherwise the CPU waits for one. */
  #halt(): boolean {
    if (this.lapic.intr) return this.#deliverIrq();
    this.#wait = Wait.Halt;
    this.#t[this.#r + Time.WaitSinceNs]! = this.#engine.nowNs;
    if (this.onHalt !== null) this.onHalt(this.id);
    return true;
  }

  #call(frame: Frame, effect: CallEffect): boolean {
    // Only user code calls: kernel code delegates with yield* (it never runs for long).
    if (frame.kind !== FrameKind.User) throw this.#kernelBug(new Error('kernel code yielded a user call'));
    if (typeof effect.program?.next !== 'function') return this.#illegal(frame, effect);
    this.current.frames.push(makeFrame(effect.program, FrameKind.User));
    return false;
  }

  /** An effect no case accepts (an odd op, a malformed payload): a guest fault, or a kernel bug. */
  #illegal(frame: Frame, effect: unknown): false {
    if (frame.kind !== FrameKind.User) throw this.#kernelBug(new IllegalEffect(effect));
    this.#refuse(effect);
    return false;
  }

  #atomic(frame: Frame, effect: AtomicEffect): boolean {
    try {
      frame.resume = this.hooks.atomic(this, this.current, effect);
    } catch (error) {
      if (frame.kind !== FrameKind.User) throw this.#kernelBug(error);
      this.current.frames.push(makeFrame(this.hooks.guestFault(this, this.current, error), FrameKind.Kernel));
      return false;
    }
    const ns = this.bus.costs.atomicNs;
    if (frame.kind === FrameKind.User) {
      this.#t[this.#r + Time.UserNs]! += ns;
      this.current.cpuTimeNs += ns;
      this.#scheduleResume(ns, false);
    } else {
      this.#spendKernel(ns);
    }
    return true;
  }

  /**
   * This machine is sequentially consistent: an ordered access is an atomic load or store at an
   * atomic's cost, and a fence has nothing to drain; the explorer (src/explore) gives the
   * orderings their memory model.
   */
  #ordered(frame: Frame, effect: LoadEffect | StoreEffect | FenceEffect): boolean {
    if (effect.op === Op.Fence) return false;
    const a = this.#shared;
    a.kind = effect.op === Op.Load ? AtomicOp.Load : AtomicOp.Store;
    a.addr = effect.addr;
    a.a = effect.op === Op.Store ? effect.value : 0;
    return this.#atomic(frame, a);
  }

  #lock(effect: LockEffect): boolean {
    const l = effect.lock;
    if (l.holder === this.id) fail(`cpu ${this.id}: relocking ${l.name}`);
    if (l.orderCheck !== null) l.orderCheck.beforeLock(this.id, l); // lockdep, in tests
    if (l.queued !== null) return this.#queued(queuedLock(l, l.queued, this.id));
    const costNs = l.lineCostNs(this.id, this.bus.topology, this.bus.costs);
    if (l.tryAcquire(this.id)) {
      this.#spendKernel(costNs);
      return true;
    }
    l.contended++;
    l.spinners.push(this.id);
    this.#wait = Wait.Spin;
    this.#t[this.#r + Time.WaitSinceNs]! = this.#engine.nowNs;
    this.#trace.mix(TraceKind.SpinStart, this.id, l.acquisitions);
    return true;
  }

  #tryLock(frame: Frame, effect: LockEffect): boolean {
    const l = effect.lock;
    if (l.queued !== null) return this.#queued(queuedTryLock(l, l.queued, this.id));
    // Charged as the line stands after the CAS (a successful try pays a local atomic): the
    // cost model as it was when the CPU held the lock code; Lock charges before its CAS.
    frame.resume = l.tryAcquire(this.id);
    this.#spendKernel(l.lineCostNs(this.id, this.bus.topology, this.bus.costs));
    return true;
  }

  #unlockOp(effect: LockEffect): false {
    const l = effect.lock;
    if (l.queued === null) {
      this.#unlock(l);
      return false;
    }
    assert(l.holder === this.id, `cpu ${this.id}: unlocking ${l.name} held by ${l.holder}`);
    return this.#queued(queuedUnlock(l, l.queued, this.id));
  }

  /** Runs a queued lock's code (SpinLock.queued) as a kernel frame; its value resumes this one. */
  #queued(code: KernelGen<unknown>): false {
    this.current.frames.push(makeFrame(code, FrameKind.Call));
    return false;
  }

  /** A queued lock's word access: the line comes here (its cost), then the value is applied. */
  #word(frame: Frame, e: WordEffect): true {
    const costNs = e.mem.touchNs(this.id, e.addr, this.bus.topology, this.bus.costs);
    frame.resume = e.mem.apply(e.kind, e.addr, e.a, e.b, costNs);
    this.#spendKernel(costNs);
    return true;
  }

  /** The MCS local spin: at once if the word already satisfies it, else wait for a write. */
  #spinWord(frame: Frame, e: SpinWordEffect): true {
    const value = e.mem.read(e.addr);
    if (e.until(value)) {
      frame.resume = value;
      this.#spendKernel(e.mem.touchNs(this.id, e.addr, this.bus.topology, this.bus.costs));
      return true;
    }
    e.mem.touchNs(this.id, e.addr, this.bus.topology, this.bus.costs); // the first read brings the line
    this.#wordSpin = e;
    e.mem.watch(e.addr, this);
    this.#wait = Wait.Spin;
    this.#t[this.#r + Time.WaitSinceNs]! = this.#engine.nowNs;
    return true;
  }

  /** A word this CPU spins on was written; it goes on when the new value satisfies its spin. */
  wordWritten(mem: LockWords, addr: number, visibleAfterNs: number): void {
    const e = this.#wordSpin;
    if (e === null || e.mem !== mem || e.addr !== addr || !e.until(mem.read(addr))) return;
    assert(this.#wait === Wait.Spin, 'cpu: a word spin ended on a CPU that is not spinning');
    this.#wordSpin = null;
    mem.unwatch(addr, this);
    this.#top().resume = mem.read(addr);
    const delayNs = visibleAfterNs + mem.touchNs(this.id, addr, this.bus.topology, this.bus.costs);
    const t = this.#t;
    const r = this.#r;
    t[r + Time.SpinNs]! += this.#engine.nowNs + delayNs - t[r + Time.WaitSinceNs]!;
    this.#scheduleResume(delayNs, false);
  }

  #unlock(l: SpinLock): void {
    if (l.holder !== this.id) fail(`cpu ${this.id}: unlocking ${l.name} held by ${l.holder}`);
    l.holder = -1;
    if (l.spinners.length === 0) return;
    const engine = this.#engine;
    const winnerId = l.raceWinner(engine.decider, engine.candidates);
    const winner = this.bus.cpus[winnerId]!;
    const handoffNs = l.lineCostNs(winnerId, this.bus.topology, this.bus.costs); // from our cache
    l.take(winnerId);
    this.#trace.mix(TraceKind.SpinWinner, winnerId, l.acquisitions);
    winner.grantLock(l, handoffNs);
  }

  /** Takes the LAPIC's highest deliverable vector: pushes its handler and charges the entry cost. */
  #deliverIrq(): boolean {
    const vector = this.lapic.ack();
    this.current.frames.push(makeFrame(this.hooks.interrupt(this, vector), FrameKind.Irq));
    this.#spendKernel(this.bus.costs.irqEntryNs);
    return true;
  }

  #switch(effect: SwitchEffect): void {
    const prev = this.current;
    const next = effect.next;
    if (prev === next) fail(`cpu ${this.id}: switch to the running context`);
    this.#top().resume = 1; // the switch call returns 1 in prev when prev next runs
    this.current = next;
    if (effect.finish !== null) next.frames.push(makeFrame(effect.finish, FrameKind.Kernel));
    this.#trace.mix(KernelOp.Switch, prev.id, next.id);
    this.hooks.onSwitch(this, prev, next);
  }

  #kernelBug(error: unknown): Error {
    // A fault a user's module is to blame for (issue 22: machine/policy-guard.ts) is not wrapped.
    if (error instanceof Error && typeof (error as { blame?: unknown }).blame === 'string') return error;
    const now = this.bus.engine.nowNs;
    const message = error instanceof Error ? error.message : String(error);
    const wrapped = new Error(`kernel: ${message} (cpu=${this.id} ctx=${this.current.id} t=${now}ns)`);
    wrapped.cause = error;
    return wrapped;
  }
}
