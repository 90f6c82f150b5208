/**
 * The discrete-event engine: simulated time in integer nanoseconds, handlers registered by kind,
 * and the bounded run loop. It knows nothing of CPUs; hardware registers handlers here.
 */
import { assert } from './assert.ts';
import { ChoiceKind, type Decider } from './decider.ts';
import { EventQueue } from './event-queue.ts';

/** A handler gets the event's two integer arguments; `engine.nowNs` is the event's time. */
export type EventHandler = (arg: number, tag: number) => void;

export interface EngineLimits {
  simNsMax: number;
  eventsMax: number;
}

export type StopReason = 'idle' | 'stopped' | 'sim-time-limit' | 'event-limit';

export class Engine {
  nowNs = 0;
  /** Events dispatched so far. */
  events = 0;
  readonly queue = new EventQueue();
  readonly decider: Decider;
  readonly #handlers: EventHandler[] = [];
  readonly #names: string[] = [];
  #stopRequested = false;
  /** Called after every event (tests check kernel invariants here); null for none. */
  afterEvent: (() => void) | null = null;

  constructor(decider: Decider) {
    this.decider = decider;
  }

  /** Registers a handler and returns the kind number events for it carry. */
  register(name: string, handler: EventHandler): number {
    this.#handlers.push(handler);
    this.#names.push(name);
    return this.#handlers.length - 1;
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

  /** Runs events in (time, sequence) order until none remain, `stop()` or a limit. */
  run(limits: EngineLimits): StopReason {
    const queue = this.queue;
    const handlers = this.#handlers;
    const controlsTies = this.decider.controlsTies;
    const simNsMax = limits.simNsMax;
    const eventsMax = limits.eventsMax;
    const afterEvent = this.afterEvent;
    this.#stopRequested = false;
    let reason: StopReason = 'idle';
    while (queue.size > 0) {
      if (this.#stopRequested) {
        reason = 'stopped';
        break;
      }
      if (this.events >= eventsMax) {
        reason = 'event-limit';
        break;
      }
      if (queue.peekTimeNs() > simNsMax) {
        reason = 'sim-time-limit';
        break;
      }
      if (controlsTies && queue.peekSecondTimeNs() === queue.peekTimeNs()) this.#popTie();
      else queue.pop();
      this.nowNs = queue.poppedTimeNs;
      this.events++;
      handlers[queue.poppedKind]!(queue.poppedArg, queue.poppedTag);
      if (afterEvent !== null) afterEvent();
    }
    if (reason === 'idle' && this.#stopRequested) reason = 'stopped';
    return reason;
  }

  /** Pops every event due now, lets the decider pick one, and puts the others back unchanged. */
  #popTie(): void {
    const queue = this.queue;
    const timeNs = queue.peekTimeNs();
    const tied: number[] = [];
    while (queue.peekTimeNs() === timeNs) {
      queue.pop();
      tied.push(queue.poppedSeq, queue.poppedKind, queue.poppedArg, queue.poppedTag);
    }
    const count = tied.length / 4;
    const chosen = this.decider.choose(ChoiceKind.Tie, count);
    assert(chosen >= 0 && chosen < count, 'engine: decider chose outside the tie');
    for (let i = 0; i < count; i++) {
      if (i === chosen) continue;
      queue.pushWithSeq(timeNs, tied[4 * i]!, tied[4 * i + 1]!, tied[4 * i + 2]!, tied[4 * i + 3]!);
    }
    queue.poppedTimeNs = timeNs;
    queue.poppedSeq = tied[4 * chosen]!;
    queue.poppedKind = tied[4 * chosen + 1]!;
    queue.poppedArg = tied[4 * chosen + 2]!;
    queue.poppedTag = tied[4 * chosen + 3]!;
  }

  handlerName(kind: number): string {
    return this.#names[kind] ?? `kind-${kind}`;
  }
}
