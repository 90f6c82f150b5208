/**
 * What `smpsim plot` was given: JSON results (a run, scale, policies or bench report, or a Chrome
 * trace), told apart by their `schema` field or `traceEvents`, or scenario files, which are run
 * here — the scenario and each of its `[[compare]]` variants, each a labelled run, so one plot
 * overlays a design and its baseline. Each input's problem is one line naming the file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { BenchReport } from '../bench.ts';
import type { PoliciesReport } from '../policies.ts';
import { runConfig } from '../run.ts';
import type { ScaleReport } from '../scale.ts';
import type { RunReport } from '../types.ts';
import type { RunConfig } from '../../machine/config.ts';
import { PlotInputError } from './errors.ts';
import type { TraceEvent } from './timeline.ts';

export type PlotInput =
  | { type: 'run'; label: string; report: RunReport }
  | { type: 'scale'; label: string; report: ScaleReport }
  | { type: 'policies'; label: string; report: PoliciesReport }
  | { type: 'bench'; label: string; report: BenchReport }
  | { type: 'trace'; label: string; events: TraceEvent[] };

const SCHEMAS: Record<string, PlotInput['type']> = {
  'smpsim.run/1': 'run',
  'smpsim.scale/1': 'scale',
  'smpsim.policies/1': 'policies',
  'smpsim.bench/1': 'bench',
};

/** A JSON file's contents as a plot input. */
export function readPlotJson(file: string): PlotInput {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new PlotInputError(`${file}: not readable as JSON (${why})`);
  }
  const label = basename(file).replace(/\.json$/, '');
  const object = (value ?? {}) as { schema?: unknown; traceEvents?: unknown };
  if (Array.isArray(object.traceEvents))
    return { type: 'trace', label, events: object.traceEvents as TraceEvent[] };
  const type = typeof object.schema === 'string' ? SCHEMAS[object.schema] : undefined;
  if (type === undefined)
    throw new PlotInputError(
      `${file}: schema ${JSON.stringify(object.schema ?? null)} is not one smpsim plots (allowed: ${Object.keys(SCHEMAS).join(', ')}, or a Chrome trace with traceEvents)`,
    );
  return { type, label, report: value } as PlotInput;
}

/** A scenario's run and each of its `[[compare]]` variants' runs, labelled "main" and by name. */
export function runScenarioForPlot(config: RunConfig): PlotInput[] {
  const main = runConfig({ ...config, compare: [] }, { skipNameChecks: true });
  const variants = config.compare.map((c) => ({
    type: 'run' as const,
    label: c.name,
    report: runConfig({ ...c.config, compare: [] }, { skipNameChecks: true }),
  }));
  return [{ type: 'run', label: 'main', report: main }, ...variants];
}

/** A scenario's run traced (to a temporary file, read back and removed) for the timeline. */
export function traceScenarioForPlot(config: RunConfig, label: string): PlotInput {
  const dir = mkdtempSync(join(tmpdir(), 'smpsim-plot-'));
  try {
    const file = join(dir, 'trace.json');
    runConfig({ ...config, compare: [] }, { skipNameChecks: true, traceFile: file, traceBytesMax: 64 << 20 });
    const events = (JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
    return { type: 'trace', label, events };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
