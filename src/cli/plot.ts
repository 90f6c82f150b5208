/**
 * `smpsim plot INPUT… [--kind K] [--out FILE.svg|.png] [--window START,END]` (issue 21): draws a
 * run, scale, policies or bench report, a Chrome trace, or a scenario (run here with its
 * `[[compare]]` variants) as a chart. The charting modules are imported on first use, so the
 * other commands do not pay their start-up. Also `plotTo`, which `scale`, `policies` and `bench`
 * call for their `--plot FILE`.
 */
import { extname } from 'node:path';
import type { Command } from 'commander';
import { PlotInputError } from '../report/plot/errors.ts';
import * as plotInputs from '../report/plot/inputs.ts';
import type { PlotInput } from '../report/plot/inputs.ts';
import { defaultKind, type PlotKind, plotSpec } from '../report/plot/plot.ts';
import { renderPlot } from '../report/plot/render.ts';
import { loadScenarioFile } from '../scenario/load.ts';
import type { CommandIo } from './commands.ts';
import { UsageError } from './errors.ts';
import { checkWritableFile, parseChoiceFlag } from './flags.ts';
import { parseWindowFlag } from './trace-flags.ts';

/** Must match src/report/plot/plot.ts PLOT_KINDS (kept here so --help needs no chart modules). */
const KINDS = ['speedup', 'latency-cdf', 'utilisation', 'timeline', 'bench', 'policies'] as const;
const EXTENSIONS = ['.svg', '.png'];

/** `--out`: a writable .svg or .png path. */
export function checkPlotFile(flag: string, file: string): void {
  if (!EXTENSIONS.includes(extname(file).toLowerCase()))
    throw new UsageError(flag, `${file} is neither .svg nor .png`, EXTENSIONS.join(', '));
  checkWritableFile(flag, file);
}

/** Draws `inputs` as `kind` into `file`; input problems become one-line usage errors. */
export async function plotTo(
  kind: PlotKind,
  inputs: PlotInput[],
  file: string,
  window: [number, number] | null,
) {
  try {
    return await renderPlot(plotSpec(kind, inputs, window), file);
  } catch (e) {
    if (e instanceof PlotInputError) throw new UsageError('', e.message);
    throw e;
  }
}

async function loadInputs(files: string[], kind: PlotKind | undefined): Promise<PlotInput[]> {
  const all: PlotInput[] = [];
  for (const file of files) {
    if (extname(file).toLowerCase() !== '.toml') {
      try {
        all.push(plotInputs.readPlotJson(file));
      } catch (e) {
        throw e instanceof Error && e.name === 'PlotInputError' ? new UsageError('', e.message) : e;
      }
      continue;
    }
    const config = loadScenarioFile(file);
    if (kind === 'timeline') all.push(plotInputs.traceScenarioForPlot(config, config.name));
    else all.push(...plotInputs.runScenarioForPlot(config));
  }
  return all;
}

/** The line a command prints after drawing: the file, its size in pixels and bytes. */
export function describePlot(r: { file: string; width: number; height: number; bytes: number }): string {
  return `plot: wrote ${r.file} (${Math.round(r.width)} x ${Math.round(r.height)} px, ${r.bytes} bytes)\n`;
}

export function registerPlotCommand(program: Command, io: CommandIo, setStatus: (s: number) => void): void {
  program
    .command('plot')
    .description(
      'draw a report, trace or scenario as SVG or PNG: speedup, latency CDF, utilisation, timeline',
    )
    .argument(
      '<inputs...>',
      'run/scale/policies/bench JSON reports, a Chrome trace, or scenario files (run here)',
    )
    .option('--kind <kind>', `${KINDS.join(', ')} (default: the first input's own kind)`)
    .option('--out <file>', 'the image, .svg or .png (default: plot.svg)', 'plot.svg')
    .option('--window <start,end>', 'timeline only: the stretch of simulated time, e.g. 10ms,12ms')
    .action(async (files: string[], opts: { kind?: string; out: string; window?: string }) => {
      const kind = opts.kind === undefined ? undefined : parseChoiceFlag('--kind', opts.kind, KINDS);
      checkPlotFile('--out', opts.out);
      const parsed = opts.window === undefined ? null : parseWindowFlag('--window', opts.window);
      const window: [number, number] | null = parsed === null ? null : [parsed.startNs, parsed.endNs];
      if (window !== null && kind !== undefined && kind !== 'timeline')
        throw new UsageError('--window', 'only applies to --kind timeline');
      const inputs = await loadInputs(files, kind);
      const chosen = kind ?? defaultKind(inputs[0]!);
      if (window !== null && chosen !== 'timeline')
        throw new UsageError('--window', 'only applies to --kind timeline');
      io.out(describePlot(await plotTo(chosen, inputs, opts.out, window)));
      setStatus(0);
    });
}
