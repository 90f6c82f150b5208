/**
 * The kernel's lock order, in one place, and the lockdep-style check that holds it in tests.
 *
 * A CPU may wait for a lock only while every lock it holds ranks lower, or ranks the same with
 * a lower subclass (locks of one class nest in increasing index, as Linux's double_rq_lock and
 * double_lock_hb take two run queues or two hash buckets). A try-lock never waits, so it may
 * break the order (an idle steal or an RT pull tries a victim's run queue while holding its
 * own, as Redox HEAD and Linux's pull_rt_task do); it is not checked. Linux's order is the
 * model (kernel/futex/core.c and kernel/locking/rtmutex.c: hb->lock, then pi_lock, then
 * rq->lock; kernel/sched/core.c "Lock order" comment):
 *
 * | rank | class              | locks                                    | taken from, and what nests inside                      |
 * | ---- | ------------------ | ---------------------------------------- | ------------------------------------------------------ |
 * | 1    | futex shard        | `FUTEXES`, `futex-shard<i>` (subclass i) | futex calls; two in shard order (requeue); wakes and PI boosts inside: run queues |
 * | 2    | PI                 | none yet                                 | reserved for a pi_lock: the PI state lives under its futex shard's lock today |
 * | 3    | switch             | dwrr/redbear `CONTEXT_SWITCH_LOCK`       | schedule(); selection inside: rank 4 and up            |
 * | 4    | global run set     | `RUN_CONTEXTS`                           | dwrr's scan; IDLE_CONTEXTS inside (blocked ones moved) |
 * | 5    | run queue          | fair `rq<n>`, redbear `sched<n>` (subclass n) | fair's switch lock is its CPU's rq; two in CPU-id order (balance, affinity) |
 * | 6    | idle list          | `IDLE_CONTEXTS`                          | innermost: nothing nests inside                        |
 *
 * The PI chain walk (futex/pi.ts adjustChain) reads the PI states of other shards under the one
 * shard lock it holds, and takes no further futex lock: that is a data race on the other shards'
 * states in a real kernel (Linux takes each rt_mutex's wait_lock hand over hand), but not an
 * order violation. It is noted here for the futex work, not changed.
 */
import { assert, AssertionError } from '../engine/assert.ts';
import { LOCK_UNRANKED, type LockOrderCheck, type SpinLock } from '../hw/spinlock.ts';

export const LOCK_FUTEX_SHARD = 1;
export const LOCK_PI = 2;
export const LOCK_SWITCH = 3;
export const LOCK_RUN_CONTEXTS = 4;
export const LOCK_RUN_QUEUE = 5;
export const LOCK_IDLE_CONTEXTS = 6;

/** The class names of the ranks, for messages. */
export const LOCK_CLASS_NAMES: Readonly<Record<number, string>> = {
  [LOCK_FUTEX_SHARD]: 'futex shard',
  [LOCK_PI]: 'PI',
  [LOCK_SWITCH]: 'switch',
  [LOCK_RUN_CONTEXTS]: 'global run set',
  [LOCK_RUN_QUEUE]: 'run queue',
  [LOCK_IDLE_CONTEXTS]: 'idle list',
};

/** True when a CPU holding `held` may wait for `wanted`. */
export function mayNest(held: SpinLock, wanted: SpinLock): boolean {
  if (held.rank !== wanted.rank) return held.rank < wanted.rank;
  return held.subclass < wanted.subclass;
}

function describe(l: SpinLock): string {
  return `${l.name} (${LOCK_CLASS_NAMES[l.rank] ?? `rank ${l.rank}`}, rank ${l.rank}.${l.subclass})`;
}

/** The check the CPUs run before a blocking acquisition, over the kernel's locks. */
export class LockOrder implements LockOrderCheck {
  readonly #locks: readonly SpinLock[];
  /** Blocking acquisitions checked (a test can see the check ran). */
  checked = 0;

  constructor(locks: readonly SpinLock[]) {
    for (const l of locks) assert(l.rank !== LOCK_UNRANKED, `lock-order: ${l.name} has no rank`);
    this.#locks = locks;
  }

  /** Installs the check on every lock (tests, with kernel invariants on). */
  install(): void {
    for (const l of this.#locks) l.orderCheck = this;
  }

  beforeLock(cpuId: number, wanted: SpinLock): void {
    this.checked++;
    for (const held of this.#locks) {
      if (held.holder !== cpuId || mayNest(held, wanted)) continue;
      throw new AssertionError(
        `lock-order: cpu ${cpuId} waits for ${describe(wanted)} while holding ${describe(held)}`,
      );
    }
  }
}
