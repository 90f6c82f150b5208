/**
 * The end of a run, when no agent can step: the model's own check (duplicate CPU ids, a stale
 * translation, a lost count), then the machine's: a lost wakeup (a thread asleep on a futex word
 * whose value is no longer the one it went to sleep on: someone changed it and never woke it),
 * else a deadlock (threads left, none can step) reported with its wait-for graph: each stuck
 * thread, what it waits on, and who holds that when the word names a thread (a mutex word holds
 * its owner's tid).
 */
import { XOp } from './model.ts';
import type { ModelInstance, Violation } from './model.ts';
import type { Machine, ThreadState } from './machine.ts';

export function endOfRun(m: Machine, instance: ModelInstance): Violation | null {
  const own = instance.finalCheck?.((a) => m.read(a)) ?? null;
  if (own !== null) return own;
  const stuck = m.threads.filter((t) => t.pending !== null || t.blocked !== null);
  if (stuck.length === 0) return null;
  for (const t of stuck) {
    const b = t.blocked;
    if (b !== null && !b.woken && m.read(b.addr) >>> 0 !== b.believed >>> 0) {
      return {
        kind: 'lost-wakeup',
        message: `${t.handle.name} sleeps on ${m.nameOf(b.addr)}, which is now ${m.read(b.addr)}, not the ${b.believed} it slept on, and no one will wake it`,
      };
    }
  }
  const graph = waitForGraph(m, stuck, new Set(instance.locks ?? []));
  return { kind: 'deadlock', message: `every thread left is blocked: ${graph}` };
}

/** `T1 -> futex m (word 2, held by T2); T2 -> ...`. */
export function waitForGraph(m: Machine, stuck: readonly ThreadState[], locks: ReadonlySet<number>): string {
  const byTid = new Map(m.threads.map((t) => [t.handle.tid, t.handle.name]));
  return stuck
    .map((t) => {
      const name = t.handle.name;
      if (t.blocked !== null) {
        const word = m.read(t.blocked.addr);
        const owner = locks.has(t.blocked.addr) ? byTid.get(word & 0x3fffffff) : undefined;
        return `${name} -> futex ${m.nameOf(t.blocked.addr)} (word ${word}${owner === undefined ? '' : `, held by ${owner}`})`;
      }
      const e = t.pending!;
      if (e.op === XOp.Await) {
        const seen = e.addrs.map((a) => `${m.nameOf(a)}=${m.read(a)}`).join(', ');
        return `${name} -> await (${seen})`;
      }
      return `${name} -> op ${e.op}`;
    })
    .join('; ');
}
