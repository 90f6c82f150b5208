/**
 * The one decision point of a run. Every nondeterministic choice the simulation makes (which of
 * several events due at the same instant goes first, which spinning CPU wins a released lock,
 * every jitter draw) is asked of a Decider, so an interleaving explorer can take the choices
 * over, record them and replay them.
 */
import type { Prng } from './prng.ts';

/** What a choice is about; recorded with the choice so a replay can check it is in step. */
export enum ChoiceKind {
  /** Several events are due at the same instant: which runs first. */
  Tie = 0,
  /** Several CPUs spin on a lock that was released: which one's CAS lands. */
  LockRace = 1,
  /** A jitter draw of the cost model. */
  Jitter = 2,
  /** A phase or offset drawn at boot (timer phases, per-CPU clock skew). */
  Boot = 3,
}

export interface Decider {
  /** True when ties between same-time events must be offered to `choose`. */
  readonly controlsTies: boolean;
  /** Returns an integer in [0, n). */
  choose(kind: ChoiceKind, n: number): number;
}

/**
 * The default decider: ties go in insertion order (DESIGN.md: ties break by insertion order),
 * everything else is drawn from the run's PRNG.
 */
export class PrngDecider implements Decider {
  readonly controlsTies = false;
  readonly #prng: Prng;

  constructor(prng: Prng) {
    this.#prng = prng;
  }

  choose(kind: ChoiceKind, n: number): number {
    if (kind === ChoiceKind.Tie) return 0;
    return this.#prng.below(n);
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

  choose(kind: ChoiceKind, n: number): number {
    const choice = this.#inner.choose(kind, n);
    this.choices.push(kind, n, choice);
    return choice;
  }
}

/** Replays choices recorded by a RecordingDecider; throws if the run diverges from them. */
export class ReplayDecider implements Decider {
  readonly controlsTies: boolean;
  #index = 0;
  readonly #choices: readonly number[];

  constructor(choices: readonly number[], controlsTies: boolean) {
    this.#choices = choices;
    this.controlsTies = controlsTies;
  }

  choose(kind: ChoiceKind, n: number): number {
    const i = this.#index;
    if (i + 2 >= this.#choices.length) throw new Error('replay: run made more choices than recorded');
    if (this.#choices[i] !== kind || this.#choices[i + 1] !== n) {
      throw new Error(`replay: diverged at choice ${i / 3} (kind=${kind} n=${n})`);
    }
    this.#index = i + 3;
    return this.#choices[i + 2]!;
  }
}
