/**
 * The selected thread's panel: the slice clicked, the thread's wakeups (who woke it, from which
 * CPU, how long it waited to run) and its state history (Running, Syscall, Runnable on CPU n,
 * Blocked on what), the rows nearest the clicked time first shown.
 */
import { el, table, threadColour } from './dom.ts';
import type { Args, CpuSlice, ThreadInfo, TraceModel } from './trace-model.ts';
import { formatNs } from './view-range.ts';

/** Rows of each table shown at most; the rest is counted. */
const ROWS_MAX = 200;

function argsText(args: Args): string {
  return Object.entries(args)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

function nameOf(model: TraceModel, tid: number): string {
  if (tid < 0) return 'interrupt or idle';
  return model.threads.get(tid)?.name ?? `tid ${tid}`;
}

/** Up to ROWS_MAX items around index `at` (the one nearest the clicked time). */
function around<T>(items: readonly T[], at: number): { rows: T[]; note: string } {
  if (items.length <= ROWS_MAX) return { rows: [...items], note: '' };
  const from = Math.max(0, Math.min(items.length - ROWS_MAX, at - ROWS_MAX / 2));
  return {
    rows: items.slice(from, from + ROWS_MAX),
    note: `rows ${from + 1}–${from + ROWS_MAX} of ${items.length}`,
  };
}

function nearest<T>(items: readonly T[], ns: number, key: (t: T) => number): number {
  let best = 0;
  items.forEach((item, i) => {
    if (Math.abs(key(item) - ns) < Math.abs(key(items[best]!) - ns)) best = i;
  });
  return best;
}

function summary(t: ThreadInfo): string {
  const ranNs = t.runs.reduce((sum, s) => sum + (s.endNs - s.startNs), 0);
  const lat = t.wakeups.map((w) => w.runNs - w.wakeNs).sort((a, b) => a - b);
  const p50 = lat.length === 0 ? 0 : lat[Math.ceil(lat.length / 2) - 1]!;
  const max = lat.length === 0 ? 0 : lat[lat.length - 1]!;
  return (
    `${t.runs.length} runs on CPU, ${formatNs(ranNs)} in all; ${t.wakeups.length} wakeups, ` +
    `wake-to-run p50 ${formatNs(p50)}, max ${formatNs(max)}`
  );
}

export function threadPanel(model: TraceModel, slice: CpuSlice): HTMLElement {
  const t = model.threads.get(slice.tid);
  if (t === undefined) return el('div', { class: 'details' }, `no thread ${slice.tid} in this trace`);
  const wakes = around(
    t.wakeups,
    nearest(t.wakeups, slice.startNs, (w) => w.runNs),
  );
  const states = around(
    t.states,
    nearest(t.states, slice.startNs, (s) => s.startNs),
  );
  return el(
    'div',
    { class: 'details', 'data-tid': String(t.tid) },
    el(
      'h3',
      {},
      el('span', { class: 'swatch', style: `background:${threadColour(t.tid)}` }),
      `${t.name} (tid ${t.tid}, pid ${t.pid})`,
    ),
    el('p', { class: 'summary' }, summary(t)),
    el(
      'p',
      { class: 'slice' },
      `slice: CPU ${slice.cpu}, ${formatNs(slice.startNs)} for ${formatNs(slice.endNs - slice.startNs)}; ${argsText(slice.args)}`,
    ),
    el('h4', {}, `wakeups (${t.wakeups.length}) ${wakes.note}`),
    table(
      ['woken at', 'by', 'from CPU', 'ran on CPU', 'waited'],
      wakes.rows.map((w) => [
        formatNs(w.wakeNs),
        `${nameOf(model, w.wakerTid)}`,
        w.wakerCpu,
        w.cpu,
        formatNs(w.runNs - w.wakeNs),
      ]),
      { class: 'wakeups' },
    ),
    el('h4', {}, `history (${t.states.length} states) ${states.note}`),
    table(
      ['from', 'for', 'state', 'details'],
      states.rows.map((s) => [formatNs(s.startNs), formatNs(s.endNs - s.startNs), s.name, argsText(s.args)]),
      { class: 'history' },
    ),
  );
}
