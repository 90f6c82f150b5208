/**
 * `smpsim plot`'s choice of chart: the kind asked for (or the first input's natural one) and the
 * inputs that kind can draw; an input a kind cannot draw is refused by name.
 */
import type { TopLevelSpec } from 'vega-lite';
import { benchSpec } from './bench.ts';
import type { PlotInput } from './inputs.ts';
import { PlotInputError } from './errors.ts';
import { latencySpec } from './latency.ts';
import { policiesSpec } from './policies.ts';
import { speedupSpec } from './speedup.ts';
import { timelineSlices, timelineSpec, windowed } from './timeline.ts';
import { utilisationSpec } from './utilisation.ts';

export const PLOT_KINDS = ['speedup', 'latency-cdf', 'utilisation', 'timeline', 'bench', 'policies'] as const;
export type PlotKind = (typeof PLOT_KINDS)[number];

/** The input types each kind draws. */
const DRAWS: Record<PlotKind, PlotInput['type']> = {
  speedup: 'scale',
  'latency-cdf': 'run',
  utilisation: 'run',
  timeline: 'trace',
  bench: 'bench',
  policies: 'policies',
};

/** The kind an input is drawn as when `--kind` is not given. */
export function defaultKind(input: PlotInput): PlotKind {
  const natural: Record<PlotInput['type'], PlotKind> = {
    scale: 'speedup',
    run: 'latency-cdf',
    trace: 'timeline',
    bench: 'bench',
    policies: 'policies',
  };
  return natural[input.type];
}

function only<T extends PlotInput['type']>(kind: PlotKind, inputs: readonly PlotInput[], type: T) {
  const wrong = inputs.find((i) => i.type !== type);
  if (wrong !== undefined)
    throw new PlotInputError(
      `--kind ${kind}: ${wrong.label} is a ${wrong.type} result; ${kind} draws ${type} results`,
    );
  return inputs as Extract<PlotInput, { type: T }>[];
}

export function plotSpec(
  kind: PlotKind,
  inputs: readonly PlotInput[],
  window: [number, number] | null,
): TopLevelSpec {
  const type = DRAWS[kind];
  const title = `${kind}: ${[...new Set(inputs.map((i) => i.label))].join(', ')}`;
  if (kind === 'speedup') return speedupSpec(only(kind, inputs, 'scale'), title);
  if (kind === 'latency-cdf') return latencySpec(only(kind, inputs, 'run'), title);
  if (kind === 'utilisation') return utilisationSpec(only(kind, inputs, 'run'), title);
  if (kind === 'bench') return benchSpec(only(kind, inputs, 'bench'), title);
  if (kind === 'policies') {
    const [first, ...more] = only(kind, inputs, 'policies');
    if (more.length > 0) throw new PlotInputError('--kind policies: one policies report at a time');
    return policiesSpec(first!.report, title);
  }
  const traces = only(kind, inputs, type as 'trace');
  if (traces.length !== 1) throw new PlotInputError('--kind timeline: one trace (or scenario) at a time');
  const cut = windowed(timelineSlices(traces[0]!.events), window);
  return timelineSpec(cut.slices, cut.note, title);
}
