/**
 * The complete slices of a trace by track, sorted by start, for the validator's overlap check
 * and for binding flow events to slices (Chrome's rule: a flow's "s" and a `bp: "e"` "f" bind
 * to the slice enclosing their time on their own track; a plain "f" to the next slice that
 * starts at or after it).
 */
import type { TraceEventIn } from './check.ts';

/** Tolerance on microsecond sums: ts and dur are each printed to the ns, their sum is not exact. */
export const EPSILON_US = 1e-6;

export interface IndexedSlice {
  name: string;
  ts: number;
  dur: number;
}

export class BindIndex {
  readonly tracks = new Map<string, IndexedSlice[]>();

  /** Whether a flow event at `ts` on `track` binds to a slice (enclosing, or the next with `next`). */
  binds(track: string, ts: number, next: boolean): boolean {
    const slices = this.tracks.get(track);
    if (slices === undefined) return false;
    // The last slice starting at or before ts (+ epsilon).
    let lo = 0;
    let hi = slices.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (slices[mid]!.ts <= ts + EPSILON_US) lo = mid + 1;
      else hi = mid;
    }
    if (next) return lo < slices.length || (lo > 0 && Math.abs(slices[lo - 1]!.ts - ts) <= EPSILON_US);
    for (let k = lo - 1; k >= 0 && k >= lo - 2; k--) {
      const s = slices[k]!;
      if (s.ts <= ts + EPSILON_US && ts <= s.ts + s.dur + EPSILON_US) return true;
    }
    return false;
  }
}

/** Indexes the X slices (B/E pairs are not indexed: flows bound to them are not checked here). */
export function buildBindIndex(events: readonly TraceEventIn[]): BindIndex {
  const index = new BindIndex();
  for (const e of events) {
    if (e.ph !== 'X') continue;
    const key = `${e.pid}/${e.tid}`;
    let list = index.tracks.get(key);
    if (list === undefined) {
      list = [];
      index.tracks.set(key, list);
    }
    list.push({ name: e.name as string, ts: e.ts as number, dur: e.dur as number });
  }
  for (const list of index.tracks.values()) list.sort((a, b) => a.ts - b.ts || a.dur - b.dur);
  return index;
}
