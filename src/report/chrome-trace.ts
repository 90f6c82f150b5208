/**
 * Chrome trace-event export (the JSON Perfetto and chrome://tracing open): one track per CPU,
 * one complete ("X") slice per stretch a thread ran on it. Format: Google's "Trace Event Format".
 *
 * The file is streamed: each slice is written as it closes, through a small buffer, so memory
 * stays flat however long the run (holding every slice made a 1 s ping-pong run on 4 CPUs cost
 * 47 MB of file and 280 MB of RSS, issue 14). The file is bounded by `bytesMax`: when the next
 * slice would pass it, recording stops, the file is closed as valid JSON with a final instant
 * event saying so, and `summary()` carries a message naming the bound and the flag that sets it.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ExecContext } from '../hw/context.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { isThread } from '../kernel/thread.ts';

/** The default bound on a trace file's size: 256 MiB (`run --trace-max-mb`). */
export const TRACE_BYTES_MAX_DEFAULT = 256 * 1024 * 1024;
/** Bytes buffered before a write: few system calls, little memory. */
const FLUSH_BYTES = 64 * 1024;
/** Room kept under the bound for the closing event and the JSON's tail. */
const TAIL_RESERVE_BYTES = 512;

export interface ChromeTraceOptions {
  /** Stop recording before the file passes this many bytes. */
  bytesMax?: number;
}

export interface ChromeTraceSummary {
  file: string;
  slices: number;
  bytes: number;
  /** Slices not written because the bound was hit. */
  dropped: number;
  /** Set when the bound was hit: what happened and how to raise the bound. */
  message: string | null;
}

export class ChromeTraceRecorder {
  readonly #kernel: Kernel;
  readonly #path: string;
  readonly #fd: number;
  readonly #bytesMax: number;
  readonly #openSince: number[];
  #buffer = '';
  #bytes = 0;
  #slices = 0;
  #dropped = 0;
  #stoppedAtNs: number | null = null;
  #closed = false;

  constructor(kernel: Kernel, path: string, options: ChromeTraceOptions = {}) {
    this.#kernel = kernel;
    this.#path = path;
    this.#bytesMax = options.bytesMax ?? TRACE_BYTES_MAX_DEFAULT;
    this.#openSince = kernel.board.cpus.map(() => 0);
    this.#fd = openSync(path, 'w');
    this.#emit('{"traceEvents":[');
    kernel.board.cpus.forEach((cpu, i) => {
      const track = { name: 'thread_name', ph: 'M', pid: 1, tid: cpu.id, args: { name: `CPU ${cpu.id}` } };
      this.#emit(`${i === 0 ? '' : ','}${JSON.stringify(track)}`);
    });
    kernel.switchListeners.push((cpuId, prev) => this.#close(cpuId, prev));
  }

  #close(cpuId: number, prev: ExecContext): void {
    const now = this.#kernel.nowNs;
    const since = this.#openSince[cpuId]!;
    this.#openSince[cpuId] = now;
    if (!isThread(prev) || now <= since) return;
    if (this.#stoppedAtNs !== null) {
      this.#dropped++;
      return;
    }
    const slice = JSON.stringify({
      name: `${prev.process.image.name} tid ${prev.id}`,
      cat: 'run',
      ph: 'X',
      pid: 1,
      tid: cpuId,
      ts: since / 1000,
      dur: (now - since) / 1000,
      args: { tid: prev.id },
    });
    if (this.#bytes + slice.length + 1 > this.#bytesMax - TAIL_RESERVE_BYTES) {
      this.#stoppedAtNs = now;
      this.#dropped++;
      return;
    }
    this.#emit(`,${slice}`);
    this.#slices++;
  }

  /** Appends JSON text, counting its UTF-8 bytes against the bound. */
  #emit(text: string): void {
    this.#buffer += text;
    this.#bytes += Buffer.byteLength(text);
    if (this.#buffer.length >= FLUSH_BYTES) this.#flush();
  }

  #flush(): void {
    if (this.#buffer.length > 0) writeSync(this.#fd, this.#buffer);
    this.#buffer = '';
  }

  /** Closes the slices still open at the end of the run, finishes the JSON and closes the file. */
  finish(): ChromeTraceSummary {
    if (!this.#closed) {
      for (const cpu of this.#kernel.board.cpus) this.#close(cpu.id, cpu.current);
      if (this.#stoppedAtNs !== null) {
        const note = {
          name: `trace stopped: ${this.#dropped} later slices not recorded (bound ${this.#bytesMax} bytes)`,
          ph: 'i',
          s: 'g',
          pid: 1,
          tid: 0,
          ts: this.#stoppedAtNs / 1000,
        };
        this.#emit(`,${JSON.stringify(note)}`);
      }
      this.#emit('],"displayTimeUnit":"ns"}');
      this.#flush();
      closeSync(this.#fd);
      this.#closed = true;
    }
    return this.summary();
  }

  summary(): ChromeTraceSummary {
    const message =
      this.#stoppedAtNs === null
        ? null
        : `trace ${this.#path}: stopped at ${this.#stoppedAtNs} ns, the ${this.#bytesMax}-byte bound ` +
          `(--trace-max-mb): ${this.#slices} slices written, ${this.#dropped} later slices not recorded`;
    return { file: this.#path, slices: this.#slices, bytes: this.#bytes, dropped: this.#dropped, message };
  }
}
