/**
 * The asynchronous scenario loader: loadScenario imports the user modules a scenario file names
 * (`[kernel] scheduler = { module }`, a workload's `module`; issue 22), relative to the file, and
 * then validates it as loadScenarioFile does, which needs them loaded (a program module's
 * parameter specs are what its table is checked against). `policyModule` is `--policy-module`:
 * it replaces the scenario's policy, keeping the machine its preset gave (tick, futex, libc).
 * @module
 */
import { dirname } from 'node:path';
import { parse } from 'smol-toml';
import type { RunConfig } from '../machine/config.ts';
import { modulePath } from '../machine/load-module.ts';
import { loadPolicyModule } from '../machine/policy-module.ts';
import { preloadModules } from '../machine/preload.ts';
import { loadProgramModule } from '../machine/program-module.ts';
import { isTable, own, type Table } from './fields.ts';
import { loadScenarioFile, readScenarioText, type ScenarioOverrides } from './load.ts';
import { applySetOverrides } from './set.ts';

/** Reads, loads the modules of, and validates the scenario at `path`. */
export async function loadScenario(
  path: string,
  overrides: ScenarioOverrides = {},
  policyModule?: string,
): Promise<RunConfig> {
  const { policies, programs } = namedModules(path, overrides);
  for (const file of policies) await loadPolicyModule(file);
  for (const file of programs) await loadProgramModule(file);
  const config = loadScenarioFile(path, overrides);
  if (policyModule !== undefined) await usePolicyModule(config, policyModule);
  return config;
}

/**
 * Gives `config` the policy of module `file` (named from the working directory). Its [compare]
 * variants keep theirs: they are what the scenario compares against (a built-in, usually dwrr).
 */
export async function usePolicyModule(config: RunConfig, file: string): Promise<void> {
  const path = modulePath(file);
  await loadPolicyModule(path);
  config.kernel.policyModule = path;
}

/** Loads, in this thread, what a configuration names (a worker thread before its job). */
export { preloadModules };

/**
 * The module files the document names, absolute. Anything malformed is left for the
 * validation that follows to report with its one-line error.
 */
function namedModules(
  path: string,
  overrides: ScenarioOverrides,
): { policies: string[]; programs: string[] } {
  const none = { policies: [], programs: [] };
  let doc: Table;
  try {
    doc = parse(readScenarioText(path)) as Table;
    applySetOverrides(doc, overrides.set ?? [], path);
  } catch {
    return none;
  }
  const dir = dirname(path);
  const kernel = own(doc, 'kernel');
  const scheduler = isTable(kernel) ? own(kernel, 'scheduler') : undefined;
  const policy = isTable(scheduler) ? own(scheduler, 'module') : undefined;
  const workloads = own(doc, 'workload');
  const programs = (Array.isArray(workloads) ? workloads : [])
    .map((w) => (isTable(w) ? own(w, 'module') : undefined))
    .filter((m): m is string => typeof m === 'string');
  return {
    policies: typeof policy === 'string' ? [modulePath(policy, dir)] : [],
    programs: programs.map((m) => modulePath(m, dir)),
  };
}
