/**
 * `smpsim calibrate` (issue 23): host microbenchmarks (fidelity/calibrate.c) turned into a `[costs]`
 * profile a scenario includes with `costs = { profile = "host.toml" }`.
 *
 * What maps to which parameter:
 * - `divisionCycles`, `candidateCycles`: the primes workload's charges, fitted by least squares
 *   to the CPU time of trial division over five ranges whose divisions per candidate differ
 *   (time = d·divisions + c·candidates), in cycles of the simulated clock (`cpu_mhz`, 3000 by
 *   default), to a hundredth of a cycle;
 * - `syscallNs`: a getppid round trip;
 * - `contextSwitchNs`: half a pipe ping-pong round trip between two processes on one CPU, less
 *   its two system calls (lmbench lat_ctx's method);
 * - `cacheLineNs`: half a round trip of one atomic word bounced between two CPUs;
 * - `atomicNs`: an uncontended compare-and-swap on a line this CPU holds (what every guest
 *   atomic pays before any line transfer: an uncontended mutex lock and unlock pay it twice).
 * - `coldAfterIdleNs`, `wakeFromIdleNs` (kernel/idle-exit.ts): a thread on CPU 0 sleeps, stamps the
 *   time and wakes a thread waiting on CPU 1, after a shallow (20 µs) and a deep (2 ms) sleep, the
 *   medians of three runs of 400 wake-ups each. The deep sleep's FUTEX_WAKE call, beyond the
 *   shallow one's, is the cold start of the waker's first call (`coldAfterIdleNs`); the rest of
 *   the deep wake-up's growth is the idle wakee CPU's (`wakeFromIdleNs`). In smpsim the same two
 *   runs differ by exactly their sum (test/kernel/idle-exit.test.ts), so the profile reproduces
 *   the host's growth; what a shallow wake-up costs stays the model's (idleWakeNs, ipiLatencyNs).
 * The futex ping-pong round trip, thread creation and fork are measured and written as comments:
 * each is a sum of several parameters in smpsim (the futex path, the scheduler, the proc scheme),
 * so they are figures to compare a run with, not parameters.
 * @module
 */
import { buildHostProgram, runHostProgram } from './host.ts';

/**
 * Ranges whose divisions per candidate differ (about 14, 28, 48, 86 and 203), each 25-50 ms of
 * division on a 3 GHz core. The primes study's [2, 2·10^7) averages 36 a candidate, inside them;
 * five ranges this long fit the two charges to about 1.5% of each range's time, where three
 * ranges of 10-15 ms moved the per-candidate charge by half from one calibration to the next.
 */
export const DIVIDE_RANGES: readonly [number, number][] = [
  [2, 1_000_000],
  [4_000_000, 4_400_000],
  [20_000_000, 20_200_000],
  [100_000_000, 100_100_000],
  [1_000_000_000, 1_000_050_000],
];

export interface DivideSample {
  ns: number;
  divisions: number;
  candidates: number;
}

/** Least squares for t = d·D + c·C over the samples (the 2×2 normal equations). */
export function fitDivision(samples: readonly DivideSample[]): { divisionNs: number; candidateNs: number } {
  let dd = 0;
  let dc = 0;
  let cc = 0;
  let td = 0;
  let tc = 0;
  for (const s of samples) {
    dd += s.divisions * s.divisions;
    dc += s.divisions * s.candidates;
    cc += s.candidates * s.candidates;
    td += s.ns * s.divisions;
    tc += s.ns * s.candidates;
  }
  const det = dd * cc - dc * dc;
  if (det === 0) throw new Error('calibrate: the division samples cannot be told apart');
  return { divisionNs: (td * cc - tc * dc) / det, candidateNs: (tc * dd - td * dc) / det };
}

/** The sleeps before a wake-up: inside KVM's 200 µs halt-polling window, and 10x past it. */
export const WAKE_SLEEPS_NS = { shallow: 20_000, deep: 2_000_000 } as const;

/** One thread waking another on the other CPU after a sleep: medians of the wake-up and of the call. */
export interface WakeSample {
  ns: number;
  callNs: number;
}

export interface Calibration {
  divisionNs: number;
  candidateNs: number;
  syscallNs: number;
  pipeRoundTripNs: number;
  futexRoundTripNs: number;
  cacheLineRoundTripNs: number;
  atomicNs: number;
  threadCreateNs: number;
  forkNs: number;
  wakeShallow: WakeSample;
  wakeDeep: WakeSample;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

function measureWake(bin: string, sleepNs: number): WakeSample {
  const runs = Array.from({ length: 3 }, () => runHostProgram(bin, ['wake', String(sleepNs)], 2));
  return { ns: median(runs.map((r) => Number(r.ns))), callNs: median(runs.map((r) => Number(r.call_ns))) };
}

export function measureHost(packageRoot: string): Calibration {
  const bin = buildHostProgram(packageRoot, 'calibrate');
  const one = (args: string[], cpus: number) => Number(runHostProgram(bin, args, cpus).ns);
  const samples = DIVIDE_RANGES.map(([lo, hi]) => {
    const r = runHostProgram(bin, ['divide', String(lo), String(hi)], 1);
    return { ns: Number(r.ns), divisions: Number(r.divisions), candidates: Number(r.candidates) };
  });
  return {
    ...fitDivision(samples),
    syscallNs: one(['syscall'], 1),
    pipeRoundTripNs: one(['pipe'], 1),
    futexRoundTripNs: one(['futex'], 2),
    cacheLineRoundTripNs: one(['cacheline'], 2),
    atomicNs: one(['atomic'], 1),
    threadCreateNs: one(['thread'], 1),
    forkNs: one(['fork'], 1),
    wakeShallow: measureWake(bin, WAKE_SLEEPS_NS.shallow),
    wakeDeep: measureWake(bin, WAKE_SLEEPS_NS.deep),
  };
}

const round1 = (x: number) => Math.round(Math.max(0, x) * 10) / 10;
/** A cycle charge to a hundredth: a tenth of 8 cycles is 1.2% of every primes time. */
const round2 = (x: number) => Math.round(Math.max(0, x) * 100) / 100;
/** Times are whole nanoseconds in the cost model. */
const roundNs = (x: number) => Math.round(Math.max(0, x));

/** The `[costs]` values a calibration gives, at `cpuMhz` for the cycle charges. */
export function profileCosts(c: Calibration, cpuMhz: number): Record<string, number> {
  return {
    divisionCycles: round2((c.divisionNs * cpuMhz) / 1000),
    candidateCycles: round2((c.candidateNs * cpuMhz) / 1000),
    syscallNs: roundNs(c.syscallNs),
    contextSwitchNs: roundNs(c.pipeRoundTripNs / 2 - 2 * c.syscallNs),
    cacheLineNs: roundNs(c.cacheLineRoundTripNs / 2),
    atomicNs: roundNs(c.atomicNs),
    ...idleExitCosts(c),
  };
}

/** The deep wake-up's growth over the shallow one, split into the waker's cold call and the rest. */
export function idleExitCosts(c: Calibration): { coldAfterIdleNs: number; wakeFromIdleNs: number } {
  const cold = Math.max(0, c.wakeDeep.callNs - c.wakeShallow.callNs);
  const growth = Math.max(0, c.wakeDeep.ns - c.wakeShallow.ns);
  return { coldAfterIdleNs: roundNs(cold), wakeFromIdleNs: roundNs(Math.max(0, growth - cold)) };
}

/** The profile file's text: the costs, then the measured figures that are not parameters. */
export function profileText(c: Calibration, cpuMhz: number, host: string): string {
  const costs = profileCosts(c, cpuMhz);
  return [
    `# smpsim calibrate: ${host}`,
    `# cycle charges at cpu_mhz = ${cpuMhz}; include with  costs = { profile = "<this file>" }`,
    `# measured, not parameters: futex ping-pong round trip ${round1(c.futexRoundTripNs)} ns,`,
    `#   pthread_create+join ${round1(c.threadCreateNs)} ns, fork+exit+wait ${round1(c.forkNs)} ns,`,
    `#   a wake-up on the other CPU ${roundNs(c.wakeShallow.ns)} ns after ${WAKE_SLEEPS_NS.shallow / 1000} us asleep, ${roundNs(c.wakeDeep.ns)} ns after ${WAKE_SLEEPS_NS.deep / 1000} us`,
    `#   (its FUTEX_WAKE call ${roundNs(c.wakeShallow.callNs)} and ${roundNs(c.wakeDeep.callNs)} ns)`,
    '[costs]',
    ...Object.entries(costs).map(([k, v]) => `${k} = ${v}`),
    '',
  ].join('\n');
}
