/**
 * `smpsim`: the simulator as a library (issue 22). Read a scenario (a TOML file or text), build
 * and run its machine, get the report the CLI prints; or run the CLI itself in-process. The same
 * functions the `smpsim` command is made of, so a run from here has the CLI's trace hash.
 *
 * ```ts
 * import { formatRunReport, runScenario } from 'smpsim';
 * const report = await runScenario('scenarios/seeds/futex-robust.toml', { seed: 7 });
 * console.log(report.trace_hash, report.metrics['futex.wait']);
 * process.stdout.write(formatRunReport(report));
 * ```
 *
 * Writing your own guest program: `smpsim/guest`; your own scheduler policy: `smpsim/policy`.
 * @module smpsim
 */
import type { RunConfig } from './machine/config.ts';
import { type RunOptions, runConfig, runConfigOn } from './report/run.ts';
import type { RunReport } from './report/types.ts';
import { withRunner } from './report/worker-pool.ts';
import { loadScenario } from './scenario/load-modules.ts';
import type { ScenarioOverrides } from './scenario/load.ts';

export { loadScenario, usePolicyModule } from './scenario/load-modules.ts';
export { loadScenarioFile, parseScenario, type ScenarioOverrides } from './scenario/load.ts';
export { ScenarioError, type ScenarioProblem } from './scenario/errors.ts';
export { ModuleError, type ModuleProblem, MODULE_EXTENSIONS } from './machine/load-module.ts';
export { type BuildOptions, buildMachine, type Machine } from './machine/build.ts';
export { type RunOptions, runConfig, runConfigOn } from './report/run.ts';
export type { CpuReport, ExpectationResult, LatencySummary, LockReport, RunReport } from './report/types.ts';
export { type RunJob, type Runner, runJob, serialRunner } from './report/runner.ts';
export { defaultJobs, withRunner } from './report/worker-pool.ts';
export { formatPolicies, type PoliciesReport, runPolicies } from './report/policies.ts';
export { MetricNameError } from './report/metric-names.ts';
export { WallBudget, WallClockLimitError } from './report/wall-budget.ts';
export { formatRunReport } from './cli/format.ts';
export {
  type CliIo,
  EXIT_BAD_INPUT,
  EXIT_EXPECTATION_FAILED,
  EXIT_INTERNAL_ERROR,
  EXIT_OK,
  main,
} from './cli/main.ts';
export {
  type KernelConfig,
  type RunConfig,
  SCHED_POLICIES,
  type SchedPolicyName,
  TICK_SOURCES,
  type TickSourceName,
  WORKLOAD_KINDS,
  type WorkloadConfig,
  type WorkloadKind,
} from './machine/config.ts';
export { POLICY_PRESETS, type PolicyPreset } from './machine/defaults.ts';

/** What {@link runScenario} may change: the CLI's `--seed`, `--set`, `--policy-module`, `--jobs`. */
export interface RunScenarioOptions extends ScenarioOverrides {
  /** A scheduler policy module (`--policy-module`), named from the working directory. */
  policyModule?: string;
  /**
   * Worker threads for a sweep's runs and `[compare]` variants; 1 (the default) runs all in
   * this thread. The report is the same either way.
   */
  jobs?: number;
  /** Passed to the run: a trace file, a wall-clock budget, invariant checks. */
  run?: RunOptions;
}

/**
 * Loads the scenario at `path` (its policy and program modules too), runs it and returns the
 * report `smpsim run --json` prints. Bad input throws a ScenarioError or ModuleError whose
 * message is the CLI's one line; a run that failed is a report with `passed: false`.
 */
export async function runScenario(path: string, options: RunScenarioOptions = {}): Promise<RunReport> {
  const { policyModule, jobs = 1, run = {}, ...overrides } = options;
  const config: RunConfig = await loadScenario(path, overrides, policyModule);
  if (jobs <= 1) return runConfig(config, run);
  return withRunner(jobs, (runner) => runConfigOn(config, run, runner));
}
