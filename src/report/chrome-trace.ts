/**
 * Chrome trace-event export (the JSON Perfetto and chrome://tracing open): one track per CPU,
 * one complete ("X") slice per stretch a thread ran on it. Format: Google's "Trace Event Format".
 */
import { writeFileSync } from 'node:fs';
import type { ExecContext } from '../hw/context.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { isThread } from '../kernel/thread.ts';

interface Slice {
  cpu: number;
  tid: number;
  name: string;
  startNs: number;
  endNs: number;
}

/** Bound on recorded slices, so a long run cannot exhaust memory; later slices are counted, not kept. */
export const TRACE_SLICES_MAX = 2_000_000;

export class ChromeTraceRecorder {
  readonly #slices: Slice[] = [];
  readonly #openSince: number[];
  readonly #kernel: Kernel;
  dropped = 0;

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
    this.#openSince = kernel.board.cpus.map(() => 0);
    kernel.switchListeners.push((cpuId, prev) => this.#close(cpuId, prev));
  }

  #close(cpuId: number, prev: ExecContext): void {
    const now = this.#kernel.nowNs;
    const since = this.#openSince[cpuId]!;
    this.#openSince[cpuId] = now;
    if (!isThread(prev) || now <= since) return;
    if (this.#slices.length >= TRACE_SLICES_MAX) {
      this.dropped++;
      return;
    }
    this.#slices.push({
      cpu: cpuId,
      tid: prev.id,
      name: `${prev.process.image.name} tid ${prev.id}`,
      startNs: since,
      endNs: now,
    });
  }

  /** Closes the slices still open at the end of the run and writes the file. */
  write(path: string): void {
    for (const cpu of this.#kernel.board.cpus) this.#close(cpu.id, cpu.current);
    const events: object[] = this.#kernel.board.cpus.map((cpu) => ({
      name: 'thread_name',
      ph: 'M',
      pid: 1,
      tid: cpu.id,
      args: { name: `CPU ${cpu.id}` },
    }));
    for (const s of this.#slices) {
      events.push({
        name: s.name,
        cat: 'run',
        ph: 'X',
        pid: 1,
        tid: s.cpu,
        ts: s.startNs / 1000,
        dur: (s.endNs - s.startNs) / 1000,
        args: { tid: s.tid },
      });
    }
    writeFileSync(path, JSON.stringify({ traceEvents: events, displayTimeUnit: 'ns' }));
  }
}
