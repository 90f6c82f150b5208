/**
 * A small timeline (`smpsim plot --kind timeline`): one row per CPU, one bar per stretch a thread
 * ran there, coloured by thread, from a Chrome trace (`smpsim run --trace`). The slices are the
 * trace's complete ("X") events on tracks named `CPU n` by its thread_name metadata, except the
 * idle context's (cat `idle`: no thread ran). A window (`--window START,END`, simulated time)
 * picks a stretch of at most SLICES_MAX slices; without
 * one the plot starts at the first slice and stops after SLICES_DEFAULT, few enough that each
 * bar can be seen, and its subtitle says where it stopped.
 */
import type { TopLevelSpec } from 'vega-lite';
import { PlotInputError } from './errors.ts';
import { formatNs } from '../format-ns.ts';

/** More bars than this make an SVG too large to open comfortably. */
export const SLICES_MAX = 4000;
/** Without a window: the first this many slices. */
export const SLICES_DEFAULT = 300;

export interface TraceEvent {
  ph?: string;
  cat?: string;
  name?: string;
  pid?: number;
  tid?: number;
  ts?: number;
  dur?: number;
  args?: Record<string, unknown>;
}

export interface TimelineSlice {
  cpu: string;
  thread: string;
  startNs: number;
  endNs: number;
}

/** Track key → "CPU n" for the tracks a trace names so. */
function cpuTracks(events: readonly TraceEvent[]): Map<string, string> {
  const tracks = new Map<string, string>();
  for (const e of events) {
    const name = e.args?.name;
    if (e.ph === 'M' && e.name === 'thread_name' && typeof name === 'string' && /^CPU \d+$/.test(name))
      tracks.set(`${e.pid}/${e.tid}`, name);
  }
  return tracks;
}

/** The run slices of a trace's CPU tracks, by start time. */
export function timelineSlices(events: readonly TraceEvent[]): TimelineSlice[] {
  const tracks = cpuTracks(events);
  const slices: TimelineSlice[] = [];
  for (const e of events) {
    const cpu = tracks.get(`${e.pid}/${e.tid}`);
    if (e.ph !== 'X' || cpu === undefined || typeof e.ts !== 'number' || typeof e.dur !== 'number') continue;
    if (e.cat === 'idle') continue; // a CPU's idle context is no thread's run: no bar
    const startNs = Math.round(e.ts * 1000);
    slices.push({ cpu, thread: e.name ?? '?', startNs, endNs: startNs + Math.round(e.dur * 1000) });
  }
  return slices.sort((a, b) => a.startNs - b.startNs);
}

/** The slices overlapping [startNs, endNs), clipped to it; or the first SLICES_MAX. */
export function windowed(
  slices: readonly TimelineSlice[],
  window: [number, number] | null,
): {
  slices: TimelineSlice[];
  note: string;
} {
  if (window !== null) {
    const [lo, hi] = window;
    const inside = slices
      .filter((s) => s.endNs > lo && s.startNs < hi)
      .map((s) => ({ ...s, startNs: Math.max(s.startNs, lo), endNs: Math.min(s.endNs, hi) }));
    if (inside.length > SLICES_MAX)
      throw new PlotInputError(
        `--window holds ${inside.length} slices, more than ${SLICES_MAX}: choose a shorter window`,
      );
    return { slices: inside, note: `${formatNs(lo)} to ${formatNs(hi)}` };
  }
  if (slices.length <= SLICES_MAX) return { slices: [...slices], note: 'the whole run' };
  const kept = slices.slice(0, SLICES_MAX);
  const end = kept[kept.length - 1]!.endNs;
  return {
    slices: kept,
    note: `the first ${SLICES_MAX} of ${slices.length} slices (to ${formatNs(end)}; --window picks another stretch)`,
  };
}

export function timelineSpec(slices: readonly TimelineSlice[], note: string, title: string): TopLevelSpec {
  if (slices.length === 0)
    throw new PlotInputError('no run slices to plot: the trace has no X events on CPU tracks in this window');
  const cpus = new Set(slices.map((s) => s.cpu)).size;
  const threads = new Set(slices.map((s) => s.thread)).size;
  const rows = slices.map((s) => ({
    cpu: s.cpu,
    thread: s.thread,
    start: s.startNs / 1000,
    end: s.endNs / 1000,
  }));
  return {
    title: { text: title, subtitle: note },
    width: 640,
    height: Math.min(480, Math.max(60, cpus * 22)),
    data: { values: rows },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: { field: 'cpu', type: 'nominal', title: null, sort: { field: 'cpuIndex' } },
      x: { field: 'start', type: 'quantitative', title: 'simulated time (µs)', scale: { zero: false } },
      x2: { field: 'end' },
      color: { field: 'thread', type: 'nominal', legend: threads <= 16 ? { title: 'thread' } : null },
    },
    transform: [{ calculate: 'toNumber(substring(datum.cpu, 4))', as: 'cpuIndex' }],
  } as TopLevelSpec;
}
