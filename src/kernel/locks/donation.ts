/**
 * Priority donation over a graph of kernel locks (SCHED-10; models-2.md §13.3-§13.4): who holds
 * each lock, who waits for it, and what each holder runs at. Priorities are the kernel's one
 * scale (thread.ts normalPrio: lower is more important). Two modes:
 *
 * - `chain` (improved, after Linux kernel/locking/rtmutex.c rt_mutex_adjust_prio_chain): when a
 *   waiter arrives, walk lock -> holder -> the lock that holder waits for -> its holder ...,
 *   recomputing each holder's boost as the best of its held locks' waiters (their effective
 *   priorities, so a boost passes down the chain), for up to `maxDepth` holders
 *   (`donation_max_depth`, 4 by default: the plans' figure, found in no primary source, §13.4;
 *   Linux's max_lock_depth is 1024). Past the depth the boost stops propagating, with no error;
 *   the walk still follows the chain to its end to detect a cycle (the walk meets the waiter or
 *   a holder it passed), which is EDEADLK whatever the depth. A waiter leaving or a release
 *   recomputes the holder's boost from the waiters that remain (de-boost to their best).
 * - `one-level` (the baseline as issue 17 gives the plans' code: one-level, write-once, Relaxed):
 *   the first waiter of a held lock writes its priority into the holder's boost if better, and
 *   nothing rewrites it while that holder holds the lock: a higher waiter arriving later changes
 *   nothing, the holder's own blocked-on lock's holder is never boosted, and there is no cycle
 *   check. The release drops the boost entirely (the remaining waiters' donations are lost). The
 *   Relaxed store of the boost cannot be seen on this SC machine (docs/locks.md).
 */

export type DonationMode = 'one-level' | 'chain';
export const DONATION_MODES: readonly DonationMode[] = ['one-level', 'chain'];
export const DONATION_MAX_DEPTH_DEFAULT = 4;
export const NO_BOOST = Number.POSITIVE_INFINITY;

/** A task as donation sees it (a kernel Thread in the kernel, a plain object in tests). */
export interface DonationTask {
  readonly id: number;
  /** Its own priority (normal_prio); lower is more important. */
  basePrio(): number;
  /** The priority lent to it by donation, or NO_BOOST. */
  lockBoost: number;
  /** The donating lock it waits for, or null. */
  lockWaiting: DonationLock | null;
}

export class DonationLock {
  readonly name: string;
  holder: DonationTask | null = null;
  /** Waiters in arrival order (the MCS queue's order). */
  readonly waiters: DonationTask[] = [];
  /** one-level: the holder's boost was written for this holding (write-once). */
  donated = false;

  constructor(name: string) {
    this.name = name;
  }
}

export const effectiveOf = (t: DonationTask): number => Math.min(t.basePrio(), t.lockBoost);

/** What a walk did: the tasks whose boost changed (in walk order), and a cycle if it met one. */
export interface WalkResult {
  changed: DonationTask[];
  /** The lock graph closes a cycle through the waiter (EDEADLK). */
  cycle: boolean;
  /** Holders visited, the waiter's lock's holder being 1 (how far the chain went). */
  depth: number;
}

export class Donation {
  readonly mode: DonationMode;
  readonly maxDepth: number;
  /** Locks each holder holds (for recomputing its boost). */
  readonly #held = new Map<DonationTask, Set<DonationLock>>();

  constructor(mode: DonationMode, maxDepth = DONATION_MAX_DEPTH_DEFAULT) {
    if (!(Number.isInteger(maxDepth) && maxDepth >= 1)) throw new Error(`donation: max depth ${maxDepth}`);
    this.mode = mode;
    this.maxDepth = maxDepth;
  }

  /** `t` took `l` (free, or handed over to it as the head waiter). */
  acquired(l: DonationLock, t: DonationTask): void {
    const i = l.waiters.indexOf(t);
    if (i >= 0) l.waiters.splice(i, 1);
    if (t.lockWaiting === l) t.lockWaiting = null;
    l.holder = t;
    l.donated = false;
    this.#heldBy(t).add(l);
    if (this.mode === 'chain') this.#recompute(t); // it now holds the remaining waiters' donations
  }

  /** `t` let go of `l`; returns the tasks whose boost changed (the de-boost). */
  released(l: DonationLock, t: DonationTask): DonationTask[] {
    l.holder = null;
    this.#heldBy(t).delete(l);
    if (this.mode === 'one-level') {
      if (t.lockBoost === NO_BOOST) return [];
      t.lockBoost = NO_BOOST;
      return [t];
    }
    return this.#recompute(t) ? [t] : [];
  }

  /** `w` starts waiting for held `l`: the donation walk. */
  waits(l: DonationLock, w: DonationTask): WalkResult {
    l.waiters.push(w);
    w.lockWaiting = l;
    return this.mode === 'chain' ? this.#walk(l, w) : this.#oneLevel(l, w);
  }

  #oneLevel(l: DonationLock, w: DonationTask): WalkResult {
    const h = l.holder;
    if (h === null || l.donated) return { changed: [], cycle: false, depth: h === null ? 0 : 1 };
    l.donated = true; // written once per holding, whatever arrives later
    const prio = effectiveOf(w);
    if (prio >= effectiveOf(h)) return { changed: [], cycle: false, depth: 1 };
    h.lockBoost = prio;
    return { changed: [h], cycle: false, depth: 1 };
  }

  /** rt_mutex_adjust_prio_chain, without its lock juggling: one step per holder. */
  #walk(start: DonationLock, w: DonationTask): WalkResult {
    const changed: DonationTask[] = [];
    const seen = new Set<DonationTask>([w]);
    let l: DonationLock | null = start;
    let depth = 0;
    while (l !== null && l.holder !== null) {
      const h: DonationTask = l.holder;
      depth++;
      if (seen.has(h)) return { changed, cycle: true, depth };
      seen.add(h);
      if (depth <= this.maxDepth && this.#recompute(h)) changed.push(h);
      l = h.lockWaiting;
    }
    return { changed, cycle: false, depth };
  }

  /** The boost of `h` from the waiters of the locks it holds; returns whether it changed. */
  #recompute(h: DonationTask): boolean {
    let best = NO_BOOST;
    for (const l of this.#heldBy(h)) for (const w of l.waiters) best = Math.min(best, effectiveOf(w));
    const boost = best < h.basePrio() ? best : NO_BOOST;
    if (boost === h.lockBoost) return false;
    h.lockBoost = boost;
    return true;
  }

  #heldBy(t: DonationTask): Set<DonationLock> {
    let s = this.#held.get(t);
    if (s === undefined) {
      s = new Set();
      this.#held.set(t, s);
    }
    return s;
  }
}
