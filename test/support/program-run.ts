/**
 * Runs one registered guest program (src/workloads/registry.ts) as the root of a test machine
 * with its declared defaults filled in, and returns what it published and the kernel's counters.
 */
import type { Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import type { GuestProgram, ParamValue } from '../../src/workloads/program.ts';
import { type GuestMachineOptions, type GuestRun, runGuest } from './guest.ts';

export interface ProgramRun extends GuestRun {
  output: Record<string, unknown>;
}

export function runProgram(
  program: GuestProgram,
  args: Record<string, ParamValue>,
  options: GuestMachineOptions & { simNsMax?: number; eventsMax?: number } = {},
): ProgramRun {
  const full: Record<string, ParamValue> = {};
  for (const p of program.params) if (p.fallback !== undefined) full[p.name] = p.fallback;
  Object.assign(full, args);
  let output: Record<string, unknown> = {};
  const run = runGuest(
    function* (t: Guest, raw: unknown): Program<number> {
      const rc = (yield* program.image.main(t, raw)) as number;
      output = ((t.data.output ?? {}) as Record<string, Record<string, unknown>>)[program.image.name] ?? {};
      return rc;
    },
    full,
    options,
  );
  return { ...run, output };
}
