/**
 * A validator for Chrome trace-event JSON as docs/trace.md specifies it (`smpsim trace-check`,
 * and the format test over every seed scenario): every event well formed; per track, slices and
 * instants in time order; B/E matched; no negative durations; complete slices on one track not
 * overlapping; each flow one start and one end, bound to slices that exist; counters numeric;
 * every track and process named by metadata. It checks any file of the format, not only ours.
 */
import { type BindIndex, buildBindIndex, EPSILON_US } from './check-bind.ts';

/** How many problems a check lists before it stops counting them one by one. */
const ERRORS_MAX = 50;

export interface TraceEventIn {
  name?: unknown;
  ph?: unknown;
  pid?: unknown;
  tid?: unknown;
  ts?: unknown;
  dur?: unknown;
  id?: unknown;
  cat?: unknown;
  bp?: unknown;
  s?: unknown;
  args?: unknown;
}

export interface TraceCheck {
  ok: boolean;
  /** The problems found, the first ERRORS_MAX of them, each naming the event's index. */
  errors: string[];
  /** How many problems there were in all. */
  problems: number;
  events: number;
  tracks: number;
  slices: number;
  flows: number;
  counters: number;
  instants: number;
  metadata: number;
}

const PHASES = new Set(['X', 'B', 'E', 'i', 'I', 'C', 'M', 's', 't', 'f']);

class Problems {
  readonly list: string[] = [];
  count = 0;
  add(message: string): void {
    this.count++;
    if (this.list.length < ERRORS_MAX) this.list.push(message);
  }
}

/** Checks a parsed trace file (its JSON value). */
export function checkTrace(json: unknown): TraceCheck {
  const p = new Problems();
  const events = eventsOf(json, p);
  const stats = {
    events: events.length,
    tracks: 0,
    slices: 0,
    flows: 0,
    counters: 0,
    instants: 0,
    metadata: 0,
  };
  const valid: { e: TraceEventIn; i: number }[] = [];
  events.forEach((e, i) => {
    if (wellFormed(e, i, p)) valid.push({ e, i });
  });
  const tracks = checkOrder(valid, p);
  stats.tracks = tracks;
  checkBeginEnd(valid, p);
  const index = buildBindIndex(valid.map((v) => v.e));
  checkOverlap(index, p);
  stats.flows = checkFlows(valid, index, p);
  for (const { e } of valid) {
    if (e.ph === 'X' || e.ph === 'B') stats.slices++;
    else if (e.ph === 'C') stats.counters++;
    else if (e.ph === 'i' || e.ph === 'I') stats.instants++;
    else if (e.ph === 'M') stats.metadata++;
  }
  checkNames(valid, p);
  return { ok: p.count === 0, errors: p.list, problems: p.count, ...stats };
}

function eventsOf(json: unknown, p: Problems): TraceEventIn[] {
  const list = Array.isArray(json) ? json : (json as { traceEvents?: unknown } | null)?.traceEvents;
  if (!Array.isArray(list)) {
    p.add('the file is neither an array of events nor an object with a traceEvents array');
    return [];
  }
  return list as TraceEventIn[];
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** One event's own fields; false (with the problem) when it cannot be checked further. */
function wellFormed(e: TraceEventIn, i: number, p: Problems): boolean {
  const at = `event ${i}`;
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return fail(p, `${at}: not an object`);
  if (typeof e.ph !== 'string' || !PHASES.has(e.ph))
    return fail(p, `${at}: ph ${JSON.stringify(e.ph)} is not a known phase`);
  if (typeof e.name !== 'string' && e.ph !== 'E') return fail(p, `${at} (${e.ph}): no name`);
  if (!isInt(e.pid)) return fail(p, `${at} (${e.ph}): pid is not an integer`);
  if (e.ph !== 'C' && e.ph !== 'M' && !isInt(e.tid)) return fail(p, `${at} (${e.ph}): tid is not an integer`);
  if (e.ph === 'M') return metadataOk(e, at, p);
  if (!isNum(e.ts) || e.ts < 0)
    return fail(p, `${at} (${e.ph}): ts ${JSON.stringify(e.ts)} is not a time >= 0`);
  if (e.ph === 'X' && !(isNum(e.dur) && e.dur >= 0)) {
    return fail(p, `${at} (X ${e.name}): dur ${JSON.stringify(e.dur)} is not a duration >= 0`);
  }
  if (e.ph === 'C') return countersOk(e, at, p);
  if ((e.ph === 's' || e.ph === 't' || e.ph === 'f') && !(isInt(e.id) || typeof e.id === 'string')) {
    return fail(p, `${at} (${e.ph}): a flow event without an id`);
  }
  if ((e.ph === 'i' || e.ph === 'I') && e.s !== undefined && !['g', 'p', 't'].includes(e.s as string)) {
    return fail(p, `${at} (i): scope s ${JSON.stringify(e.s)} is not g, p or t`);
  }
  return true;
}

function metadataOk(e: TraceEventIn, at: string, p: Problems): boolean {
  const args = e.args as Record<string, unknown> | undefined;
  if (e.name === 'process_name' || e.name === 'thread_name') {
    if (typeof args?.name !== 'string') return fail(p, `${at} (M ${e.name}): args.name is not a string`);
  } else if (e.name === 'process_sort_index' || e.name === 'thread_sort_index') {
    if (!isInt(args?.sort_index)) return fail(p, `${at} (M ${e.name}): args.sort_index is not an integer`);
  }
  return true;
}

function countersOk(e: TraceEventIn, at: string, p: Problems): boolean {
  const args = e.args;
  if (typeof args !== 'object' || args === null || Object.keys(args).length === 0) {
    return fail(p, `${at} (C ${e.name}): a counter without values in args`);
  }
  for (const [key, value] of Object.entries(args)) {
    if (!isNum(value))
      return fail(p, `${at} (C ${e.name}): args.${key} = ${JSON.stringify(value)} is not a number`);
  }
  return true;
}

function fail(p: Problems, message: string): false {
  p.add(message);
  return false;
}

/** Per track (pid, tid) and kind (slices, instants; counters per pid and name): ts never goes back. */
function checkOrder(valid: readonly { e: TraceEventIn; i: number }[], p: Problems): number {
  const last = new Map<string, number>();
  const tracks = new Set<string>();
  for (const { e, i } of valid) {
    if (e.ph === 'M' || e.ph === 's' || e.ph === 't' || e.ph === 'f') continue;
    const track = e.ph === 'C' ? `${e.pid} counter ${e.name}` : `${e.pid}/${e.tid}`;
    tracks.add(track);
    const kind = e.ph === 'i' || e.ph === 'I' ? 'instant' : e.ph === 'C' ? 'counter' : 'slice';
    const key = `${track} ${kind}`;
    const ts = e.ts as number;
    const before = last.get(key);
    if (before !== undefined && ts < before - EPSILON_US) {
      p.add(
        `event ${i} (${e.ph} ${e.name}): ts ${ts} before the previous ${kind} on track ${track} (${before})`,
      );
    }
    last.set(key, Math.max(ts, before ?? ts));
  }
  return tracks.size;
}

/** B and E nest per track: every E closes the last open B, and nothing is left open. */
function checkBeginEnd(valid: readonly { e: TraceEventIn; i: number }[], p: Problems): void {
  const open = new Map<string, { e: TraceEventIn; i: number }[]>();
  for (const v of valid) {
    if (v.e.ph !== 'B' && v.e.ph !== 'E') continue;
    const key = `${v.e.pid}/${v.e.tid}`;
    const stack = open.get(key) ?? [];
    open.set(key, stack);
    if (v.e.ph === 'B') stack.push(v);
    else if (stack.pop() === undefined) p.add(`event ${v.i} (E): no open B on track ${key}`);
  }
  for (const [key, stack] of open) {
    for (const v of stack) p.add(`event ${v.i} (B ${v.e.name}): never ended on track ${key}`);
  }
}

/** Complete slices on one track do not overlap (each ends before the next begins). */
function checkOverlap(index: BindIndex, p: Problems): void {
  for (const [key, slices] of index.tracks) {
    for (let n = 1; n < slices.length; n++) {
      const a = slices[n - 1]!;
      const b = slices[n]!;
      if (b.ts < a.ts + a.dur - EPSILON_US) {
        p.add(
          `track ${key}: slice ${JSON.stringify(b.name)} at ${b.ts} overlaps ${JSON.stringify(a.name)} [${a.ts}, ${a.ts + a.dur}]`,
        );
      }
    }
  }
}

/** Each flow id: one "s", any "t", one "f", in time order, each bound to a slice that exists. */
function checkFlows(valid: readonly { e: TraceEventIn; i: number }[], index: BindIndex, p: Problems): number {
  const flows = new Map<string, { s: number; f: number; ts: number }>();
  for (const { e, i } of valid) {
    if (e.ph !== 's' && e.ph !== 't' && e.ph !== 'f') continue;
    const key = `${String(e.cat ?? '')}:${String(e.id)}`;
    const flow = flows.get(key) ?? { s: 0, f: 0, ts: -1 };
    flows.set(key, flow);
    if (e.ph === 's') flow.s++;
    if (e.ph === 'f') flow.f++;
    if (flow.ts >= 0 && (e.ts as number) < flow.ts - EPSILON_US)
      p.add(`event ${i} (${e.ph}): flow ${key} goes back in time`);
    flow.ts = e.ts as number;
    const next = e.ph === 'f' && e.bp !== 'e';
    if (!index.binds(`${e.pid}/${e.tid}`, e.ts as number, next)) {
      p.add(`event ${i} (${e.ph}): flow ${key} at ${e.ts} binds to no slice on track ${e.pid}/${e.tid}`);
    }
  }
  for (const [key, flow] of flows) {
    if (flow.s !== 1 || flow.f !== 1)
      p.add(`flow ${key}: ${flow.s} start(s) and ${flow.f} end(s), not one of each`);
  }
  return flows.size;
}

/** Every process with events has a process_name, every thread track with events a thread_name. */
function checkNames(valid: readonly { e: TraceEventIn; i: number }[], p: Problems): void {
  const processes = new Set<number>();
  const threads = new Set<string>();
  for (const { e } of valid) {
    if (e.ph === 'M' && e.name === 'process_name') processes.add(e.pid as number);
    if (e.ph === 'M' && e.name === 'thread_name') threads.add(`${e.pid}/${e.tid}`);
  }
  const missing = new Set<string>();
  for (const { e } of valid) {
    if (e.ph === 'M') continue;
    if (!processes.has(e.pid as number)) missing.add(`pid ${e.pid} has no process_name`);
    const onThread = e.ph === 'X' || e.ph === 'B' || e.ph === 'i' || e.ph === 'I';
    const global = (e.ph === 'i' || e.ph === 'I') && e.s === 'g';
    if (onThread && !global && !threads.has(`${e.pid}/${e.tid}`))
      missing.add(`track ${e.pid}/${e.tid} has no thread_name`);
  }
  for (const m of missing) p.add(m);
}
