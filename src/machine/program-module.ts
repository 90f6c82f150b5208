/**
 * Loads a guest program module (workloads/program-module.ts says what it exports): `[[workload]]
 * kind = "program", module = "./p.ts"`. loadProgramModule runs (async) before the scenario is
 * validated, since the program's parameter specs are what its table is checked against, and in
 * every worker thread before a machine is built; programFromModule is what the scenario reader
 * and init (machine/init.ts) call, synchronously.
 * @module
 */
import type { GuestProgram } from '../workloads/program.ts';
import { asGuestProgram, PROGRAM_EXPORT_SIGNATURE, programProblem } from '../workloads/program-module.ts';
import { programNames } from '../workloads/registry.ts';
import { loadedModule, loadModule, ModuleError } from './load-module.ts';

/** Loads the guest program module at absolute `path` in this thread and checks its export. */
export async function loadProgramModule(path: string): Promise<GuestProgram> {
  return checkedProgram(path, await loadModule(path, 'program'));
}

function checkedProgram(path: string, namespace: Record<string, unknown>): GuestProgram {
  if (namespace.program === undefined) {
    const problem = 'the guest program module has no export program';
    throw new ModuleError({ file: path, field: '', problem, allowed: PROGRAM_EXPORT_SIGNATURE });
  }
  const problem = programProblem(namespace.program, programNames());
  if (problem !== null) {
    const field = problem.member === '' ? 'program' : `program.${problem.member}`;
    throw new ModuleError({ file: path, field, problem: problem.problem, allowed: problem.allowed });
  }
  return asGuestProgram(namespace.program);
}

/** The program of module `path`, loaded earlier in this thread, or undefined when it was not. */
export function programFromModule(path: string): GuestProgram | undefined {
  const namespace = loadedModule(path);
  return namespace === undefined ? undefined : checkedProgram(path, namespace);
}
