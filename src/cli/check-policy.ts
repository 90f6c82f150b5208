/**
 * `smpsim check-policy FILE [scenario...]` (issue 22): your policy module through the scheduler
 * conformance suite beside dwrr, redbear and fair (report/conformance/), then the seed scenarios
 * that name a headline (or the files given) under all four, as `smpsim policies` prints them.
 * Exit 0 when the module conforms (every case passes or departs as a documented exception whose
 * bound holds), 1 when it does not, 2 for a bad module or file.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import type { SchedPolicyName } from '../machine/config.ts';
import { formatConformance, builtInColumns, runConformance } from '../report/conformance/suite.ts';
import { formatPolicies, runPolicies } from '../report/policies.ts';
import { defaultJobs, withRunner } from '../report/worker-pool.ts';
import { loadScenarioFile } from '../scenario/load.ts';
import { parseJobs } from './flags.ts';
import { listEverything } from './list.ts';
import type { CliIo } from './main.ts';
import { packageRoot } from './package-root.ts';
import { policyModuleColumn } from './policy-module-flag.ts';

interface CheckFlags {
  json?: boolean;
  jobs?: string;
  casesOnly?: boolean;
}

export function registerCheckPolicyCommand(
  program: Command,
  io: CliIo,
  setStatus: (s: number) => void,
): void {
  program
    .command('check-policy')
    .description(
      'run your policy module through the conformance suite and the headline scenarios, beside dwrr, redbear and fair',
    )
    .argument('<module>', 'policy module (.ts/.js) exporting createPolicy')
    .argument('[scenarios...]', 'scenario files (default: every seed scenario with a headline)')
    .option('--cases-only', 'the conformance cases only, no scenario table')
    .option('--jobs <n>', `worker threads for the scenario runs (default: every core, ${defaultJobs()})`)
    .option('--json', 'print one JSON object (schema smpsim.check-policy/1)')
    .action(async (file: string, scenarios: string[], opts: CheckFlags) => {
      setStatus(await checkPolicy(file, scenarios, opts, io));
    });
}

async function checkPolicy(file: string, files: string[], opts: CheckFlags, io: CliIo): Promise<number> {
  const jobs = parseJobs(opts.jobs);
  const column = await policyModuleColumn(file);
  const root = packageRoot();
  const scenarios =
    opts.casesOnly === true
      ? []
      : files.length > 0
        ? files
        : listEverything(root)
            .scenarios.map((s) => join(root, s.file))
            .filter((path) => loadScenarioFile(path).headline.length > 0);
  for (const scenario of scenarios) loadScenarioFile(scenario); // bad files fail first
  const conformance = runConformance([
    ...builtInColumns(),
    { label: column.label, preset: column.preset, module: column.path },
  ]);
  const load = (scenario: string, policy: SchedPolicyName) =>
    loadScenarioFile(scenario, { set: [`kernel.scheduler="${policy}"`] });
  const table =
    scenarios.length === 0
      ? null
      : await withRunner(jobs, (runner) => runPolicies(scenarios, load, runner, column));
  if (opts.json === true) io.out(`${JSON.stringify({ ...conformance, scenarios: table }, null, 2)}\n`);
  else io.out(`${formatConformance(conformance)}${table === null ? '' : `\n${formatPolicies(table)}`}`);
  return conformance.columns.at(-1)!.conforms ? 0 : 1;
}
