/**
 * The trace window (`run --trace-window START,END`): which stretch of simulated time the file
 * holds. The run itself is the whole run (its trace hash does not change); only what is written
 * is cut: slices are clipped to the window, instants and counters outside it are left out, and
 * a flow is kept only when both its ends are inside.
 */

export interface TraceWindow {
  readonly startNs: number;
  readonly endNs: number;
}

/** The whole run. */
export const WHOLE_RUN: TraceWindow = { startNs: 0, endNs: Number.POSITIVE_INFINITY };

const UNIT_NS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9 };

/** Parses one simulated time with its unit (`250us`, `10ms`, `1.5s`, `0`) into ns, or null. */
export function parseSimTime(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s)?$/.exec(text.trim());
  if (m === null) return null;
  const value = Number(m[1]);
  if (m[2] === undefined && value !== 0) return null; // a bare number has no unit: refuse it
  const ns = Math.round(value * UNIT_NS[m[2] ?? 'ns']!);
  return Number.isSafeInteger(ns) ? ns : null;
}

/** What `--trace-window` accepts, for its error messages. */
export const WINDOW_ALLOWED =
  'START,END in simulated time with units ns, us, ms or s, START < END, e.g. 10ms,20ms';

/**
 * Parses `START,END`; returns the window or a one-line problem (the caller names the flag).
 */
export function parseTraceWindow(raw: string): TraceWindow | string {
  const parts = raw.split(',');
  if (parts.length !== 2) return `${JSON.stringify(raw)} is not two times`;
  const [start, end] = parts.map(parseSimTime) as [number | null, number | null];
  if (start === null) return `${JSON.stringify(parts[0])} is not a time with a unit`;
  if (end === null) return `${JSON.stringify(parts[1])} is not a time with a unit`;
  if (start >= end) return `the window starts at ${start} ns, not before its end at ${end} ns`;
  return { startNs: start, endNs: end };
}
