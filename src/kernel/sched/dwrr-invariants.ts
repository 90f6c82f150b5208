/**
 * Invariants of the Redox-derived policies, `dwrr` and `redbear` (run after every event in
 * tests, DESIGN.md "Assertions as documentation"). Their queues are lazy, as Redox's are: a
 * blocked context may stay in a run queue until a scan meets it, and a dead one until a scan
 * drops it (a weak reference that no longer upgrades), so the checks are of what their code
 * keeps true even so:
 * - a live context is in at most one of the policy's lists (run queues, IDLE_CONTEXTS, a
 *   migration in flight), at every event, since every move pops before it pushes;
 * - when none of the policy's locks is held, no switch or queue operation is half done, so a
 *   queued context is not running, and every started live context that is not running is in
 *   exactly one list (a woken one in IDLE_CONTEXTS until a scan moves it, SCHED-1);
 * - each deficit counter stays in [0, 1024 + weight): a queue is credited its weight only below
 *   1024 and pays 1024 only at 1024 or more (switch.rs select_next_context);
 * - each CPU's `last_queue` names one of the 40 queues.
 */
import { assert } from '../../engine/assert.ts';
import { PRIO_LEVELS, type Thread, ThreadState } from '../thread.ts';
import { NICE_0_WEIGHT, PRIO_TO_WEIGHT } from './weights.ts';

/** One list of contexts a policy keeps, named for the messages. */
export interface PlaceList {
  readonly name: string;
  readonly list: readonly Thread[];
}

/**
 * Where each live context is: at most one list at any time; with `allFree` (no policy lock
 * held) a queued context is not running and every started, live, not-running one is queued.
 */
export function checkPlaces(places: readonly PlaceList[], threads: Iterable<Thread>, allFree: boolean): void {
  const where = new Map<Thread, string>();
  for (const { name, list } of places) {
    for (const t of list) {
      if (t.state === ThreadState.Dead) continue; // a ghost, dropped when a scan meets it
      const other = where.get(t);
      assert(other === undefined, `invariant: context ${t.id} is in ${other} and in ${name}`);
      where.set(t, name);
      assert(!allFree || !t.running, `invariant: context ${t.id} in ${name} is running outside a switch`);
    }
  }
  if (!allFree) return;
  for (const t of threads) {
    if (t.running || t.state === ThreadState.Dead || t.state === ThreadState.NotYetStarted) continue;
    assert(where.has(t), `invariant: ${ThreadState[t.state]} context ${t.id} is in no list of the policy`);
  }
}

/** A CPU's DWRR scan state: its deficit counters in [0, 1024 + weight), `last_queue` in range. */
export function checkScanState(cpuId: number, balance: Int32Array, lastQueue: number): void {
  assert(
    Number.isInteger(lastQueue) && lastQueue >= 0 && lastQueue < PRIO_LEVELS,
    `invariant: cpu ${cpuId} last_queue ${lastQueue} names no queue`,
  );
  for (let i = 0; i < PRIO_LEVELS; i++) {
    const b = balance[i]!;
    assert(
      b >= 0 && b < NICE_0_WEIGHT + PRIO_TO_WEIGHT[i]!,
      `invariant: cpu ${cpuId} balance[${i}] = ${b} outside [0, ${NICE_0_WEIGHT + PRIO_TO_WEIGHT[i]!})`,
    );
  }
}

/** A per-CPU tick counter of the 3-tick quantum: never negative. */
export function checkTickCounts(pitTicks: Int32Array): void {
  for (let id = 0; id < pitTicks.length; id++) {
    assert(pitTicks[id]! >= 0, `invariant: cpu ${id} counted ${pitTicks[id]} ticks of its quantum`);
  }
}
