/**
 * The machine's counters, sampled at the recorder's events (counters.ts writes a value only
 * when it changed): run-queue length per CPU (or of the one global queue, for policies without
 * per-CPU queues: Redox's dwrr and the Red Bear overlay), spin time per CPU, futex waiters, TLB
 * shootdowns. Interrupts per CPU are counted by the recorder itself (recorder.ts).
 */
import type { Kernel } from '../../kernel/kernel.ts';
import { ThreadState } from '../../kernel/thread.ts';
import type { CounterTracks } from './counters.ts';

/**
 * Samples after an event on `cpuId` (-1: every CPU's run queue, after a wake, which may queue
 * anywhere); `futex`: the event may have changed the futex waiters (a block, a wake).
 */
export function sampleMachineCounters(
  rec: { readonly counters: CounterTracks },
  k: Kernel,
  cpuId: number,
  nowNs: number,
  futex: boolean,
): void {
  const c = rec.counters;
  const policy = k.policy;
  if (policy.queuedOn !== undefined) {
    const first = cpuId < 0 ? 0 : cpuId;
    const last = cpuId < 0 ? k.cpus.length - 1 : cpuId;
    for (let id = first; id <= last; id++)
      c.sample(`CPU ${id} run queue`, 'queued', policy.queuedOn(id), nowNs);
  } else {
    // A global queue (dwrr, redbear's global set beside per-CPU lists): the runnable contexts it holds.
    const queued = policy.queued().filter((t) => t.state === ThreadState.Runnable && !t.running).length;
    c.sample('run queue (all CPUs)', 'queued', queued, nowNs);
  }
  if (cpuId >= 0) c.sample(`CPU ${cpuId} spin`, 'spin_us', k.cpus[cpuId]!.spinNs / 1000, nowNs);
  if (futex) c.sample('futex waiters', 'waiters', futexWaiters(k), nowNs);
  const tlb = k.tlb.stats;
  c.sample('TLB shootdowns', 'shootdowns', tlb.shootdowns, nowNs);
  c.sample('TLB shootdown IPIs', 'ipis', tlb.ipis, nowNs);
}

/** Threads waiting in every futex bucket (FutexTable's shards). */
function futexWaiters(k: Kernel): number {
  let n = 0;
  for (const shard of k.futex.shards) for (const waiters of shard.buckets.values()) n += waiters.length;
  return n;
}
