/**
 * A data-race detector over the program's accesses, with vector clocks as FastTrack keeps them
 * (Flanagan and Freund, PLDI 2009): each thread a clock, each address its last write and the
 * reads since, each sync word the clock of its last release. Release stores and RMWs publish
 * the thread's clock on the word; acquire loads and RMWs join it; a futex wake hands the
 * waker's clock to the woken. Two conflicting accesses (one a write) of different threads,
 * at least one of them Plain, with neither happening before the other, are a data race (C11
 * 5.1.2.4); Relaxed and stronger accesses are marked and never race with each other.
 */

export interface Access {
  thread: number;
  clock: number;
  write: boolean;
  plain: boolean;
  /** Trace step index and a description, for the report. */
  step: number;
  what: string;
}

export interface Race {
  first: Access;
  second: Access;
  addr: number;
}

export class RaceDetector {
  readonly #clocks: number[][];
  readonly #syncs = new Map<number, number[]>();
  readonly #writes = new Map<number, Access>();
  readonly #reads = new Map<number, Access[]>();

  constructor(threads: number) {
    this.#clocks = Array.from({ length: threads }, (_, i) => {
      const c = new Array<number>(threads).fill(0);
      c[i] = 1;
      return c;
    });
  }

  clockOf(thread: number): readonly number[] {
    return this.#clocks[thread]!;
  }

  #ordered(a: Access, thread: number): boolean {
    return a.thread === thread || a.clock <= this.#clocks[thread]![a.thread]!;
  }

  /** Records an access; returns the race it completes, if any. */
  access(
    thread: number,
    addr: number,
    write: boolean,
    plain: boolean,
    step: number,
    what: string,
  ): Race | null {
    const clock = this.#clocks[thread]![thread]!;
    const me: Access = { thread, clock, write, plain, step, what };
    const last = this.#writes.get(addr);
    if (last !== undefined && (last.plain || plain) && !this.#ordered(last, thread)) {
      return { first: last, second: me, addr };
    }
    const reads = this.#reads.get(addr) ?? [];
    if (write) {
      for (const r of reads) {
        if ((r.plain || plain) && !this.#ordered(r, thread)) return { first: r, second: me, addr };
      }
      this.#writes.set(addr, me);
      this.#reads.set(addr, []);
    } else {
      this.#reads.set(addr, [...reads.filter((r) => r.thread !== thread), me]);
    }
    return null;
  }

  /** A release on `addr`: the word now carries the thread's clock (joined, for RMW chains). */
  release(thread: number, addr: number): void {
    const mine = this.#clocks[thread]!;
    const sync = this.#syncs.get(addr);
    this.#syncs.set(addr, sync === undefined ? [...mine] : join(sync, mine));
    mine[thread]!++;
  }

  /** An acquire on `addr`: the thread's clock joins the word's. */
  acquire(thread: number, addr: number): void {
    const sync = this.#syncs.get(addr);
    if (sync !== undefined) this.#clocks[thread] = join(this.#clocks[thread]!, sync);
  }

  /** `to` now happens after everything `from` did so far (a futex wake). */
  handOff(from: number, to: number): void {
    this.#clocks[to] = join(this.#clocks[to]!, this.#clocks[from]!);
    this.#clocks[from]![from]!++;
  }
}

function join(a: readonly number[], b: readonly number[]): number[] {
  return a.map((x, i) => Math.max(x, b[i]!));
}
