/**
 * The trace file's writer: Chrome trace-event JSON ({"traceEvents":[...]}), streamed through a
 * small buffer so memory stays flat however long the run (holding every slice made a 1 s
 * ping-pong run on 4 CPUs cost 47 MB of file and 280 MB of RSS, issue 14), and bounded: when
 * the next event would pass `bytesMax`, recording stops, the file is closed as valid JSON with a
 * final global instant saying so, and `stopMessage()` names the bound and the flag that sets it.
 *
 * Times are simulated nanoseconds; the format's `ts` and `dur` are microseconds, written with
 * three decimals (exact: integer ns / 1000 printed to the ns).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { MACHINE_PID, MARKER_TID } from './tracks.ts';

/** The default bound on a trace file's size: 256 MiB (`run --trace-max-mb`). */
export const TRACE_BYTES_MAX_DEFAULT = 256 * 1024 * 1024;
/** Bytes buffered before a write: few system calls, little memory. */
const FLUSH_BYTES = 64 * 1024;
/** Room kept under the bound for the closing event and the JSON's tail. */
const TAIL_RESERVE_BYTES = 512;

/** Nanoseconds as the format's microseconds. */
export function us(ns: number): number {
  return Math.round(ns) / 1000;
}

export class TraceWriter {
  readonly path: string;
  readonly bytesMax: number;
  readonly #fd: number;
  #buffer = '';
  #bytes = 0;
  #events = 0;
  #first = true;
  #dropped = 0;
  #stoppedAtNs: number | null = null;
  #closed = false;

  constructor(path: string, bytesMax = TRACE_BYTES_MAX_DEFAULT) {
    this.path = path;
    this.bytesMax = bytesMax;
    this.#fd = openSync(path, 'w');
    this.#append('{"traceEvents":[');
  }

  get stopped(): boolean {
    return this.#stoppedAtNs !== null;
  }

  get events(): number {
    return this.#events;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Writes one event at simulated time `nowNs` (for the stop note), unless the bound has been
   * reached; returns whether it was written. `force` writes past the bound (metadata, which is
   * small and written before any slice).
   */
  event(event: object, nowNs: number, force = false): boolean {
    return this.writeAll([event], nowNs, force);
  }

  /** Writes all of `events` or, when they would pass the bound, none (a flow's two ends). */
  writeAll(events: readonly object[], nowNs: number, force = false): boolean {
    if (this.#closed) throw new Error(`trace ${this.path}: event after the file was closed`);
    if (this.#stoppedAtNs !== null) {
      this.#dropped += events.length;
      return false;
    }
    let text = '';
    for (const e of events) text += `${this.#first && text === '' ? '' : ','}${JSON.stringify(e)}`;
    if (!force && this.#bytes + text.length > this.bytesMax - TAIL_RESERVE_BYTES) {
      this.#stoppedAtNs = nowNs;
      this.#dropped += events.length;
      return false;
    }
    this.#first = false;
    this.#append(text);
    this.#events += events.length;
    return true;
  }

  /** Closes the JSON (with the stop note when the bound was hit) and the file. */
  close(): void {
    if (this.#closed) return;
    if (this.#stoppedAtNs !== null) {
      const note = {
        name: `trace stopped: ${this.#dropped} later events not recorded (bound ${this.bytesMax} bytes)`,
        cat: 'marker',
        ph: 'i',
        s: 'g',
        pid: MACHINE_PID,
        tid: MARKER_TID,
        ts: us(this.#stoppedAtNs),
      };
      this.#append(`${this.#first ? '' : ','}${JSON.stringify(note)}`);
    }
    this.#append('],"displayTimeUnit":"ns"}');
    this.#flush();
    closeSync(this.#fd);
    this.#closed = true;
  }

  /** Set when the bound was hit: what happened and how to raise the bound. */
  stopMessage(): string | null {
    if (this.#stoppedAtNs === null) return null;
    return (
      `trace ${this.path}: stopped at ${this.#stoppedAtNs} ns, the ${this.bytesMax}-byte bound ` +
      `(--trace-max-mb): ${this.#events} events written, ${this.#dropped} later events not recorded`
    );
  }

  /** Appends JSON text, counting its UTF-8 bytes against the bound. */
  #append(text: string): void {
    this.#buffer += text;
    this.#bytes += Buffer.byteLength(text);
    if (this.#buffer.length >= FLUSH_BYTES) this.#flush();
  }

  #flush(): void {
    if (this.#buffer.length > 0) writeSync(this.#fd, this.#buffer);
    this.#buffer = '';
  }
}
