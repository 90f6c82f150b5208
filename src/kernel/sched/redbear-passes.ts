/**
 * Red Bear's per-CPU queue set and its three selection passes (P8-percpu-sched,
 * P5-sched-rt-policy, P6-vruntime-switch, P7-cache-affine-switch; models.md §1.7), run over one
 * queue set with its lock held: (0) the first runnable FIFO/RR context allowed here, scanning
 * prio 0 → 39; (1) the SCHED_OTHER context of least vruntime, discounted by 1/8 when it last
 * ran here; (2) the original DWRR scan (dwrr-core.ts). The running context is never a
 * candidate, a quirk the patches keep (see redbear.ts).
 */
import { SpinLock } from '../../hw/spinlock.ts';
import { LOCK_RUN_QUEUE } from '../lock-order.ts';
import { type Context, PRIO_LEVELS, type Thread, ThreadState } from '../thread.ts';
import { dwrrScan, updateRunnable } from './dwrr-core.ts';
import { RB_POLICY_OTHER, redbearEntity, redbearPolicy } from './redbear-entity.ts';

/** `PerCpuSched` (P8-percpu-sched). */
export class PerCpuSched {
  readonly runQueues: Thread[][] = Array.from({ length: PRIO_LEVELS }, () => []);
  readonly lock: SpinLock;
  readonly balance = new Int32Array(PRIO_LEVELS);
  /** PerCpuSched::new starts it at 0 (the base's percpu field started at 39). */
  lastQueue = 0;
  lastBalanceTimeNs = 0;

  constructor(cpuId: number) {
    // Per-CPU queue locks rank with the run queues, in CPU-id order (kernel/lock-order.ts).
    this.lock = new SpinLock(`sched${cpuId}`, LOCK_RUN_QUEUE, cpuId);
  }

  get depth(): number {
    let n = 0;
    for (const q of this.runQueues) n += q.length;
    return n;
  }
}

export type Pass = 'rt' | 'vruntime' | 'dwrr';

export interface Pick {
  next: Thread | null;
  pass: Pass | null;
  blocked: Thread[];
  visited: number;
}

/** What a pass needs besides the queues: where it runs, what runs there, and the clock. */
export interface PassEnv {
  cpuId: number;
  prev: Context;
  nowNs: number;
  /** The base's expiry of a soft-blocked sleeper found past its deadline. */
  expire: (t: Thread) => void;
}

/**
 * pick_next_from_queues: passes 0, 1 and 2 over `queues`, with `pc`'s DWRR scan state for the
 * last; the queues' lock is held.
 */
export function pickFromQueues(queues: Thread[][], pc: PerCpuSched, env: PassEnv): Pick {
  const rt = passRt(queues, env);
  if (rt.next !== null) return rt;
  const fair = passVruntime(queues, env, rt.visited);
  if (fair.next !== null) return fair;
  const r = dwrrScan(queues, pc.balance, pc.lastQueue, env.cpuId, env.prev, env.nowNs, env.expire);
  pc.lastQueue = r.lastQueue;
  return {
    next: r.next,
    pass: r.next === null ? null : 'dwrr',
    blocked: r.blocked,
    visited: fair.visited + r.visited,
  };
}

/**
 * Pass 0 (P5-sched-rt-policy): the first runnable FIFO/RR context, prio 0 → 39. Every context
 * looked at is rotated to its queue's tail; ghosts are dropped. Candidates are judged by the
 * base's update_runnable, which also wakes an expired sleeper in place (a woken context waits
 * in the queue until a pass judges it).
 */
function passRt(queues: Thread[][], env: PassEnv): Pick {
  let visited = 0;
  for (let prio = 0; prio < PRIO_LEVELS; prio++) {
    const queue = queues[prio]!;
    const length = queue.length;
    for (let n = 0; n < length; n++) {
      const t = queue.shift()!;
      visited++;
      if (t.state === ThreadState.Dead) continue; // a ghost is dropped
      const candidate = t !== env.prev && updateRunnable(t, env.cpuId, env.nowNs, env.expire) === 'switch';
      if (candidate && redbearPolicy(t.policy) !== RB_POLICY_OTHER) {
        return { next: t, pass: 'rt', blocked: [], visited };
      }
      queue.push(t);
    }
  }
  return { next: null, pass: null, blocked: [], visited };
}

/** Pass 1 (P6-vruntime-switch, P7-cache-affine-switch): least vruntime among SCHED_OTHER. */
function passVruntime(queues: Thread[][], env: PassEnv, visitedBefore: number): Pick {
  let visited = visitedBefore;
  let best: Thread | null = null;
  let bestPrio = -1;
  let least = Number.POSITIVE_INFINITY;
  for (let prio = 0; prio < PRIO_LEVELS; prio++) {
    for (const t of queues[prio]!) {
      visited++;
      if (t === env.prev || updateRunnable(t, env.cpuId, env.nowNs, env.expire) !== 'switch') continue;
      if (redbearPolicy(t.policy) !== RB_POLICY_OTHER) continue;
      let v = redbearEntity(t).vruntime;
      if (t.lastCpu === env.cpuId) v -= Math.floor(v / 8); // cache-affine discount
      if (v < least) {
        least = v;
        best = t;
        bestPrio = prio;
      }
    }
  }
  if (best === null) return { next: null, pass: null, blocked: [], visited };
  const queue = queues[bestPrio]!;
  queue.splice(queue.indexOf(best), 1);
  return { next: best, pass: 'vruntime', blocked: [], visited };
}
