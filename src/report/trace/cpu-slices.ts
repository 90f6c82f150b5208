/**
 * The CPU tracks' sched_switch-style slices and the wakeup flows between them. Each CPU always
 * has one open slice, for whatever context it runs (a guest thread, or its idle context), closed
 * at the next switch; a slice is written when it closes, clipped to the trace window, and only
 * if it has a duration there.
 *
 * A wakeup is a flow arrow ("s" then "f", Chrome's flow events, bound to the slices that enclose
 * them): it starts at the wake's time on the slice the waking CPU was running, and ends at the
 * start of the slice in which the woken thread next runs (`bp: "e"`, the enclosing slice). Both
 * ends are written together once both slices are written, so no arrow points at a slice the
 * file does not have (a slice left out by the window, the size bound, or for having no length).
 */
import type { ExecContext } from '../../hw/context.ts';
import { cpuTid, MACHINE_PID } from './tracks.ts';
import { us } from './writer.ts';

/** A wakeup waiting for its two slices to be written. */
export interface PendingWake {
  readonly wakeNs: number;
  readonly wakerCpu: number;
  /** The tid of the waking CPU's running thread, or -1 (its idle context, an interrupt). */
  readonly wakerTid: number;
  readonly wakerSlice: CpuSlice;
  /** The slice in which the woken thread runs next; set when it is switched in. */
  runSlice: CpuSlice | null;
}

export interface CpuSlice {
  readonly cpuId: number;
  readonly ctx: ExecContext;
  readonly startNs: number;
  /** How the context left the CPU (`R` preempted, `S` blocked, `X` exited), set at close. */
  endState: string;
  closed: boolean;
  written: boolean;
  /** The wakeup that made its thread runnable, if any (a flow ends here). */
  wake: PendingWake | null;
  /** Wakes whose flow starts in this slice, whose wakee's slice was written before it closed. */
  readonly waiting: PendingWake[];
}

export interface SliceOut {
  /** The slice's event (name, args), written by the recorder with the window's clip. */
  write(slice: CpuSlice, endNs: number): boolean;
  /** Writes a flow's two ends, both or neither; false when they could not be written. */
  flow(start: object, end: object, nowNs: number): boolean;
}

export class CpuSlices {
  readonly open: CpuSlice[];
  readonly #out: SliceOut;
  readonly #window: { startNs: number; endNs: number };
  #nextFlowId = 1;
  flows = 0;

  constructor(idle: readonly ExecContext[], out: SliceOut, window: { startNs: number; endNs: number }) {
    this.#out = out;
    this.#window = window;
    this.open = idle.map((ctx, cpuId) => newSlice(cpuId, ctx, 0));
  }

  /** Closes `cpuId`'s open slice at `nowNs` (with `endState`) and opens one for `next`. */
  switchTo(cpuId: number, next: ExecContext, nowNs: number, endState: string): CpuSlice {
    this.close(cpuId, nowNs, endState);
    const slice = newSlice(cpuId, next, nowNs);
    this.open[cpuId] = slice;
    return slice;
  }

  /** Closes `cpuId`'s open slice (the run's end, or a switch) and writes its ready flows. */
  close(cpuId: number, nowNs: number, endState: string): void {
    const slice = this.open[cpuId]!;
    if (slice.closed) return;
    slice.closed = true;
    slice.endState = endState;
    slice.written = this.#out.write(slice, nowNs);
    if (slice.wake !== null) this.#ready(slice.wake);
    for (const wake of slice.waiting) this.#ready(wake);
    slice.waiting.length = 0;
  }

  /** A wake by `cpuId`'s current context of a thread now queued. */
  wake(cpuId: number, wakerTid: number, nowNs: number): PendingWake {
    return { wakeNs: nowNs, wakerCpu: cpuId, wakerTid, wakerSlice: this.open[cpuId]!, runSlice: null };
  }

  /** Writes a wake's flow once both its slices are closed, if both were written. */
  #ready(wake: PendingWake): void {
    const run = wake.runSlice;
    if (run === null || !run.closed) return;
    if (!wake.wakerSlice.closed) {
      wake.wakerSlice.waiting.push(wake);
      return;
    }
    if (!run.written || !wake.wakerSlice.written) return;
    const w = this.#window;
    if (wake.wakeNs < w.startNs || run.startNs > w.endNs) return;
    const id = this.#nextFlowId++;
    const common = { name: 'wakeup', cat: 'wakeup', id, pid: MACHINE_PID };
    const start = { ...common, ph: 's', tid: cpuTid(wake.wakerCpu), ts: us(wake.wakeNs) };
    const end = { ...common, ph: 'f', bp: 'e', tid: cpuTid(run.cpuId), ts: us(run.startNs) };
    if (this.#out.flow(start, end, run.startNs)) this.flows++;
  }
}

function newSlice(cpuId: number, ctx: ExecContext, startNs: number): CpuSlice {
  return { cpuId, ctx, startNs, endState: '', closed: false, written: false, wake: null, waiting: [] };
}
