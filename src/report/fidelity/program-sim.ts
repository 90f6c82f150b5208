/**
 * The smpsim side of the fidelity studies that run a guest program (issue 23): the program under
 * the fair policy on `cpus` CPUs with the given `[costs]`, its metrics returned. The host
 * programs do their work in smpsim's cycles at the same clock (fidelity/sync.h work()).
 * @module
 */
import type { ParamValue } from '../../workloads/program.ts';
import { defaultRunConfig } from '../../machine/defaults.ts';
import { runConfig } from '../run.ts';

/** The clock the simulated CPUs run at, so the host programs' work lasts as long. */
export function simCpuMhz(cpus: number): number {
  return defaultRunConfig('fair', cpus).machine.cpuMhz;
}

export function simProgram(
  program: string,
  params: Record<string, ParamValue>,
  cpus: number,
  costs: Record<string, number>,
): Record<string, number> {
  const config = {
    ...defaultRunConfig('fair', cpus),
    name: `fidelity-${program}-${cpus}`,
    costs,
    workloads: [{ kind: 'program' as const, program, params }],
  };
  return runConfig(config).metrics;
}

/** Signed relative error (smpsim − host) / host. */
export const rel = (sim: number, host: number) => (host === 0 ? 0 : (sim - host) / host);
