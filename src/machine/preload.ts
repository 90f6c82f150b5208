/**
 * Loads the user modules a run configuration names (issue 22: its policy module, its guest
 * program modules, its [compare] variants'), so that building its machine, which is
 * synchronous, finds them. Every thread that builds machines calls this first: the CLI's main
 * thread after loading a scenario, and each worker thread before each job (report/run-worker.ts).
 * @module
 */
import type { RunConfig } from './config.ts';
import { loadPolicyModule } from './policy-module.ts';
import { loadProgramModule } from './program-module.ts';

/** The module paths `config` names, policy modules first. */
export function modulesOf(config: RunConfig): { policies: string[]; programs: string[] } {
  const configs = [config, ...(config.compare ?? []).map((v) => v.config)];
  const policies = new Set<string>();
  const programs = new Set<string>();
  for (const c of configs) {
    if (c.kernel.policyModule !== undefined) policies.add(c.kernel.policyModule);
    for (const w of c.workloads) if (w.kind === 'program' && w.module !== undefined) programs.add(w.module);
  }
  return { policies: [...policies], programs: [...programs] };
}

/** Loads every module `config` names, in this thread. */
export async function preloadModules(config: RunConfig): Promise<void> {
  const { policies, programs } = modulesOf(config);
  for (const path of policies) await loadPolicyModule(path);
  for (const path of programs) await loadProgramModule(path);
}
