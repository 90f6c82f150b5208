/**
 * `smpsim view [FILE…] [--port N]` (issue 21): serves the viewer page (src/web/) on 127.0.0.1
 * for the given files, until interrupted. A `.json` file is a run report (`run --json`) or a
 * trace (`run --trace`); `NAME.json` and `NAME.trace.json` side by side make one run. A `.toml`
 * scenario is run here first, traced, into a temporary directory removed at the end.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import type { Command } from 'commander';
import { runConfigOn } from '../report/run.ts';
import { WallBudget } from '../report/wall-budget.ts';
import { defaultJobs, withRunner } from '../report/worker-pool.ts';
import { loadScenario } from '../scenario/load-modules.ts';
import { UsageError } from './errors.ts';
import { parseIntFlag } from './flags.ts';
import { packageRoot } from './package-root.ts';
import { viewerScript } from './view-assets.ts';
import { type ServedRun, startViewServer, type ViewServer } from './view-server.ts';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** A file's run name: its name without `.trace.json` or `.json`. */
export function runStem(file: string): string {
  return basename(file).replace(/(\.trace)?\.json$/i, '');
}

/** Runs a scenario traced into `dir`: its report and trace, one run. */
async function runScenario(file: string, dir: string, index: number): Promise<ServedRun> {
  const config = await loadScenario(file, { set: [] });
  const trace = join(dir, `${index}.trace.json`);
  const wall = new WallBudget(config.limits.wallSMax, 'limits.wall_s_max');
  const report = await withRunner(defaultJobs(), (runner) =>
    runConfigOn(config, { wall, traceFile: trace }, runner),
  );
  const reportFile = join(dir, `${index}.json`);
  writeFileSync(reportFile, JSON.stringify(report));
  return { name: `${config.name} (${basename(file)})`, files: [reportFile, trace] };
}

/** The runs for the command's files: scenarios run, JSON files grouped by stem. */
export async function viewRuns(files: readonly string[], dir: () => string): Promise<ServedRun[]> {
  const runs: ServedRun[] = [];
  for (const [i, file] of files.entries()) {
    const ext = extname(file).toLowerCase();
    if (ext !== '.json' && ext !== '.toml')
      throw new UsageError(file, 'is neither a .json report or trace nor a .toml scenario', '.json, .toml');
    try {
      if (!statSync(file).isFile()) throw new UsageError(file, 'is not a file');
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(
        file,
        `cannot read the file (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`,
      );
    }
    if (ext === '.toml') {
      runs.push(await runScenario(file, dir(), i));
      continue;
    }
    const last = runs[runs.length - 1];
    if (last !== undefined && last.name === runStem(file) && last.files.length === 1) {
      runs[runs.length - 1] = { name: last.name, files: [...last.files, file] };
    } else runs.push({ name: runStem(file), files: [file] });
  }
  return runs;
}

/** Serves `files` (see viewRuns); the caller closes it. `cleanup` removes the scenario runs' files. */
export async function startView(
  files: readonly string[],
  port = 0,
): Promise<{ server: ViewServer; runs: ServedRun[]; cleanup: () => void }> {
  let dir: string | null = null;
  const cleanup = () => {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const runs = await viewRuns(files, () => (dir ??= mkdtempSync(join(tmpdir(), 'smpsim-view-'))));
    const script = await viewerScript(packageRoot());
    const server = await startViewServer(runs, script, port).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE' || e.code === 'EACCES')
        throw new UsageError(
          '--port',
          `cannot listen on 127.0.0.1:${port} (${e.code})`,
          'a free port 1..65535, or none for a random one',
        );
      throw e;
    });
    return { server, runs, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

export function registerViewCommand(program: Command, io: Io, setStatus: (s: number) => void): void {
  program
    .command('view')
    .description('serve the web viewer on 127.0.0.1 for run reports, traces or scenarios (run here)')
    .argument('[files...]', 'run reports (run --json), traces (run --trace), scenario files (.toml)')
    .option('--port <n>', 'the port (default: a free one)')
    .action(async (files: string[], opts: { port?: string }) => {
      const port = opts.port === undefined ? 0 : parseIntFlag('--port', opts.port, 1, 65_535);
      const { server, runs, cleanup } = await startView(files, port);
      io.out(
        `smpsim view: ${server.url} (${runs.length} run${runs.length === 1 ? '' : 's'}; Ctrl-C stops)\n`,
      );
      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await server.close();
      cleanup();
      setStatus(0);
    });
}
