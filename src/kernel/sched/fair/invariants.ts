/**
 * The `fair` policy's own invariants (run after every event in tests, DESIGN.md "Assertions as
 * documentation"): every run queue whose lock is free is consistent, and when no run-queue lock
 * is held, no scheduling operation is half done, so every runnable context that is not running
 * is in exactly one queue.
 */
import { assert } from '../../../engine/assert.ts';
import { type Thread, ThreadState } from '../../thread.ts';
import { CLASS_DL, CLASS_FAIR, CLASS_RT, entity } from './entity.ts';
import type { RunQueue } from './runqueue.ts';
import type { FairState } from './state.ts';

/** Throws on the first violated invariant. */
export function checkFairInvariants(s: FairState, threads: Iterable<Thread>): void {
  let allFree = true;
  let classQueued = 0;
  let fairQueued = 0;
  const where = new Map<Thread, number>();
  for (const rq of s.rqs) {
    classQueued += rq.rt.count + rq.dl.count;
    fairQueued += rq.queue.length;
    if (rq.lock.held) {
      allFree = false;
      continue;
    }
    checkClassQueues(rq);
    checkRunQueue(rq, where, s.host.hotplug.dying[rq.cpuId] === 1);
  }
  assert(
    classQueued === s.classQueued,
    `invariant: ${s.classQueued} RT and deadline contexts counted queued, ${classQueued} queued`,
  );
  assert(
    fairQueued === s.queuedAll.n,
    `invariant: ${s.queuedAll.n} fair contexts counted queued, ${fairQueued} queued`,
  );
  if (!allFree) return;
  for (const t of threads) {
    if (t.state !== ThreadState.Runnable || t.running) continue;
    assert(where.has(t), `invariant: runnable context ${t.id} is in no run queue`);
  }
}

/** RT and deadline contexts (SCHED-7) sit in the queue of their class and add no fair load. */
function checkClassQueues(rq: RunQueue): void {
  for (const [klass, list] of [
    [CLASS_RT, rq.rt.all()],
    [CLASS_DL, [...rq.dl.queue, ...rq.dl.throttled]],
  ] as const) {
    for (const t of list) {
      assert(entity(t).klass === klass, `invariant: context ${t.id} queued in the wrong class`);
      assert(entity(t).weight === 0, `invariant: ${t.id} in class ${klass} carries fair load`);
    }
  }
  for (const t of rq.dl.throttled) {
    assert(entity(t).dlThrottled, `invariant: context ${t.id} parked throttled on rq${rq.cpuId} is not`);
  }
}

/**
 * One run queue with its lock free: its contexts runnable, not running, on it by their own
 * record, queued once, allowed on its CPU; the CFS queue in (vruntime, tid) order; its load
 * the sum of their weights and curr's; no push pending.
 */
function checkRunQueue(rq: RunQueue, where: Map<Thread, number>, dying: boolean): void {
  let load = rq.curr === null ? 0 : entity(rq.curr).weight;
  for (const t of rq.allQueued()) {
    assert(!where.has(t), `invariant: context ${t.id} queued on CPUs ${where.get(t)} and ${rq.cpuId}`);
    where.set(t, rq.cpuId);
    const e = entity(t);
    assert(t.state === ThreadState.Runnable, `invariant: queued context ${t.id} is not runnable`);
    assert(!t.running, `invariant: queued context ${t.id} is running`);
    assert(e.onRq && e.rq === rq.cpuId, `invariant: context ${t.id} queued on ${rq.cpuId} says ${e.rq}`);
    // A CPU going offline (kernel/hotplug.ts) holds contexts outside the online mask until moved.
    assert(
      t.allowedOn(rq.cpuId) || dying,
      `invariant: context ${t.id} queued on CPU ${rq.cpuId} outside its mask`,
    );
    if (e.klass === CLASS_FAIR) load += e.weight;
  }
  for (let i = 1; i < rq.queue.length; i++) {
    const a = entity(rq.queue[i - 1]!);
    const b = entity(rq.queue[i]!);
    assert(a.vruntime <= b.vruntime, `invariant: rq${rq.cpuId} CFS queue out of vruntime order at ${i}`);
  }
  if (rq.curr !== null) {
    const e = entity(rq.curr);
    assert(e.onRq && e.rq === rq.cpuId, `invariant: rq${rq.cpuId} curr ${rq.curr.id} says rq ${e.rq}`);
  }
  assert(load === rq.loadWeight, `invariant: rq${rq.cpuId} load ${rq.loadWeight}, contexts weigh ${load}`);
  assert(rq.pushPending === null, `invariant: rq${rq.cpuId} has a push pending with its lock free`);
}
