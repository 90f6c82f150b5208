/**
 * The discrete-event engine: simulated time in integer nanoseconds, handlers registered by kind,
 * observers called after every event, and the bounded run loop. It knows nothing of CPUs;
 * hardware registers handlers here, saying which ones run on a CPU (an event's `arg` is then
 * the CPU id), so a decider choosing between events knows which CPU each would step.
 */
import { assert } from './assert.ts';
import { Candidates, ChoiceKind, type Decider, NO_CPU } from './decider.ts';
import { EventQueue } from './event-queue.ts';

/** A handler gets the event's two integer arguments; `engine.nowNs` is the event's time. */
export type EventHandler = (arg: number, tag: number) => void;

/** Called after every event with the event's kind and arguments (invariant checks, traces). */
export type EngineObserver = (kind: number, arg: number, tag: number) => void;

export interface EngineLimits {
  simNsMax: number;
  eventsMax: number;
}

/** An object whose method takes one kind's events directly (Engine.registerTargets). */
export interface EventSink {
  onEvent(tag: number): void;
}

export type StopReason = 'idle' | 'stopped' | 'sim-time-limit' | 'event-limit';

export class Engine {
  nowNs = 0;
  /** Events dispatched so far (those run ahead included: they are the same events). */
  events = 0;
  /** Of `events`, those a handler ran at once through `runAhead` instead of through the queue. */
  eventsRunAhead = 0;
  /** Of `events`, those an idle-tick fold (kernel/idle-fold.ts) counted without running them. */
  eventsFolded = 0;
  readonly queue = new EventQueue();
  readonly decider: Decider;
  /** The one candidate buffer every choice of this run is offered in (see Candidates). */
  readonly candidates = new Candidates();
  readonly #handlers: EventHandler[] = [];
  readonly #names: string[] = [];
  /** Per kind: the event's `arg` is the CPU it runs on. */
  readonly #onCpu: boolean[] = [];
  /** Replaced, never mutated, so a run loop holding the old list is not disturbed. */
  #observers: readonly EngineObserver[] = [];
  /**
   * The one kind whose events go to `#targets[arg].onEvent(tag)` (registerTargets), or -1: the
   * loop calls that one method directly instead of through a closure per kind, one monomorphic
   * call on the path every CPU resume takes (issue 14).
   */
  #targetKind = -1;
  #targets: readonly EventSink[] = [];
  /** Heap slot of each Step candidate. */
  #slots = new Int32Array(16);
  #stopRequested = false;
  /** Inside `run` with a decider that follows the clock: `runAhead` may take the next event. */
  #aheadAllowed = false;
  #simNsMax = 0;
  #eventsMax = 0;
  /** The latest time a fold stood for (countFolded). */
  #foldedUntilNs = 0;

  constructor(decider: Decider) {
    this.decider = decider;
  }

  /**
   * Registers a handler and returns the kind number events for it carry. `onCpu`: the event's
   * `arg` is the id of the CPU it runs on (a resume, an interrupt arriving at a LAPIC).
   */
  register(name: string, handler: EventHandler, onCpu = false): number {
    this.#handlers.push(handler);
    this.#names.push(name);
    this.#onCpu.push(onCpu);
    return this.#handlers.length - 1;
  }

  /**
   * Registers a kind whose event `arg` indexes `targets` and whose `tag` goes to that target's
   * `onEvent` (at most one such kind per engine: the CPUs' resume). `onCpu` as in `register`.
   */
  registerTargets(name: string, targets: readonly EventSink[], onCpu = false): number {
    assert(this.#targetKind === -1, 'engine: a second target kind');
    const kind = this.register(name, (arg, tag) => targets[arg]!.onEvent(tag), onCpu);
    this.#targetKind = kind;
    this.#targets = targets;
    return kind;
  }

  /** Adds an observer called after every event; returns the function that removes it. */
  observe(observer: EngineObserver): () => void {
    this.#observers = [...this.#observers, observer];
    return () => {
      this.#observers = this.#observers.filter((o) => o !== observer);
    };
  }

  /** Schedules an event `delayNs` from now. */
  after(delayNs: number, kind: number, arg: number, tag: number): void {
    assert(delayNs >= 0, 'engine: negative delay');
    this.queue.push(this.nowNs + delayNs, kind, arg, tag);
  }

  /** Schedules an event at an absolute time, which must not be in the past. */
  at(timeNs: number, kind: number, arg: number, tag: number): void {
    assert(timeNs >= this.nowNs, 'engine: event in the past');
    this.queue.push(timeNs, kind, arg, tag);
  }

  /** Asks the loop to stop after the current event. */
  stop(): void {
    this.#stopRequested = true;
  }

  /**
   * Asked by a handler that is about to schedule its own next event at `timeNs` and return:
   * when that event would be the next one this loop runs anyway (strictly earlier than every
   * pending event, so no tie; no limit or stop request due; no observer to call between; a
   * decider that follows the clock), the clock moves to it and it counts as dispatched, and the
   * handler runs it at once instead of through the queue. The run is the same event for event
   * (the same times, order, counts and hash); only the heap and the dispatch are skipped. This
   * is how a CPU runs a chain of short kernel steps (an idle tick, a system call) that no other
   * CPU's event falls inside in one dispatch (issue 14).
   */
  runAhead(timeNs: number): boolean {
    // The usual refusal first (another event is due first): it is one comparison.
    if (!(timeNs < this.queue.peekTimeNs())) return false;
    if (!this.#aheadAllowed || this.#stopRequested || this.#observers.length !== 0) return false;
    if (this.events >= this.#eventsMax || timeNs > this.#simNsMax) return false;
    this.nowNs = timeNs;
    this.events++;
    this.eventsRunAhead++;
    return true;
  }

  /**
   * Whether a fold may skip events now (kernel/idle-fold.ts): runAhead's conditions (inside
   * `run`, a decider that follows the clock, no observer, no stop request); the caller keeps
   * within `simNsMax` and `eventsLeft`.
   */
  get foldAllowed(): boolean {
    return this.#aheadAllowed && !this.#stopRequested && this.#observers.length === 0;
  }

  /** The running loop's simulated-time limit (valid while `foldAllowed`). */
  get simNsMax(): number {
    return this.#simNsMax;
  }

  /** Events the running loop may still dispatch before its event limit. */
  get eventsLeft(): number {
    return this.#eventsMax - this.events;
  }

  /**
   * A fold stood for `count` events it did not run, the last at `lastNs`: they count as
   * dispatched, and a run that stops before that time still ends at it (as running them would).
   */
  countFolded(count: number, lastNs: number): void {
    this.events += count;
    this.eventsFolded += count;
    if (lastNs > this.#foldedUntilNs) this.#foldedUntilNs = lastNs;
  }

  /** Runs events in (time, sequence) order until none remain, `stop()` or a limit. */
  run(limits: EngineLimits): StopReason {
    this.#simNsMax = limits.simNsMax;
    this.#eventsMax = limits.eventsMax;
    this.#aheadAllowed = !this.decider.controlsTies && !this.decider.abstractsTime;
    try {
      return this.#loop(limits);
    } finally {
      this.#aheadAllowed = false;
      if (this.nowNs < this.#foldedUntilNs) this.nowNs = this.#foldedUntilNs;
    }
  }

  #loop(limits: EngineLimits): StopReason {
    const queue = this.queue;
    const handlers = this.#handlers;
    const targetKind = this.#targetKind;
    const targets = this.#targets;
    const controlsTies = this.decider.controlsTies;
    const abstractsTime = this.decider.abstractsTime;
    const simNsMax = limits.simNsMax;
    const eventsMax = limits.eventsMax;
    this.#stopRequested = false;
    while (queue.size > 0) {
      if (this.#stopRequested) return 'stopped';
      if (this.events >= eventsMax) return 'event-limit';
      if (queue.peekTimeNs() > simNsMax) return 'sim-time-limit';
      if (abstractsTime) this.#popStep();
      else if (controlsTies && queue.peekSecondTimeNs() === queue.peekTimeNs()) this.#popTie();
      else queue.pop();
      this.nowNs = queue.poppedTimeNs;
      this.events++;
      const kind = queue.poppedKind;
      if (kind === targetKind) targets[queue.poppedArg]!.onEvent(queue.poppedTag);
      else handlers[kind]!(queue.poppedArg, queue.poppedTag);
      const observers = this.#observers;
      if (observers.length !== 0) this.#notify(observers);
    }
    return this.#stopRequested ? 'stopped' : 'idle';
  }

  #notify(observers: readonly EngineObserver[]): void {
    const queue = this.queue;
    for (const observer of observers) observer(queue.poppedKind, queue.poppedArg, queue.poppedTag);
  }

  /** Pops every event due now, lets the decider pick one, and puts the others back unchanged. */
  #popTie(): void {
    const queue = this.queue;
    const candidates = this.candidates;
    const timeNs = queue.peekTimeNs();
    candidates.clear();
    while (queue.peekTimeNs() === timeNs) {
      queue.pop();
      const kind = queue.poppedKind;
      const arg = queue.poppedArg;
      candidates.addEvent(this.#cpuOf(kind, arg), kind, arg, queue.poppedTag, timeNs, queue.poppedSeq);
    }
    const count = candidates.count;
    const chosen = this.decider.choose(ChoiceKind.Tie, count, candidates);
    assert(chosen >= 0 && chosen < count, 'engine: decider chose outside the tie');
    for (let i = 0; i < count; i++) {
      if (i === chosen) continue;
      const { eventSeq, eventKind, eventArg, eventTag } = candidates;
      queue.pushWithSeq(timeNs, eventSeq[i]!, eventKind[i]!, eventArg[i]!, eventTag[i]!);
    }
    queue.poppedTimeNs = timeNs;
    queue.poppedSeq = candidates.eventSeq[chosen]!;
    queue.poppedKind = candidates.eventKind[chosen]!;
    queue.poppedArg = candidates.eventArg[chosen]!;
    queue.poppedTag = candidates.eventTag[chosen]!;
  }

  /**
   * Time abstracted: offers the earliest pending event of each CPU (and of the CPU-less events as
   * one more subject) and removes the one chosen; it runs at max(now, its time), so time never
   * goes back and a CPU that overtook another makes the other's events run late.
   */
  #popStep(): void {
    const queue = this.queue;
    const candidates = this.candidates;
    candidates.clear();
    for (let slot = 0; slot < queue.size; slot++) this.#offerSlot(slot);
    this.#sortStep();
    const count = candidates.count;
    const chosen = count === 1 ? 0 : this.decider.choose(ChoiceKind.Step, count, candidates);
    assert(chosen >= 0 && chosen < count, 'engine: decider chose outside the step candidates');
    queue.removeAt(this.#slots[chosen]!);
    if (queue.poppedTimeNs < this.nowNs) queue.poppedTimeNs = this.nowNs;
  }

  /** Keeps the event in heap `slot` as its subject's candidate if it is that subject's earliest. */
  #offerSlot(slot: number): void {
    const queue = this.queue;
    const candidates = this.candidates;
    const kind = queue.kindAt(slot);
    const arg = queue.argAt(slot);
    const cpu = this.#cpuOf(kind, arg);
    const timeNs = queue.timeAt(slot);
    const seq = queue.seqAt(slot);
    let i = candidates.indexOfCpu(cpu);
    if (i >= 0) {
      const t = candidates.eventTimeNs[i]!;
      if (t < timeNs || (t === timeNs && candidates.eventSeq[i]! < seq)) return;
      candidates.cpu[i] = cpu;
      candidates.eventKind[i] = kind;
      candidates.eventArg[i] = arg;
      candidates.eventTag[i] = queue.tagAt(slot);
      candidates.eventTimeNs[i] = timeNs;
      candidates.eventSeq[i] = seq;
    } else {
      i = candidates.addEvent(cpu, kind, arg, queue.tagAt(slot), timeNs, seq);
      if (i === this.#slots.length) {
        const grown = new Int32Array(this.#slots.length * 2);
        grown.set(this.#slots);
        this.#slots = grown;
      }
    }
    this.#slots[i] = slot;
  }

  /** Puts the step candidates in clock order (insertion sort: one per CPU, few). */
  #sortStep(): void {
    const candidates = this.candidates;
    const slots = this.#slots;
    for (let i = 1; i < candidates.count; i++) {
      for (let j = i; j > 0 && candidates.before(j, j - 1); j--) {
        candidates.swap(j, j - 1);
        const slot = slots[j]!;
        slots[j] = slots[j - 1]!;
        slots[j - 1] = slot;
      }
    }
  }

  #cpuOf(kind: number, arg: number): number {
    return this.#onCpu[kind] === true ? arg : NO_CPU;
  }

  handlerName(kind: number): string {
    return this.#names[kind] ?? `kind-${kind}`;
  }
}
