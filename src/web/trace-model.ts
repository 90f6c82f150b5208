/**
 * The viewer's model of a trace (docs/trace.md is the format): a Chrome trace-event JSON file as
 * `smpsim run --trace` writes it, read into per-CPU rows of run slices, per-thread histories
 * (state slices, the CPU slices it ran in, its wakeups) and the markers. Pure data, no DOM, so
 * the tests read traces through it in Node as the page does in the browser.
 *
 * Times are kept in simulated ns (the file's `ts`/`dur` are µs with three decimals: exact ns).
 */

/** The machine's pseudo-process and its track ids (report/trace/tracks.ts writes them). */
export const MACHINE_PID = 1_000_000;
const IRQ_TID_BASE = MACHINE_PID + 500;
const MARKER_TID = MACHINE_PID + 999;

export interface RawEvent {
  ph?: string;
  name?: string;
  cat?: string;
  pid?: number;
  tid?: number;
  ts?: number;
  dur?: number;
  id?: number;
  args?: Record<string, unknown>;
}

export type Args = Record<string, unknown>;

/** A slice on a CPU row: a thread's run (tid ≥ 0), or the CPU's idle or kernel context (tid -1). */
export interface CpuSlice {
  readonly cpu: number;
  readonly startNs: number;
  readonly endNs: number;
  readonly name: string;
  readonly cat: string;
  readonly tid: number;
  readonly args: Args;
}

/** One state of a thread's own track: Running, Syscall x, Runnable, Blocked (...). */
export interface StateSlice {
  readonly startNs: number;
  readonly endNs: number;
  readonly name: string;
  readonly args: Args;
}

/** A wakeup: who woke the thread, when, and how long it waited to run (a flow's two ends). */
export interface Wakeup {
  readonly wakeNs: number;
  readonly runNs: number;
  readonly wakerTid: number;
  readonly wakerCpu: number;
  readonly cpu: number;
}

export interface ThreadInfo {
  readonly tid: number;
  readonly pid: number;
  name: string;
  readonly states: StateSlice[];
  readonly runs: CpuSlice[];
  readonly wakeups: Wakeup[];
}

export interface Instant {
  readonly ns: number;
  readonly name: string;
  readonly cpu: number;
}

export interface TraceModel {
  /** Rows by CPU id; each row's slices ascending by start. */
  readonly cpus: CpuSlice[][];
  readonly threads: Map<number, ThreadInfo>;
  readonly markers: Instant[];
  readonly irqs: Instant[];
  readonly startNs: number;
  readonly endNs: number;
  readonly events: number;
}

/** The file's µs as integer ns. */
export function nsOf(us: number | undefined): number {
  return Math.round((us ?? 0) * 1000);
}

/** Is `json` a trace (an object with a `traceEvents` array)? */
export function isTrace(json: unknown): json is { traceEvents: RawEvent[] } {
  return (
    typeof json === 'object' &&
    json !== null &&
    Array.isArray((json as { traceEvents?: unknown }).traceEvents)
  );
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function threadOf(model: TraceModel, pid: number, tid: number): ThreadInfo {
  let t = model.threads.get(tid);
  if (t === undefined) {
    t = { tid, pid, name: `tid ${tid}`, states: [], runs: [], wakeups: [] };
    model.threads.set(tid, t);
  }
  return t;
}

/** Reads a trace's events into the model; events of kinds it does not draw are counted only. */
export function buildModel(events: readonly RawEvent[]): TraceModel {
  const model: TraceModel = {
    cpus: [],
    threads: new Map(),
    markers: [],
    irqs: [],
    startNs: 0,
    endNs: 0,
    events: events.length,
  };
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const e of events) {
    const pid = num(e.pid, -1);
    const tid = num(e.tid, -1);
    const startNs = nsOf(e.ts);
    if (e.ph === 'M') {
      if (e.name === 'thread_name' && pid !== MACHINE_PID)
        threadOf(model, pid, tid).name = String(e.args?.name ?? tid);
      continue;
    }
    if (e.ph === 'X') {
      const endNs = startNs + nsOf(e.dur);
      lo = Math.min(lo, startNs);
      hi = Math.max(hi, endNs);
      if (pid === MACHINE_PID && tid >= MACHINE_PID && tid < IRQ_TID_BASE)
        addCpuSlice(model, e, tid - MACHINE_PID, startNs, endNs);
      else if (e.cat === 'thread_state') {
        threadOf(model, pid, tid).states.push({ startNs, endNs, name: e.name ?? '?', args: e.args ?? {} });
      }
    } else if (e.ph === 'i' && pid === MACHINE_PID) {
      const instant = { ns: startNs, name: e.name ?? '?', cpu: tid - IRQ_TID_BASE };
      if (tid === MARKER_TID) model.markers.push({ ...instant, cpu: -1 });
      else if (tid >= IRQ_TID_BASE) model.irqs.push(instant);
    }
  }
  for (const row of model.cpus) row?.sort((a, b) => a.startNs - b.startNs);
  for (let i = 0; i < model.cpus.length; i++) model.cpus[i] ??= [];
  for (const t of model.threads.values()) t.states.sort((a, b) => a.startNs - b.startNs);
  return { ...model, startNs: lo === Number.POSITIVE_INFINITY ? 0 : lo, endNs: hi };
}

function addCpuSlice(model: TraceModel, e: RawEvent, cpu: number, startNs: number, endNs: number): void {
  const args = e.args ?? {};
  const guest = e.cat === 'sched' ? num(args.tid, -1) : -1;
  const slice: CpuSlice = { cpu, startNs, endNs, name: e.name ?? '?', cat: e.cat ?? '', tid: guest, args };
  (model.cpus[cpu] ??= []).push(slice);
  if (guest < 0) return;
  const t = threadOf(model, num(args.pid, -1), guest);
  t.runs.push(slice);
  if (typeof args.wake_latency_ns === 'number') {
    t.wakeups.push({
      wakeNs: startNs - args.wake_latency_ns,
      runNs: startNs,
      wakerTid: num(args.waker_tid, -1),
      wakerCpu: num(args.waker_cpu, -1),
      cpu,
    });
  }
}

/** The index of the first slice of `row` (ascending by start) that ends after `ns`. */
export function firstEndingAfter(row: readonly CpuSlice[], ns: number): number {
  // Slices on a row do not overlap, so their ends ascend with their starts.
  let lo = 0;
  let hi = row.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (row[mid]!.endNs <= ns) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The slice of `row` that holds time `ns`, or null. */
export function sliceAt(row: readonly CpuSlice[], ns: number): CpuSlice | null {
  const s = row[firstEndingAfter(row, ns)];
  return s !== undefined && s.startNs <= ns ? s : null;
}
