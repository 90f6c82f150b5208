/**
 * The one decision point of a run. Every nondeterministic choice the simulation makes (which of
 * several events due at the same instant goes first, which CPU steps next when time is
 * abstracted, which spinning CPU wins a released lock, every jitter draw) is asked of a Decider,
 * with the list of what it chooses between, so an interleaving explorer can take the choices
 * over, record them and replay them.
 */
import type { Prng } from './prng.ts';

/** What a choice is about; recorded with the choice so a replay can check it is in step. */
export enum ChoiceKind {
  /** Several events are due at the same instant: which runs first. */
  Tie = 0,
  /** Several spinning CPUs saw a lock released: which one's CAS lands. */
  LockRace = 1,
  /** A jitter draw of the cost model. */
  Jitter = 2,
  /** A phase or offset drawn at boot (timer phases, per-CPU clock skew). */
  Boot = 3,
  /**
   * Time abstracted (`Decider.abstractsTime`): which of the CPUs (and the CPU-less devices) with
   * a pending event steps next, whatever its time. Each candidate is its subject's earliest
   * event, so one CPU's events keep their order while CPUs overtake each other; candidates come
   * in clock order, so candidate 0 is the event the clock would run.
   */
  Step = 4,
}

/** No CPU: a device's event, or a candidate that is a value rather than a CPU. */
export const NO_CPU = -1;
const CAPACITY_INITIAL = 16;

/**
 * The candidates of one choice, in a buffer its owner (the engine) refills for each choice, so
 * offering them allocates nothing. Candidate `i` concerns `cpu[i]` (or NO_CPU); an event
 * candidate (Tie, Step) also has the event's time, sequence number, handler kind and arguments
 * (`Engine.handlerName(eventKind[i])` names it). A lock race's candidates are the spinning CPUs in
 * arrival order, with eventKind -1.
 */
export class Candidates {
  count = 0;
  cpu = new Int32Array(CAPACITY_INITIAL);
  eventKind = new Int32Array(CAPACITY_INITIAL);
  eventArg = new Int32Array(CAPACITY_INITIAL);
  eventTag = new Int32Array(CAPACITY_INITIAL);
  eventTimeNs = new Float64Array(CAPACITY_INITIAL);
  eventSeq = new Float64Array(CAPACITY_INITIAL);

  clear(): void {
    this.count = 0;
  }

  /** Adds a CPU candidate (a spinner) and returns its index. */
  addCpu(cpuId: number): number {
    return this.addEvent(cpuId, -1, 0, 0, 0, 0);
  }

  /** Adds an event candidate and returns its index. */
  addEvent(cpuId: number, kind: number, arg: number, tag: number, timeNs: number, seq: number): number {
    const i = this.count++;
    if (i === this.cpu.length) this.#grow();
    this.cpu[i] = cpuId;
    this.eventKind[i] = kind;
    this.eventArg[i] = arg;
    this.eventTag[i] = tag;
    this.eventTimeNs[i] = timeNs;
    this.eventSeq[i] = seq;
    return i;
  }

  /** Whether candidate `i` is an event due before candidate `j` (time, then insertion order). */
  before(i: number, j: number): boolean {
    const ti = this.eventTimeNs[i]!;
    const tj = this.eventTimeNs[j]!;
    return ti < tj || (ti === tj && this.eventSeq[i]! < this.eventSeq[j]!);
  }

  swap(i: number, j: number): void {
    swapIn(this.cpu, i, j);
    swapIn(this.eventKind, i, j);
    swapIn(this.eventArg, i, j);
    swapIn(this.eventTag, i, j);
    swapIn(this.eventTimeNs, i, j);
    swapIn(this.eventSeq, i, j);
  }

  /** The index of the first candidate concerning `cpuId`, or -1. */
  indexOfCpu(cpuId: number): number {
    for (let i = 0; i < this.count; i++) if (this.cpu[i] === cpuId) return i;
    return -1;
  }

  #grow(): void {
    const n = this.cpu.length * 2;
    const int = (old: Int32Array) => {
      const next = new Int32Array(n);
      next.set(old);
      return next;
    };
    const float = (old: Float64Array) => {
      const next = new Float64Array(n);
      next.set(old);
      return next;
    };
    this.cpu = int(this.cpu);
    this.eventKind = int(this.eventKind);
    this.eventArg = int(this.eventArg);
    this.eventTag = int(this.eventTag);
    this.eventTimeNs = float(this.eventTimeNs);
    this.eventSeq = float(this.eventSeq);
  }
}

function swapIn(a: Int32Array | Float64Array, i: number, j: number): void {
  const x = a[i]!;
  a[i] = a[j]!;
  a[j] = x;
}

export interface Decider {
  /** True when ties between same-time events must be offered to `choose` (ChoiceKind.Tie). */
  readonly controlsTies: boolean;
  /**
   * True when time is abstracted: at every step the engine offers each CPU's earliest pending
   * event (ChoiceKind.Step), and the one chosen runs at max(now, its time). Ties are then part
   * of the step choice.
   */
  readonly abstractsTime: boolean;
  /**
   * Returns an integer in [0, n). `candidates` lists what the choice is between (its count is
   * n): the events of a Tie or Step, the spinning CPUs of a LockRace. It is null for value draws
   * (Jitter, Boot), whose candidate i is the value i. The buffer is reused: read it before
   * returning, keep nothing.
   */
  choose(kind: ChoiceKind, n: number, candidates: Candidates | null): number;
}

/**
 * The default decider: ties go in insertion order (DESIGN.md: ties break by insertion order),
 * time is not abstracted, everything else is drawn from the run's PRNG.
 */
export class PrngDecider implements Decider {
  readonly controlsTies = false;
  readonly abstractsTime = false;
  /**
   * The run's PRNG, which every value draw of this decider comes from: a CPU may draw its
   * compute jitter from it directly (hw/cpu.ts), the same draw `choose(Jitter, n)` makes, in the
   * same order, without the call through the Decider interface on every burst (issue 14).
   */
  readonly prng: Prng;

  constructor(prng: Prng) {
    this.prng = prng;
  }

  choose(kind: ChoiceKind, n: number, _candidates: Candidates | null): number {
    if (kind === ChoiceKind.Tie || kind === ChoiceKind.Step) return 0;
    return this.prng.below(n);
  }
}

/** Wraps a decider and records every choice it makes, for replay. */
export class RecordingDecider implements Decider {
  readonly choices: number[] = [];
  readonly #inner: Decider;

  constructor(inner: Decider) {
    this.#inner = inner;
  }

  get controlsTies(): boolean {
    return this.#inner.controlsTies;
  }

  get abstractsTime(): boolean {
    return this.#inner.abstractsTime;
  }

  choose(kind: ChoiceKind, n: number, candidates: Candidates | null): number {
    const choice = this.#inner.choose(kind, n, candidates);
    this.choices.push(kind, n, choice);
    return choice;
  }
}

/** Replays choices recorded by a RecordingDecider; throws if the run diverges from them. */
export class ReplayDecider implements Decider {
  readonly controlsTies: boolean;
  readonly abstractsTime: boolean;
  #index = 0;
  readonly #choices: readonly number[];

  constructor(choices: readonly number[], controlsTies: boolean, abstractsTime = false) {
    this.#choices = choices;
    this.controlsTies = controlsTies;
    this.abstractsTime = abstractsTime;
  }

  choose(kind: ChoiceKind, n: number, _candidates: Candidates | null): number {
    const i = this.#index;
    if (i + 2 >= this.#choices.length) throw new Error('replay: run made more choices than recorded');
    if (this.#choices[i] !== kind || this.#choices[i + 1] !== n) {
      throw new Error(`replay: diverged at choice ${i / 3} (kind=${kind} n=${n})`);
    }
    this.#index = i + 3;
    return this.#choices[i + 2]!;
  }
}
