/**
 * The studies `smpsim fidelity` runs (issue 23) and their sizes: primes in three shapes, futex
 * ping-pong, the mutex-contention loop (a contended shape, nothing between unlock and lock, and a
 * mostly parallel one), the condvar herd and schbench. `--only` picks some; `--quick` (or a
 * `--range`) runs a tenth of the rounds and iterations.
 * @module
 */
import { type DivisionCheck, startDivisionCheck } from '../report/fidelity/division-check.ts';
import { type CondherdPoint, runCondherdFidelity } from '../report/fidelity/condherd-fidelity.ts';
import { type MutexPoint, runMutexFidelity } from '../report/fidelity/mutex-fidelity.ts';
import { type HandoffPoint, runPingpongFidelity } from '../report/fidelity/pingpong-fidelity.ts';
import {
  type FidelityOptions,
  type FidelityPoint,
  runPrimesFidelity,
} from '../report/fidelity/primes-fidelity.ts';
import { simCpuMhz } from '../report/fidelity/program-sim.ts';
import { runSchbenchFidelity, type SchbenchPoint } from '../report/fidelity/schbench-fidelity.ts';
import { UsageError } from './errors.ts';
import {
  formatCondherd,
  formatDivisionCheck,
  formatFidelity,
  formatHandoffs,
  formatMutex,
  formatSchbench,
} from './fidelity-format.ts';

export const FIDELITY_STUDIES = ['primes', 'pingpong', 'mutex', 'condherd', 'schbench'] as const;
export type FidelityStudy = (typeof FIDELITY_STUDIES)[number];

/** The mutex loop's shapes: 4 threads, 33 ns (100 cycles) inside; nothing, or 333 ns, outside. */
export const MUTEX_SHAPES = [
  { threads: 4, csCycles: 100, outsideCycles: 0 },
  { threads: 4, csCycles: 100, outsideCycles: 1000 },
] as const;
export const MUTEX_ITERATIONS = 50_000;
export const CONDHERD_WAITERS = 16;
export const CONDHERD_ROUNDS = 100;
/**
 * schbench: the guest's defaults (2 message threads × 2 workers, 2 ms sleep, 10 µs think), and
 * one message thread with one worker, whose latency is one wakeup's with no queue behind others.
 */
export const SCHBENCH_SHAPES = [
  { messages: 2, workers: 2 },
  { messages: 1, workers: 1 },
] as const;
export const SCHBENCH = { rounds: 250, sleepUs: 2000, thinkCycles: 30_000 };
export const PINGPONG_ROUNDS = 20_000;

export function parseStudies(raw: string | undefined): ReadonlySet<FidelityStudy> {
  if (raw === undefined) return new Set(FIDELITY_STUDIES);
  const names = raw.split(',').map((s) => s.trim());
  const known = new Set<string>(FIDELITY_STUDIES);
  const bad = names.find((n) => !known.has(n));
  if (bad !== undefined || names.length === 0)
    throw new UsageError('--only', `${bad ?? raw}`, FIDELITY_STUDIES.join(', '));
  return new Set(names as FidelityStudy[]);
}

export interface StudyResults {
  json: {
    points: FidelityPoint[];
    /** The host's division probe before and after the primes runs (null without primes). */
    division_check: DivisionCheck | null;
    pingpong: HandoffPoint[];
    mutex: MutexPoint[];
    condherd: CondherdPoint[];
    schbench: SchbenchPoint[];
  };
  text: (profile: string | null, model: string) => string;
  /** Every study's two sides did the same work (primes, acquisitions, tokens, wakeups). */
  sameWork: boolean;
}

export function runStudies(
  root: string,
  studies: ReadonlySet<FidelityStudy>,
  o: FidelityOptions,
  quick: boolean,
): StudyResults {
  const scale = (n: number) => (quick ? Math.max(1, Math.round(n / 10)) : n);
  const base = { maxCpus: o.maxWorkers, runs: o.runs, costs: o.costs };
  const probe = studies.has('primes') ? startDivisionCheck(root, o.costs, simCpuMhz(1)) : null;
  const points = studies.has('primes') ? runPrimesFidelity(root, o) : [];
  const check = probe === null ? null : probe.after();
  const pingpong = studies.has('pingpong')
    ? runPingpongFidelity(root, { ...base, rounds: scale(PINGPONG_ROUNDS) })
    : [];
  const mutex = studies.has('mutex')
    ? MUTEX_SHAPES.flatMap((s) =>
        runMutexFidelity(root, { ...base, ...s, iterations: scale(MUTEX_ITERATIONS) }),
      )
    : [];
  const condherd = studies.has('condherd')
    ? runCondherdFidelity(root, { ...base, waiters: CONDHERD_WAITERS, rounds: scale(CONDHERD_ROUNDS) })
    : [];
  const schbench = studies.has('schbench')
    ? SCHBENCH_SHAPES.flatMap((shape) =>
        runSchbenchFidelity(root, { ...base, ...SCHBENCH, ...shape, rounds: scale(SCHBENCH.rounds) }),
      )
    : [];
  const json = { points, division_check: check, pingpong, mutex, condherd, schbench };
  const text = (profile: string | null, model: string) =>
    formatFidelity(points, profile, model) +
    (check !== null ? formatDivisionCheck(check) : '') +
    (pingpong.length > 0 ? formatHandoffs(pingpong) : '') +
    (mutex.length > 0 ? formatMutex(mutex) : '') +
    (condherd.length > 0 ? formatCondherd(condherd) : '') +
    (schbench.length > 0 ? formatSchbench(schbench) : '');
  const sameWork = [...points, ...mutex, ...condherd, ...schbench].every((p) => p.same_work);
  return { json, text, sameWork };
}
