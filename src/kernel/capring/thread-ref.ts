/**
 * Generation-checked thread references (RING-3; capOS's ThreadRef, models-2.md §11.6): a thread
 * of a capring process is named by (slot, generation). Slots are reused, lowest free first, once
 * a thread has exited; every new occupant of a slot gets the next generation, so a reference
 * taken before the reuse no longer resolves: a completion routed by it is rejected, a join by it
 * finds the old thread's exit code instead of waiting for the new one.
 *
 * Pure (no kernel types): `T` is whatever the kernel hangs on a slot.
 */

export interface ThreadRef {
  slot: number;
  generation: number;
}

interface SlotEntry<T> {
  generation: number;
  live: T | null;
}

export class ThreadRefTable<T> {
  readonly #slots: SlotEntry<T>[] = [];
  readonly #capacity: number;
  /** Exit codes of exited references, by `slot:generation` (a join may come after the reuse). */
  readonly #exited = new Map<string, number>();

  readonly #keepExitCodes: boolean;

  /** `keepExitCodes` false: a table whose releases leave nothing behind (endpoints, endpoint.ts). */
  constructor(capacity: number, keepExitCodes = true) {
    this.#capacity = capacity;
    this.#keepExitCodes = keepExitCodes;
  }

  /** Takes the lowest free slot for `value`; null when every slot is live. */
  allocate(value: T): ThreadRef | null {
    let slot = this.#slots.findIndex((s) => s.live === null);
    if (slot < 0) {
      if (this.#slots.length >= this.#capacity) return null;
      slot = this.#slots.length;
      this.#slots.push({ generation: 0, live: null });
    }
    const entry = this.#slots[slot]!;
    entry.generation++;
    entry.live = value;
    return { slot, generation: entry.generation };
  }

  /** The live value `ref` names, or null when it is stale (exited, or its slot reused). */
  resolve(ref: ThreadRef): T | null {
    const entry = this.#slots[ref.slot];
    if (entry === undefined || entry.generation !== ref.generation) return null;
    return entry.live;
  }

  /** The thread `ref` names has exited with `code`: its slot is free for the next thread. */
  release(ref: ThreadRef, code: number): void {
    const entry = this.#slots[ref.slot];
    if (entry === undefined || entry.generation !== ref.generation || entry.live === null) {
      throw new Error(`capring: release of a stale thread reference ${ref.slot}:${ref.generation}`);
    }
    entry.live = null;
    if (this.#keepExitCodes) this.#exited.set(`${ref.slot}:${ref.generation}`, code);
  }

  /** The exit code of an exited reference, or undefined (never existed, or still live). */
  exitCode(ref: ThreadRef): number | undefined {
    return this.#exited.get(`${ref.slot}:${ref.generation}`);
  }

  /** The current generation of `slot` (0: never used). */
  generationOf(slot: number): number {
    return this.#slots[slot]?.generation ?? 0;
  }

  /** Exit codes kept (a table without them keeps none). */
  get exitCodesKept(): number {
    return this.#exited.size;
  }

  get liveCount(): number {
    return this.#slots.filter((s) => s.live !== null).length;
  }
}
