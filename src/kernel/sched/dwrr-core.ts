/**
 * The parts of Redox's DWRR selection (context/switch.rs @2df7467d, models.md §1.3-1.4) that
 * both `dwrr` and the Red Bear overlay `redbear` run: the deficit-weighted scan over 40 FIFOs,
 * `update_runnable`, and the `wakeup_contexts` walk of IDLE_CONTEXTS. Red Bear's patches keep
 * this code as their last selection pass and their wakeup scan (P8-percpu-wiring), so it lives
 * here once. Pure functions over the queues: the callers hold the locks and charge the time.
 */
import { assert } from '../../engine/assert.ts';
import { type Context, PRIO_LEVELS, type Thread, ThreadState } from '../thread.ts';
import { NICE_0_WEIGHT, PRIO_TO_WEIGHT } from './weights.ts';
import { NO_DEADLINE } from '../../engine/deadline.ts';

/** The scan gives up after this many iterations (switch.rs). */
export const DWRR_ITERATIONS_MAX = 5000;

export type RunnableVerdict = 'switch' | 'skip' | 'blocked';

/**
 * update_runnable: skip running contexts and contexts whose affinity excludes `cpuId`; wake an
 * expired soft-blocked sleeper in place (no IPI); then switch to it if it is runnable.
 */
export function updateRunnable(
  t: Thread,
  cpuId: number,
  nowNs: number,
  expire: (t: Thread) => void,
): RunnableVerdict {
  if (t.running) return 'skip';
  if (!t.allowedOn(cpuId)) return 'skip';
  if (t.state === ThreadState.Blocked && t.wakeNs <= nowNs) expire(t);
  return t.state === ThreadState.Runnable ? 'switch' : 'blocked';
}

export interface DwrrScanResult {
  next: Thread | null;
  /** Contexts found blocked: the caller moves them to IDLE_CONTEXTS. */
  blocked: Thread[];
  /** The queue the scan stopped at: the CPU's new `last_queue`. */
  lastQueue: number;
  iterations: number;
  /** Contexts popped and looked at (the scan's cost is per context visited). */
  visited: number;
}

/**
 * select_next_context's scan: from `lastQueue + 1`, a non-empty queue whose balance is below
 * 1024 is credited its weight and skipped (the credit consumes the visit); otherwise its
 * contexts are popped in order until one can run on `cpuId`, which pays 1024. `balance` is
 * updated in place.
 */
export function dwrrScan(
  set: Thread[][],
  balance: Int32Array,
  lastQueue: number,
  cpuId: number,
  prev: Context,
  nowNs: number,
  expire: (t: Thread) => void,
): DwrrScanResult {
  const blocked: Thread[] = [];
  let i = lastQueue % PRIO_LEVELS;
  let emptyQueues = 0;
  let iterations = 0;
  let skipped = 0;
  let visited = 0;
  let next: Thread | null = null;
  let total = 0;
  for (const q of set) total += q.length;
  scan: for (;;) {
    i = (i + 1) % PRIO_LEVELS;
    iterations++;
    if (iterations >= DWRR_ITERATIONS_MAX) break;
    if (skipped > total && total > 0) break;
    const queue = set[i]!;
    if (queue.length === 0) {
      if (++emptyQueues >= PRIO_LEVELS) break;
      continue;
    }
    emptyQueues = 0;
    if (balance[i]! < NICE_0_WEIGHT) {
      balance[i]! += PRIO_TO_WEIGHT[i]!; // the credit consumes the visit
      continue;
    }
    const length = queue.length;
    for (let n = 0; n < length; n++) {
      const t = queue.shift()!;
      visited++;
      if (t.state === ThreadState.Dead) {
        skipped++; // a ghost: its weak reference no longer upgrades
        continue;
      }
      if (t === prev) {
        queue.push(t);
        continue;
      }
      const verdict = updateRunnable(t, cpuId, nowNs, expire);
      if (verdict === 'switch') {
        next = t;
        balance[i]! -= NICE_0_WEIGHT;
        assert(balance[i]! >= 0, 'dwrr: a queue paid more than its credit');
        break scan;
      }
      if (verdict === 'blocked') blocked.push(t);
      else queue.push(t);
      if (++skipped >= total) break scan;
    }
  }
  return { next, blocked, lastQueue: i, iterations, visited };
}

/**
 * wakeup_contexts' walk of IDLE_CONTEXTS (the caller holds its lock): removes and returns the
 * contexts to queue (expired sleepers and runnable contexts not running), drops dead ones, and
 * keeps the rest in order. `prev` stays where it is.
 */
export function collectWakeups(list: Thread[], prev: Context, nowNs: number): Thread[] {
  const visited = list.length;
  const wakeups: Thread[] = [];
  let dropped = 0;
  for (let i = 0; i < visited; i++) {
    const t = list.shift()!;
    if (t.state === ThreadState.Dead) {
      dropped++;
      continue;
    }
    if (t === prev) list.push(t);
    else if (t.state === ThreadState.Blocked && t.wakeNs <= nowNs) wakeups.push(t);
    else if (t.state === ThreadState.Runnable && !t.running) wakeups.push(t);
    else list.push(t);
  }
  assert(list.length + wakeups.length + dropped === visited, 'dwrr: IDLE_CONTEXTS walk lost a context');
  return wakeups;
}

/** The earliest deadline among the blocked contexts of `list`, or NO_DEADLINE. */
export function earliestWakeNs(list: readonly Thread[]): number {
  let earliest = NO_DEADLINE;
  for (const t of list) if (t.state === ThreadState.Blocked && t.wakeNs < earliest) earliest = t.wakeNs;
  return earliest;
}
