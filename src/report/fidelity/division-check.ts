/**
 * The primes study's check of the host's speed (issue 23): the calibration's division probe
 * (fidelity/calibrate.c `divide`, the primes inner loop in CPU time, median of 7 rounds) on one
 * range, run before and after the study's host runs, beside what smpsim charges for the same
 * divisions and candidates. The VM this was built on changed speed by 5-25% between runs minutes
 * apart (its core clock follows the machine under it), so a profile measured at one moment can be
 * off at another: `host_vs_charge` says by how much for this run, and the drift from before to
 * after says how steady the host was while it ran. Outside any simulation: the wall and CPU
 * clocks here are the measurement.
 * @module
 */
import { CYCLES_PER_CANDIDATE, CYCLES_PER_DIVISION } from '../../workloads/primes-math.ts';
import { buildHostProgram, runHostProgram } from './host.ts';

/** About 38 divisions a candidate: near the primes study's 36 over [2, 2·10^7). */
export const CHECK_RANGE: readonly [number, number] = [10_000_000, 10_300_000];

export interface DivisionCheck {
  range: [number, number];
  divisions: number;
  candidates: number;
  /** What smpsim charges for them: divisionCycles and candidateCycles at cpu_mhz. */
  charged_ns: number;
  host_before_ns: number;
  host_after_ns: number;
  /** (host before − charged) / charged: how much slower the host was than the profile says. */
  host_vs_charge: number;
  /** (after − before) / before. */
  drift: number;
}

export interface DivisionProbe {
  before: { ns: number; divisions: number; candidates: number };
  after: () => DivisionCheck;
}

/** Runs the probe now; `after()` runs it again and returns both beside smpsim's charge. */
export function startDivisionCheck(
  packageRoot: string,
  costs: Record<string, number>,
  cpuMhz: number,
): DivisionProbe {
  const bin = buildHostProgram(packageRoot, 'calibrate');
  const probe = () => {
    const r = runHostProgram(bin, ['divide', String(CHECK_RANGE[0]), String(CHECK_RANGE[1])], 1);
    return { ns: Number(r.ns), divisions: Number(r.divisions), candidates: Number(r.candidates) };
  };
  const before = probe();
  const after = (): DivisionCheck => {
    const late = probe();
    const cycles =
      before.divisions * (costs.divisionCycles ?? CYCLES_PER_DIVISION) +
      before.candidates * (costs.candidateCycles ?? CYCLES_PER_CANDIDATE);
    const chargedNs = (cycles * 1000) / cpuMhz;
    return {
      range: [CHECK_RANGE[0], CHECK_RANGE[1]],
      divisions: before.divisions,
      candidates: before.candidates,
      charged_ns: Math.round(chargedNs),
      host_before_ns: before.ns,
      host_after_ns: late.ns,
      host_vs_charge: (before.ns - chargedNs) / chargedNs,
      drift: (late.ns - before.ns) / before.ns,
    };
  };
  return { before, after };
}
