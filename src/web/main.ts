/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The viewer page (`smpsim view`, issue 21): loads the runs the server lists (`/api/runs`: each a
 * name and its files, a run report and/or a trace) or files opened from disk, and shows one run
 * or two side by side: the report's header, expectations and metrics, a zoomable per-CPU
 * timeline, and the clicked thread's history and wakeups. With two reports, their metrics in one
 * table. `body[data-ready]` is set once the first runs are drawn (the browser test waits on it).
 */
import { el } from './dom.ts';
import { threadPanel } from './details.ts';
import { isRunReport, metricsTable, type RunReport, reportPanel } from './report-view.ts';
import { STYLE } from './style.ts';
import { Timeline } from './timeline.ts';
import { buildModel, isTrace, type TraceModel } from './trace-model.ts';
import { formatTick } from './view-range.ts';

interface Run {
  readonly name: string;
  report: RunReport | null;
  trace: TraceModel | null;
  readonly problems: string[];
}

interface Listed {
  readonly name: string;
  readonly files: { name: string; url: string }[];
}

const runs: Run[] = [];
const timelines: (Timeline | null)[] = [null, null];
const status = el('span', { id: 'status' });
const panes = el('main', { id: 'panes' });
const compare = el('section', { id: 'compare' });
const selects = [el('select', { id: 'left' }), el('select', { id: 'right' })];
const link = el('input', { type: 'checkbox', id: 'link', checked: '' });

/** Adds a file's JSON to `run`: a report, a trace, or a problem saying what it is not. */
function absorb(run: Run, file: string, json: unknown): void {
  if (isRunReport(json)) run.report = json;
  else if (isTrace(json)) run.trace = buildModel(json.traceEvents);
  else {
    const schema = (json as { schema?: unknown } | null)?.schema;
    run.problems.push(
      `${file}: neither a run report (smpsim.run/1) nor a trace${schema === undefined ? '' : ` (schema ${String(schema)})`}`,
    );
  }
}

async function loadListed(entry: Listed): Promise<Run> {
  const run: Run = { name: entry.name, report: null, trace: null, problems: [] };
  for (const f of entry.files) {
    const res = await fetch(f.url);
    if (!res.ok) run.problems.push(`${f.name}: HTTP ${res.status}`);
    else absorb(run, f.name, await res.json());
  }
  return run;
}

async function openLocal(files: FileList): Promise<void> {
  for (const file of Array.from(files)) {
    const run: Run = { name: file.name, report: null, trace: null, problems: [] };
    try {
      absorb(run, file.name, JSON.parse(await file.text()));
    } catch (e) {
      run.problems.push(`${file.name}: not JSON (${(e as Error).message})`);
    }
    runs.push(run);
  }
  fillSelects(runs.length - 1);
  render();
}

function fillSelects(showIndex: number): void {
  selects.forEach((s, side) => {
    const keep = s.value;
    s.replaceChildren(...(side === 1 ? [el('option', { value: '-1' }, '(none)')] : []));
    for (const [i, r] of runs.entries()) s.append(el('option', { value: String(i) }, r.name));
    s.value = keep !== '' && Number(keep) < runs.length ? keep : side === 0 ? '0' : '-1';
  });
  if (showIndex > 0 && selects[1]!.value === '-1') selects[1]!.value = String(showIndex);
}

function paneFor(run: Run, side: number): HTMLElement {
  const pane = el('section', { class: 'pane', 'data-pane': String(side) }, el('h2', {}, run.name));
  for (const p of run.problems) pane.append(el('p', { class: 'problem' }, p));
  if (run.report !== null) pane.append(reportPanel(run.report));
  timelines[side] = null;
  if (run.trace !== null) pane.append(tracePart(run.trace, side));
  else pane.append(el('p', {}, 'no trace for this run (smpsim run --trace FILE writes one)'));
  return pane;
}

function tracePart(model: TraceModel, side: number): HTMLElement {
  const tl = new Timeline(model);
  timelines[side] = tl;
  const details = el('div', { class: 'details-host' }, el('p', {}, 'click a slice to see its thread'));
  const rangeText = el('span', { class: 'range' });
  const button = (label: string, act: () => void) => {
    const b = el('button', { type: 'button', 'data-act': label }, label);
    b.addEventListener('click', act);
    return b;
  };
  tl.onSelect = (slice) => {
    tl.selectedTid = slice.tid;
    tl.draw();
    details.replaceChildren(threadPanel(model, slice));
  };
  tl.onRange = (r) => {
    const stepNs = (r.endNs - r.startNs) / 6; // as precise as the axis ticks
    rangeText.textContent = `${formatTick(r.startNs, stepNs)} – ${formatTick(r.endNs, stepNs)}`;
    const other = timelines[1 - side];
    if (link.checked && other !== null && other !== undefined) other.setRange(r, false);
  };
  const toolbar = el(
    'div',
    { class: 'toolbar' },
    button('zoom in', () => tl.zoom(0.5)),
    button('zoom out', () => tl.zoom(2)),
    button('reset', () => tl.reset()),
    rangeText,
    el('span', {}, `${model.cpus.length} CPUs, ${model.threads.size} threads, ${model.events} events`),
  );
  return el('div', { class: 'trace' }, toolbar, tl.canvas, details);
}

function render(): void {
  const chosen = selects.map((s) => runs[Number(s.value)]).filter((r): r is Run => r !== undefined);
  panes.className = chosen.length === 2 ? 'two' : 'one';
  panes.replaceChildren(...chosen.map((r, side) => paneFor(r, side)));
  if (chosen.length < 2) timelines[1] = null;
  for (const tl of timelines) tl?.reset();
  const reports = chosen.map((r) => r.report).filter((r): r is RunReport => r !== null);
  compare.replaceChildren(
    ...(reports.length === 2 ? [el('h3', {}, 'metrics side by side'), metricsTable(reports)] : []),
  );
}

async function start(): Promise<void> {
  document.head.append(el('style', {}, STYLE));
  const open = el('input', { type: 'file', id: 'open', multiple: '', accept: '.json' });
  open.addEventListener('change', () => {
    if (open.files !== null) void openLocal(open.files);
  });
  for (const s of selects) s.addEventListener('change', render);
  document.body.append(
    el(
      'header',
      {},
      el('h1', {}, 'smpsim view'),
      'run ',
      selects[0]!,
      ' beside ',
      selects[1]!,
      el('label', {}, link, ' link zoom'),
      el('label', {}, 'open ', open),
      status,
    ),
    panes,
    compare,
  );
  window.addEventListener('resize', () => {
    for (const tl of timelines) tl?.draw();
  });
  try {
    const listed = ((await (await fetch('/api/runs')).json()) as { runs: Listed[] }).runs;
    for (const entry of listed) runs.push(await loadListed(entry));
    status.textContent =
      listed.length === 0
        ? 'no files given: open one'
        : `${listed.length} run${listed.length === 1 ? '' : 's'}`;
  } catch (e) {
    status.className = 'error';
    status.textContent = `could not load the runs: ${(e as Error).message}`;
  }
  fillSelects(runs.length > 1 ? 1 : 0);
  render();
  document.body.dataset.ready = '1';
}

void start();
