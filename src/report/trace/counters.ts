/**
 * Counter ("C") tracks in the machine process: values sampled when the recorder is told of an
 * event that can change them, and written only when they changed, so a counter's track is its
 * step function. Names and arguments are listed in docs/trace.md.
 */
import { us } from './writer.ts';
import { MACHINE_PID } from './tracks.ts';

export type EmitFn = (event: object, nowNs: number) => boolean;

export class CounterTracks {
  readonly #emit: EmitFn;
  readonly #last = new Map<string, number>();

  constructor(emit: EmitFn) {
    this.#emit = emit;
  }

  /** Writes counter `name`'s series `key` = `value` at `nowNs` if it changed since last written. */
  sample(name: string, key: string, value: number, nowNs: number): void {
    const id = `${name}\u0000${key}`;
    if (this.#last.get(id) === value) return;
    if (
      this.#emit(
        { name, cat: 'counter', ph: 'C', pid: MACHINE_PID, ts: us(nowNs), args: { [key]: value } },
        nowNs,
      )
    ) {
      this.#last.set(id, value);
    }
  }

  /** Forgets what was written, so the next samples are all written (the window's start). */
  reset(): void {
    this.#last.clear();
  }
}
