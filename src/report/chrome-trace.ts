/**
 * `run --trace FILE`: the Perfetto-loadable trace of a run, in Google's Chrome "Trace Event
 * Format" JSON (Perfetto's UI and trace processor import it, as chrome://tracing does). JSON and
 * not Perfetto's protobuf: the viewer (`smpsim view`) reads it with JSON.parse, users can read
 * and grep it, and everything it needs (slices, flows, counters, instants, names) the JSON
 * format has. What it holds is in docs/trace.md; trace/recorder.ts writes it, trace/writer.ts
 * streams and bounds it, trace/check.ts validates it (`smpsim trace-check`).
 *
 * This file attaches the recorder to a kernel (its trace sink and the APIC bus's IPI observer)
 * and detaches it at the end.
 */
import type { Kernel } from '../kernel/kernel.ts';
import { TimelineRecorder } from './trace/recorder.ts';
import { type TraceWindow, WHOLE_RUN } from './trace/window.ts';
import { TRACE_BYTES_MAX_DEFAULT, TraceWriter } from './trace/writer.ts';

export { TRACE_BYTES_MAX_DEFAULT };

export interface ChromeTraceOptions {
  /** Stop recording before the file passes this many bytes. */
  bytesMax?: number;
  /** Write only this stretch of simulated time (`--trace-window`); the whole run by default. */
  window?: TraceWindow;
}

export interface ChromeTraceSummary {
  file: string;
  /** Events written (every kind, metadata included). */
  events: number;
  /** Complete ("X") slices written: CPU tracks and thread-state tracks. */
  slices: number;
  /** Wakeup flows written (each an "s" and an "f" event). */
  flows: number;
  bytes: number;
  /** Events not written because the bound was hit. */
  dropped: number;
  /** Set when the bound was hit: what happened and how to raise the bound. */
  message: string | null;
}

export class ChromeTraceRecorder {
  readonly #kernel: Kernel;
  readonly #writer: TraceWriter;
  readonly #recorder: TimelineRecorder;
  #finished = false;

  constructor(kernel: Kernel, path: string, options: ChromeTraceOptions = {}) {
    this.#kernel = kernel;
    this.#writer = new TraceWriter(path, options.bytesMax ?? TRACE_BYTES_MAX_DEFAULT);
    const recorder = new TimelineRecorder(kernel, this.#writer, options.window ?? WHOLE_RUN);
    this.#recorder = recorder;
    kernel.traceSink = recorder;
    kernel.board.apic.ipiObserver = (from, to, vector) => recorder.ipi(from, to, vector);
  }

  /** Closes what is still open at the end of the run (`reason`: why it ended), and the file. */
  finish(reason = 'end'): ChromeTraceSummary {
    if (!this.#finished) {
      this.#finished = true;
      this.#recorder.finish(reason);
      this.#writer.close();
      this.#kernel.traceSink = null;
      this.#kernel.board.apic.ipiObserver = null;
    }
    return this.summary();
  }

  summary(): ChromeTraceSummary {
    const w = this.#writer;
    return {
      file: w.path,
      events: w.events,
      slices: this.#recorder.slices,
      flows: this.#recorder.cpus.flows,
      bytes: w.bytes,
      dropped: w.dropped,
      message: w.stopMessage(),
    };
  }
}
