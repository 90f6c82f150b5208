/**
 * The driver manager's boot timeline (SVC-6): what happened to each device, in order. The
 * baseline appends every line, so a device probed on every re-scan repeats its error (the seed's
 * EPIPE/ENOENT lines, once per poll, forever); the improved timeline keeps the first occurrence
 * of each (source, error) and counts the repeats (the change log's log_timeline de-duplication).
 */

export interface TimelineEntry {
  atNs: number;
  source: string;
  message: string;
  /** How many more times the same line came after this one (improved only). */
  repeats: number;
}

export class BootTimeline {
  readonly entries: TimelineEntry[] = [];
  readonly #dedup: boolean;
  readonly #byKey = new Map<string, TimelineEntry>();
  #suppressed = 0;

  constructor(dedup: boolean) {
    this.#dedup = dedup;
  }

  /** Lines not written because they repeated an earlier one. */
  get suppressed(): number {
    return this.#suppressed;
  }

  /** Records an event; `error` lines are the ones de-duplicated (progress lines never repeat). */
  add(atNs: number, source: string, message: string, error: boolean): void {
    const key = `${source}\u0000${message}`;
    const earlier = this.#byKey.get(key);
    if (this.#dedup && error && earlier !== undefined) {
      earlier.repeats++;
      this.#suppressed++;
      return;
    }
    const entry: TimelineEntry = { atNs, source, message, repeats: 0 };
    this.entries.push(entry);
    if (error) this.#byKey.set(key, entry);
  }

  /** `12.345 ms  e1000d@00:03.0: bound (x3)` lines. */
  lines(): string[] {
    return this.entries.map((e) => {
      const ms = (e.atNs / 1e6).toFixed(3);
      const rep = e.repeats > 0 ? ` (repeated ${e.repeats}x)` : '';
      return `${ms} ms  ${e.source}: ${e.message}${rep}`;
    });
  }
}
