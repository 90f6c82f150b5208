/**
 * The explorer as the engine's Decider (DESIGN.md: one decision point, given its candidates):
 * for a whole machine (a scenario file as `smpsim explore` TARGET), time is abstracted
 * (`--timing any`: at every step any CPU's earliest pending event may run, ChoiceKind.Step),
 * ties and lock races are choices too, and the strategy is a random walk or PCT over the CPUs
 * (each CPU, and the CPU-less devices, an agent with a priority). Jitter and boot draws come
 * from the run's PRNG. Every choice is recorded, so a run replays bit for bit (a replay decider
 * takes the recorded indices back); the schedule of a machine run is that list of indices.
 *
 * `--timing model` keeps the cost model's time instead: events run in clock order, and the
 * choices left are the ties, the lock races and every jitter draw of the cost model (compute
 * jitter, the run's phases), so only the orders the timing allows are explored, each under
 * jitter the strategy picks (random: uniform; PCT: ties and races by CPU priority). Its
 * schedules start `scm:` (`scn:` is time abstracted), so a replay knows which it is.
 */
import { type Candidates, ChoiceKind, type Decider } from '../engine/decider.ts';
import { Prng } from '../engine/prng.ts';

export type EngineStrategy = 'random' | 'pct';

/** `any`: time abstracted (every CPU's next event may run); `model`: the cost model's order. */
export const EXPLORE_TIMINGS = ['any', 'model'] as const;
export type ExploreTiming = (typeof EXPLORE_TIMINGS)[number];

/**
 * PCT over a machine considers only the step candidates due within this window of the earliest:
 * a CPU's periodic tick is always pending, so a highest-priority CPU free to run any event
 * would run its ticks forever and starve the rest (PCT assumes every agent terminates).
 */
export const PCT_STEP_WINDOW_NS = 100_000;

export class ExploreDecider implements Decider {
  readonly controlsTies = true;
  readonly abstractsTime: boolean;
  /** Each choice's index, in order: the run's schedule. */
  readonly choices: number[] = [];
  /** Step choices offered (PCT's k for the next run). */
  steps = 0;
  readonly #prng: Prng;
  readonly #strategy: EngineStrategy;
  readonly #priority = new Map<number, number>();
  readonly #changeAt = new Map<number, number>();

  /** `depth` and `stepsK` are PCT's d and k (k measured on an earlier run). */
  constructor(
    strategy: EngineStrategy,
    seed: number,
    depth: number,
    stepsK: number,
    timing: ExploreTiming = 'any',
  ) {
    this.abstractsTime = timing === 'any';
    this.#strategy = strategy;
    this.#prng = new Prng(seed);
    if (strategy === 'pct') {
      for (let i = 1; i < depth; i++)
        this.#changeAt.set(1 + this.#prng.below(Math.max(1, stepsK)), depth - i);
    }
  }

  choose(kind: ChoiceKind, n: number, candidates: Candidates | null): number {
    const c =
      candidates === null || kind === ChoiceKind.Jitter || kind === ChoiceKind.Boot ? null : candidates;
    const choice = c === null || this.#strategy === 'random' ? this.#prng.below(n) : this.#pct(kind, c);
    const raced = kind === ChoiceKind.Tie || kind === ChoiceKind.LockRace;
    if (kind === ChoiceKind.Step || (!this.abstractsTime && raced)) this.steps++;
    this.choices.push(choice);
    return choice;
  }

  /** The highest-priority candidate; at a change point the running one drops low first. */
  #pct(kind: ChoiceKind, c: Candidates): number {
    const prio = (i: number) => {
      const cpu = c.cpu[i]!;
      let p = this.#priority.get(cpu);
      if (p === undefined) {
        p = 1000 + this.#prng.below(1 << 30);
        this.#priority.set(cpu, p);
      }
      return p;
    };
    const horizonNs =
      kind === ChoiceKind.Step ? c.eventTimeNs[0]! + PCT_STEP_WINDOW_NS : Number.POSITIVE_INFINITY;
    const pick = () => {
      let best = 0;
      for (let i = 1; i < c.count; i++) {
        if ((kind !== ChoiceKind.Step || c.eventTimeNs[i]! <= horizonNs) && prio(i) > prio(best)) best = i;
      }
      return best;
    };
    const best = pick();
    const low = kind === ChoiceKind.Step || !this.abstractsTime ? this.#changeAt.get(this.steps) : undefined;
    if (low === undefined) return best;
    this.#priority.set(c.cpu[best]!, low);
    return pick();
  }
}

export class ReplayMismatch extends Error {
  override name = 'ReplayMismatch';
}

/** Takes a recorded run's choices back, in order; refuses one that is out of range or missing. */
export class ChoiceReplayDecider implements Decider {
  readonly controlsTies = true;
  readonly abstractsTime: boolean;
  #index = 0;
  readonly #choices: readonly number[];

  constructor(choices: readonly number[], timing: ExploreTiming = 'any') {
    this.#choices = choices;
    this.abstractsTime = timing === 'any';
  }

  choose(_kind: ChoiceKind, n: number, _candidates: Candidates | null): number {
    const i = this.#index++;
    const choice = this.#choices[i];
    if (choice === undefined)
      throw new ReplayMismatch(`the schedule ends after ${i} choices but the run goes on`);
    if (choice >= n)
      throw new ReplayMismatch(`choice ${i} is ${choice}, but only ${n} candidates are offered`);
    return choice;
  }
}

/**
 * `scn:` (time abstracted; `scm:` under the cost model's timing) then the choices, run-length
 * coded (`3*12` is twelve 3s), `.`-separated.
 */
export function encodeChoices(choices: readonly number[], timing: ExploreTiming = 'any'): string {
  const parts: string[] = [];
  for (let i = 0; i < choices.length; ) {
    let j = i;
    while (j < choices.length && choices[j] === choices[i]) j++;
    parts.push(j - i > 1 ? `${choices[i]}*${j - i}` : String(choices[i]));
    i = j;
  }
  return `${timing === 'any' ? 'scn' : 'scm'}:${parts.join('.')}`;
}

/** The timing a schedule string was made under. */
export function timingOf(text: string): ExploreTiming {
  return text.startsWith('scm:') ? 'model' : 'any';
}

export function decodeChoices(text: string): number[] {
  if (!text.startsWith('scn:') && !text.startsWith('scm:'))
    throw new ReplayMismatch('a scenario schedule starts with scn: or scm:');
  const out: number[] = [];
  const body = text.slice(4);
  for (const part of body === '' ? [] : body.split('.')) {
    const m = /^(\d+)(?:\*(\d+))?$/.exec(part);
    if (m === null) throw new ReplayMismatch(`bad schedule item ${JSON.stringify(part)}`);
    const count = m[2] === undefined ? 1 : Number(m[2]);
    if (count > 10_000_000 || out.length + count > 50_000_000) throw new ReplayMismatch('schedule too long');
    for (let k = 0; k < count; k++) out.push(Number(m[1]));
  }
  return out;
}
