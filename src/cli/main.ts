/** The `smpsim` command: parses the command line with commander and maps every outcome to an exit status. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import type { RunConfig, SchedPolicyName } from '../machine/config.ts';
import { PRIMES_DEFAULT, WALL_S_MAX } from '../machine/defaults.ts';
import { registerAcpiCommand } from './acpi.ts';
import { registerBenchCommands } from './bench-command.ts';
import { registerBootCommand } from './boot.ts';
import { registerExploreCommand } from './explore.ts';
import { registerCheckPolicyCommand } from './check-policy.ts';
import { formatPolicies, policiesMarkdown, runPolicies } from '../report/policies.ts';
import { MetricNameError } from '../report/metric-names.ts';
import { runConfigOn } from '../report/run.ts';
import { WallBudget, WallClockLimitError } from '../report/wall-budget.ts';
import { defaultJobs, withRunner } from '../report/worker-pool.ts';
import { ModuleError } from '../machine/load-module.ts';
import { ScenarioError } from '../scenario/errors.ts';
import { loadScenarioFile } from '../scenario/load.ts';
import { loadScenario } from '../scenario/load-modules.ts';
import { POLICY_MODULE_HELP, policyModuleColumn } from './policy-module-flag.ts';
import { commandImpls } from './commands.ts';
import { parsePlotFlag, parseScaleOptions, SEED_MAX } from './scale-options.ts';
import { describePlot, plotTo, registerPlotCommand } from './plot.ts';
import { UsageError } from './errors.ts';
import { parseIntFlag, parseJobs, parseSecondsFlag } from './flags.ts';
import { formatRunReport } from './format.ts';
import { formatList, listEverything } from './list.ts';
import { formatMetrics, listMetrics } from './metrics.ts';
import { packageRoot } from './package-root.ts';
import { registerTraceCheckCommand } from './trace-check.ts';
import { registerSweepCommand } from './sweep.ts';
import { registerFidelityCommands } from './fidelity.ts';
import { type TraceFlags, traceRunOptions } from './trace-flags.ts';
import { registerViewCommand } from './view.ts';
import { progressRunner, withProgress } from './progress.ts';

/** Where the command writes; tests pass their own to capture output. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Exit statuses (DESIGN.md, "Contracts other tools rely on"); 70 is sysexits' EX_SOFTWARE. */
export const EXIT_OK = 0;
export const EXIT_EXPECTATION_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_INTERNAL_ERROR = 70;

const PACKAGE_ROOT = packageRoot();
const COMMAND_NAMES = [
  'run',
  'metrics',
  'scale',
  'bench',
  'demo',
  'policies',
  'list',
  'acpi',
  'boot',
  'explore',
  'plot',
  'check-policy', // issue 22
  // trace (issue 21)
  'trace-check',
  'view', // issue 21: the web viewer
  // sweeps (issue 23)
  'sweep',
  'worker',
  'fidelity',
  'calibrate',
];

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/**
 * Runs `smpsim` with `argv` (without the node and script names) and returns the exit status:
 * 0 success, 1 an expectation failed, 2 bad input (one line on stderr), 70 an internal error.
 */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    if (argv.length === 0) throw commandError('missing command');
    let status = EXIT_OK;
    const program = buildProgram(io, (s) => {
      status = s;
    });
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (error) {
    return reportError(error, io);
  }
}

/** Maps a thrown error to its one-line message and exit status. */
function reportError(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // --help and --version end parsing by throwing, with exit code 0.
    if (error.exitCode === 0) return EXIT_OK;
    // `smpsim help <unknown>` makes commander print help as an error; one line replaces it.
    if (error.code === 'commander.help') return reportError(commandError('unknown command'), io);
    io.err(`smpsim: ${commanderMessage(error)}\n`);
    return EXIT_BAD_INPUT;
  }
  if (
    error instanceof ScenarioError ||
    error instanceof UsageError ||
    error instanceof MetricNameError ||
    error instanceof ModuleError
  ) {
    io.err(`smpsim: ${clipLine(error.message)}\n`);
    return EXIT_BAD_INPUT;
  }
  // A limit of the invocation is a run that did not do its work, not bad input.
  if (error instanceof WallClockLimitError) {
    io.err(`smpsim: ${clipLine(error.message)}\n`);
    return EXIT_EXPECTATION_FAILED;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.err(
    `smpsim: internal error: ${oneLine(message)} (please report; rerun with SMPSIM_DEBUG=1 for the stack)\n`,
  );
  if (process.env.SMPSIM_DEBUG === '1' && error instanceof Error && error.stack !== undefined) {
    io.err(`${error.stack}\n`);
  }
  return EXIT_INTERNAL_ERROR;
}

function commandError(problem: string): UsageError {
  return new UsageError('', problem, `${COMMAND_NAMES.join(', ')}; see smpsim --help`);
}

/** Commander's messages start with `error: ` and may put a suggestion on a second line. */
function commanderMessage(error: CommanderError): string {
  const text = oneLine(error.message.replace(/^error:\s*/, ''));
  // Commander suggests a near name when it has one; otherwise list them all.
  const listCommands = error.code === 'commander.unknownCommand' && !text.includes('Did you mean');
  return listCommands ? `${text} (allowed: ${COMMAND_NAMES.join(', ')})` : text;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** An error line longer than this is cut: a message names the field and a few allowed values. */
const ERROR_LINE_CHARS_MAX = 400;

function clipLine(text: string): string {
  const line = oneLine(text);
  return line.length <= ERROR_LINE_CHARS_MAX ? line : `${line.slice(0, ERROR_LINE_CHARS_MAX - 3)}...`;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(`${PACKAGE_ROOT}package.json`, 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

/** A fresh program per call, because commander keeps parsed state on the Command objects. */
function buildProgram(io: CliIo, setStatus: SetStatus): Command {
  const program = new Command('smpsim')
    .description('A deterministic multi-core machine with a real microkernel and threading library on it')
    .version(packageVersion())
    .exitOverride()
    // Errors are printed once, as one line, by reportError; commander's own output would add help text.
    .configureOutput({ writeOut: io.out, writeErr: () => {}, outputError: () => {} });
  addScenarioCommands(program, io, setStatus);
  addStudyCommands(program, io, setStatus);
  registerBenchCommands(program, io, setStatus);
  addInfoCommands(program, io, setStatus);
  registerAcpiCommand(program, io.out, setStatus);
  registerBootCommand(program, io.out, setStatus);
  registerExploreCommand(program, io, setStatus);
  registerPlotCommand(program, io, setStatus);
  registerCheckPolicyCommand(program, io, setStatus); // issue 22
  // trace (issue 21): the trace validator.
  registerTraceCheckCommand(program, io, setStatus);
  registerViewCommand(program, io, setStatus); // issue 21: the web viewer
  registerSweepCommand(program, io, setStatus); // issue 23: sweep and worker
  registerFidelityCommands(program, io, setStatus); // issue 23: fidelity and calibrate
  return program;
}

type SetStatus = (status: number) => void;

/** `run` and `metrics`: one scenario file. */
function addScenarioCommands(program: Command, io: CliIo, setStatus: SetStatus): void {
  program
    .command('run')
    .description('run one scenario file and check its expectations')
    .argument('<file>', 'scenario file (TOML)')
    .option('--seed <n>', "seed, replacing the scenario file's")
    .option('--set <path=value>', 'override a scenario field, e.g. machine.cpus=8 (repeatable)', collect)
    .option('--trace <out.json>', 'write a Perfetto-loadable trace (Chrome trace-event JSON; docs/trace.md)')
    .option('--timeout <seconds>', 'wall-clock limit of the whole invocation, replacing limits.wall_s_max')
    .option('--trace-max-mb <n>', 'stop the trace file at this size in MiB (default 256)')
    .option('--trace-window <start,end>', 'trace only this stretch of simulated time, e.g. 10ms,20ms')
    .option(
      '--jobs <n>',
      `worker threads for a sweep's runs and the variants (default: every core, ${defaultJobs()})`,
    )
    .option('--json', 'print the JSON report (schema smpsim.run/1)')
    .option('--policy-module <file>', POLICY_MODULE_HELP)
    .action(async (file: string, opts: RunFlags) => {
      setStatus(await runCommand(file, opts, io));
    });

  program
    .command('metrics')
    .description('run a scenario and list the metric names it reports, with their values')
    .argument('<file>', 'scenario file (TOML)')
    .option('--seed <n>', "seed, replacing the scenario file's")
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect)
    .option('--timeout <seconds>', 'wall-clock limit of the whole invocation, replacing limits.wall_s_max')
    .option('--json', 'print one JSON object (schema smpsim.metrics/1)')
    .option('--policy-module <file>', POLICY_MODULE_HELP)
    .action(async (file: string, opts: RunFlags) => {
      setStatus(await metricsCommand(file, opts, io));
    });
}

/** `scale` and `policies`: many runs, one table. */
function addStudyCommands(program: Command, io: CliIo, setStatus: SetStatus): void {
  program
    .command('scale')
    .description('scaling study: the primes workload over CPU counts and scheduler policies')
    .option('--policy <policy>', 'dwrr, fair or both', 'both')
    .option('--cpus <list>', 'comma list of CPU counts', '1,2,4')
    .option('--workload <kind>', 'workload to scale', 'primes')
    .option('--mode <mode>', 'process or thread', PRIMES_DEFAULT.mode)
    .option('--partition <partition>', 'interleaved or contiguous', PRIMES_DEFAULT.partition)
    .option('--workers <n>', 'workers per run (default: the largest CPU count)')
    .option('--runs <n>', 'runs per point (the median is reported)', '5')
    .option('--seed <n>', 'first seed; run k uses seed + k', '1')
    .option('--range <lo,hi>', 'half-open range of integers to test', PRIMES_DEFAULT.range.join(','))
    .option('--abi <abi>', 'kernel personality: redox or capring (issue 20)', 'redox')
    .option('--rings <mode>', 'capring only: process (one ring per process) or thread (one per thread)')
    .option('--sleep-ns <ns>', 'capring only: each worker sleeps this long on its ring after every segment')
    .option('--jobs <n>', `worker threads for the runs (default: every core, ${defaultJobs()})`)
    .option('--json', 'print the JSON report (schema smpsim.scale/1)')
    .option('--plot <file>', 'also draw the speedup curves (.svg or .png)')
    .option('--policy-module <file>', `${POLICY_MODULE_HELP}; studied after --policy's`)
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const options = parseScaleOptions(opts);
      if (typeof opts.policyModule === 'string') options.module = await policyModuleColumn(opts.policyModule);
      setStatus(await commandImpls.scale(options, io));
    });

  program
    .command('policies')
    .description('run scenarios under dwrr, redbear and fair; print their headline metrics side by side')
    .argument('[files...]', 'scenario files (default: every seed scenario with a headline)')
    .option('--markdown', 'print a Markdown table')
    .option('--jobs <n>', `worker threads for the runs (default: every core, ${defaultJobs()})`)
    .option('--json', 'print one JSON object (schema smpsim.policies/1)')
    .option('--plot <file>', 'also draw the table as bars per policy (.svg or .png)')
    .option('--policy-module <file>', `${POLICY_MODULE_HELP}; one more column`)
    .action(async (files: string[], opts: PoliciesFlags) => {
      setStatus(await policiesCommand(files, opts, io));
    });
}

/** `demo` and `list`: the default job, and what is built in. */
function addInfoCommands(program: Command, io: CliIo, setStatus: SetStatus): void {
  program
    .command('demo')
    .description('the default job: the scaling demo and a few seed scenarios, summarised')
    .option('--jobs <n>', `worker threads for the runs (default: every core, ${defaultJobs()})`)
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean; jobs?: string }) => {
      setStatus(await commandImpls.demo({ json: opts.json === true, jobs: parseJobs(opts.jobs) }, io));
    });

  program
    .command('list')
    .description('built-in workloads, scheduler policies, tick sources and seed scenarios')
    .option('--json', 'print one JSON object (schema smpsim.list/1)')
    .action((opts: { json?: boolean }) => {
      const result = listEverything(PACKAGE_ROOT);
      io.out(opts.json === true ? `${JSON.stringify(result, null, 2)}\n` : formatList(result));
      setStatus(EXIT_OK);
    });
}

/** `smpsim policies`: the seed scenarios that name a headline, unless files are given. */
async function policiesCommand(files: string[], opts: PoliciesFlags, io: CliIo): Promise<number> {
  const jobs = parseJobs(opts.jobs);
  const { plot } = parsePlotFlag(opts.plot);
  const module = opts.policyModule === undefined ? undefined : await policyModuleColumn(opts.policyModule);
  const load = (file: string, policy: SchedPolicyName) =>
    loadScenarioFile(file, { set: [`kernel.scheduler="${policy}"`] });
  const scenarios =
    files.length > 0
      ? files
      : listEverything(PACKAGE_ROOT)
          .scenarios.map((s) => join(PACKAGE_ROOT, s.file))
          .filter((path) => loadScenarioFile(path).headline.length > 0);
  for (const file of scenarios) loadScenarioFile(file); // bad files fail first
  const report = await withProgress('policies', (p) =>
    withRunner(jobs, (runner) => runPolicies(scenarios, load, progressRunner(runner, p, jobs > 1), module)),
  );
  if (opts.json === true) io.out(`${JSON.stringify(report, null, 2)}\n`);
  else if (opts.markdown === true) io.out(`${policiesMarkdown(report).join('\n')}\n`);
  else io.out(formatPolicies(report));
  if (plot !== undefined) {
    const drawn = await plotTo('policies', [{ type: 'policies', label: 'policies', report }], plot, null);
    if (opts.json !== true) io.out(describePlot(drawn));
  }
  return EXIT_OK;
}

/** Accumulates a repeatable flag; no default is given so that help does not print `(default: [])`. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

interface PoliciesFlags {
  markdown?: boolean;
  json?: boolean;
  jobs?: string;
  plot?: string;
  policyModule?: string;
}

interface RunFlags extends TraceFlags {
  policyModule?: string;
  seed?: string;
  set?: string[];
  timeout?: string;
  json?: boolean;
  jobs?: string;
}

async function runCommand(file: string, opts: RunFlags, io: CliIo): Promise<number> {
  const trace = traceRunOptions(opts, io.err);
  const { config, wall } = await loadForRun(file, opts);
  // A sweep's runs and the variants go to worker threads; the run itself stays here (its trace).
  const jobs = parseJobs(opts.jobs);
  // On a terminal, a progress line: simulated time reached here, and the variants' runs.
  const report = await withProgress(config.name, (p) => {
    const onProgress = p === null ? undefined : (ns: number) => p.sim(ns, config.limits.simNsMax);
    return blameFile(file, () =>
      withRunner(jobs, (runner) =>
        runConfigOn(config, { wall, ...trace, onProgress }, progressRunner(runner, p, jobs > 1)),
      ),
    );
  });
  io.out(opts.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatRunReport(report));
  if (report.failure !== null) io.err(`smpsim: ${file}: run failed: ${report.failure}\n`);
  return report.passed ? EXIT_OK : EXIT_EXPECTATION_FAILED;
}

/** `smpsim metrics`: exit 1, with the reason, when the run did not do its work (its list is partial). */
async function metricsCommand(file: string, opts: RunFlags, io: CliIo): Promise<number> {
  const { config, wall } = await loadForRun(file, opts);
  const listing = await blameFile(file, () => listMetrics(config, wall));
  io.out(opts.json === true ? `${JSON.stringify(listing, null, 2)}\n` : formatMetrics(listing));
  if (listing.failure === null) return EXIT_OK;
  io.err(`smpsim: ${file}: run failed, so the list is partial: ${listing.failure}\n`);
  return EXIT_EXPECTATION_FAILED;
}

/** The flags `run` and `metrics` share, checked, and the scenario loaded with them. */
async function loadForRun(file: string, opts: RunFlags): Promise<{ config: RunConfig; wall: WallBudget }> {
  const seed = opts.seed === undefined ? undefined : parseIntFlag('--seed', opts.seed, 0, SEED_MAX);
  const timeoutS =
    opts.timeout === undefined ? undefined : parseSecondsFlag('--timeout', opts.timeout, WALL_S_MAX);
  // loadScenario: the scenario's own modules and --policy-module load first (issue 22).
  const config = await loadScenario(file, { seed, set: opts.set ?? [] }, opts.policyModule);
  const wall =
    timeoutS === undefined
      ? new WallBudget(config.limits.wallSMax, 'limits.wall_s_max')
      : new WallBudget(timeoutS, '--timeout');
  return { config, wall };
}

/** Names the scenario file in a metric-name or wall-clock error raised by its run. */
async function blameFile<T>(file: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof MetricNameError) {
      throw new ScenarioError({ file, field: error.field, problem: error.problem, allowed: error.allowed });
    }
    if (error instanceof WallClockLimitError) throw new WallClockLimitError(`${file}: ${error.message}`);
    throw error;
  }
}
