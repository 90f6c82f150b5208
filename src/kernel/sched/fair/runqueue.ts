/**
 * One CPU's run queue of the `fair` policy, as Linux's `struct rq`: its lock (which is also the
 * CPU's switch lock, so no global lock sits on the switch path), the CFS queue ordered by
 * (vruntime, tid) with its minimum and load, the RT and deadline queues of the other classes
 * (`rt.ts`, `deadline.ts`), the timed blocks armed on the CPU, and the operations on these that
 * need no other run queue. The caller holds `lock` for every mutation.
 */
import { MAX_RT_PRIO } from '../../../abi/sched.ts';
import { assert } from '../../../engine/assert.ts';
import { insertAt, removeAt } from '../../../engine/sorted-array.ts';
import { SpinLock } from '../../../hw/spinlock.ts';
import { LOCK_RUN_QUEUE } from '../../lock-order.ts';
import type { Thread } from '../../thread.ts';
import { DlRunQueue } from '../deadline.ts';
import { RtRunQueue } from '../rt.ts';
import { CLASS_DL, CLASS_FAIR, CLASS_RT, dlKey, entity, type FairEntity } from './entity.ts';

/** A timed block armed on a CPU: `at` tells a live entry from one gone stale. */
export interface ArmedTimer {
  t: Thread;
  at: number;
}

/**
 * The fair contexts queued on all of a policy's run queues together, kept by their inserts and
 * removals: when it is 0 an idle CPU's steal and its idle fold's "nothing to pull" need not read
 * every other CPU's queue (issue 14: at 256 CPUs those reads were 7% of a spin run's cache misses,
 * in its creation and exit, where most CPUs are idle).
 */
export class QueuedCount {
  n = 0;
}

export class RunQueue {
  readonly cpuId: number = 0;
  readonly lock: SpinLock;
  /** Queued (not running) contexts ordered by (vruntime, tid). */
  readonly queue: Thread[] = [];
  curr: Thread | null = null;
  minVruntime = 0;
  /** Sum of the weights of queued contexts and curr. */
  loadWeight = 0;
  /**
   * Timed blocks armed on this CPU, ordered by deadline. An entry goes stale when its context
   * is woken first or re-armed (a realtime clock jump); `at` tells a live entry from a stale one.
   */
  readonly timers: ArmedTimer[] = [];
  readonly rt = new RtRunQueue();
  readonly dl = new DlRunQueue(dlKey);
  /** Switched out runnable on a CPU its mask no longer allows: queued elsewhere after the switch. */
  pushPending: Thread | null = null;
  /** The policy's count across its run queues (its own when made alone, as tests do). */
  readonly queuedAll: QueuedCount;

  constructor(cpuId: number, queuedAll: QueuedCount = new QueuedCount()) {
    this.cpuId = cpuId;
    this.queuedAll = queuedAll;
    // Run-queue locks nest in CPU-id order (double_rq_lock): the id is the lock's subclass.
    this.lock = new SpinLock(`rq${cpuId}`, LOCK_RUN_QUEUE, cpuId);
  }

  /** Runnable contexts of every class on this queue, curr included (throttled ones not). */
  get nrRunning(): number {
    return this.queue.length + this.rt.count + this.dl.count + (this.curr === null ? 0 : 1);
  }

  /** Contexts of the fair class, curr included (Linux cfs_rq->nr_running). */
  get fairRunning(): number {
    return this.queue.length + (this.curr !== null && entity(this.curr).klass === CLASS_FAIR ? 1 : 0);
  }

  /** Puts `t` in the CFS queue at its (vruntime, tid) place (__enqueue_entity). */
  insertFair(t: Thread): void {
    const e = entity(t);
    const q = this.queue;
    let lo = 0;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = entity(q[mid]!);
      if (m.vruntime < e.vruntime || (m.vruntime === e.vruntime && q[mid]!.id < t.id)) lo = mid + 1;
      else hi = mid;
    }
    insertAt(q, lo, t);
    this.queuedAll.n++;
  }

  /** Takes queued `t` out of the CFS queue (__dequeue_entity). */
  removeFair(t: Thread): void {
    const index = this.queue.indexOf(t);
    assert(index >= 0, 'fair: context not in its run queue');
    removeAt(this.queue, index);
    this.queuedAll.n--;
  }

  /** Takes `e`'s weight out of the load (it leaves the fair class or the queue). */
  unweigh(e: FairEntity): void {
    this.loadWeight -= e.weight;
    e.weight = 0;
    assert(this.loadWeight >= 0, 'fair: run-queue load below zero');
  }

  /**
   * Takes the leftmost queued context allowed here. Only a context whose mask changed a moment
   * ago can be queued on a CPU it is not allowed on; it waits for `affinityChanged` to move it.
   */
  pickAllowed(): Thread | null {
    const q = this.queue;
    for (let i = 0; i < q.length; i++) {
      const t = q[i]!;
      if (t.allowedOn(this.cpuId)) {
        removeAt(q, i);
        this.queuedAll.n--;
        return t;
      }
    }
    return null;
  }

  /** min_vruntime = max(old, min(curr, leftmost)): monotonic. */
  updateMin(): void {
    let candidate = Number.POSITIVE_INFINITY;
    if (this.curr !== null && entity(this.curr).klass === CLASS_FAIR) candidate = entity(this.curr).vruntime;
    const first = this.queue[0];
    if (first !== undefined) candidate = Math.min(candidate, entity(first).vruntime);
    if (candidate !== Number.POSITIVE_INFINITY && candidate > this.minVruntime) this.minVruntime = candidate;
  }

  /** Arms a timed block of `t` at `deadlineNs`, after every timer due no later. */
  addTimer(t: Thread, deadlineNs: number): void {
    const timers = this.timers;
    let i = timers.length;
    while (i > 0 && timers[i - 1]!.at > deadlineNs) i--;
    timers.splice(i, 0, { t, at: deadlineNs });
  }

  /**
   * How important the work of this queue is, on the kernel's priority scale (lower = more
   * important): -1 with deadline work, the best RT level with RT work that may run, 100 with
   * normal work only, 141 idle (Linux cpupri's view of a CPU).
   */
  prio(): number {
    const curr = this.curr;
    const ec = curr === null ? null : entity(curr);
    if (this.dl.count > 0 || ec?.klass === CLASS_DL) return -1;
    let p = this.rt.throttled ? MAX_RT_PRIO : this.rt.highest();
    if (ec !== null && ec.klass === CLASS_RT && ec.prio < p) p = ec.prio;
    if (p < MAX_RT_PRIO) return p;
    return curr !== null || this.queue.length > 0 ? MAX_RT_PRIO : MAX_RT_PRIO + 41;
  }

  /** The earliest deadline this queue runs or holds (Infinity when none). */
  earliestDeadline(): number {
    let d = Number.POSITIVE_INFINITY;
    if (this.curr !== null && entity(this.curr).klass === CLASS_DL) d = dlKey(this.curr);
    const first = this.dl.first();
    if (first !== null) d = Math.min(d, dlKey(first));
    return d;
  }

  /** The first queued deadline context allowed on `cpuId` (earliest deadline first), or null. */
  firstDlAllowed(cpuId: number): Thread | null {
    for (const t of this.dl.queue) if (t.allowedOn(cpuId)) return t;
    return null;
  }

  /** Every context this queue holds but does not run, of every class, throttled ones included. */
  allQueued(): Thread[] {
    return [...this.queue, ...this.rt.all(), ...this.dl.queue, ...this.dl.throttled];
  }
}
