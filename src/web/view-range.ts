/**
 * The timeline's visible stretch of simulated time and the zoom and pan on it: pure functions,
 * so the tests check the arithmetic without a browser. A range never leaves the trace's bounds
 * and never gets shorter than MIN_SPAN_NS.
 */

export interface Range {
  readonly startNs: number;
  readonly endNs: number;
}

/** The narrowest view: 100 ns across the canvas. */
export const MIN_SPAN_NS = 100;

function clamp(range: Range, bounds: Range): Range {
  const whole = bounds.endNs - bounds.startNs;
  const span = Math.min(Math.max(range.endNs - range.startNs, Math.min(MIN_SPAN_NS, whole)), whole);
  const start = Math.min(Math.max(range.startNs, bounds.startNs), bounds.endNs - span);
  return { startNs: start, endNs: start + span };
}

/**
 * Zooms by `factor` (< 1 in, > 1 out) keeping the time under `anchor` (0 the left edge, 1 the
 * right) where it is.
 */
export function zoomAt(range: Range, factor: number, anchor: number, bounds: Range): Range {
  const span = range.endNs - range.startNs;
  const at = range.startNs + anchor * span;
  const next = span * factor;
  return clamp({ startNs: at - anchor * next, endNs: at - anchor * next + next }, bounds);
}

/** Moves the view by `fraction` of its width (positive: later). */
export function pan(range: Range, fraction: number, bounds: Range): Range {
  const shift = (range.endNs - range.startNs) * fraction;
  return clamp({ startNs: range.startNs + shift, endNs: range.endNs + shift }, bounds);
}

/** The x of time `ns` on a canvas `width` pixels wide. */
export function xOf(range: Range, width: number, ns: number): number {
  return ((ns - range.startNs) / (range.endNs - range.startNs)) * width;
}

/** The time at x on a canvas `width` pixels wide. */
export function nsAt(range: Range, width: number, x: number): number {
  return range.startNs + (x / width) * (range.endNs - range.startNs);
}

/** A time as the page prints it: ns, µs, ms or s with three significant decimals. */
export function formatNs(ns: number): string {
  const a = Math.abs(ns);
  if (a < 1e3) return `${Math.round(ns)} ns`;
  if (a < 1e6) return `${(ns / 1e3).toFixed(3)} µs`;
  if (a < 1e9) return `${(ns / 1e6).toFixed(3)} ms`;
  return `${(ns / 1e9).toFixed(3)} s`;
}

/** A tick label: the unit of `ns`, with enough decimals that ticks `stepNs` apart differ. */
export function formatTick(ns: number, stepNs: number): string {
  const a = Math.abs(ns);
  const [unit, name] = a < 1e3 ? [1, 'ns'] : a < 1e6 ? [1e3, 'µs'] : a < 1e9 ? [1e6, 'ms'] : [1e9, 's'];
  const decimals = Math.min(9, Math.max(0, Math.ceil(-Math.log10(Math.max(stepNs, 1e-9) / unit))));
  return `${(ns / unit).toFixed(decimals)} ${name}`;
}
