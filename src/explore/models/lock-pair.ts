/**
 * Kernel spinlocks as explored objects (explore/kernel-locks.ts): two CPUs each requeue between
 * the same two futex shards in opposite directions, taking both shards' locks, as FUTEX_REQUEUE
 * does (kernel/futex/requeue.ts), and bump a counter inside (mutual exclusion is checked by the
 * count). Every `lock`/`unlock` runs the kernel's MCS code (kernel/locks/mcs.ts) on the
 * explorer's words under PSO.
 * - `lock-pair`: the kernel's own `lockPair` and `unlockAll`, which take the lower shard first
 *   (Linux double_lock_hb): no interleaving deadlocks.
 * - `lock-pair-abba`: the same two shards taken in argument order, as a requeue would without
 *   that rule: the explorer finds the ABBA deadlock, both CPUs spinning on their MCS nodes.
 * - `lock-pair-ticket`: `lock-pair` with the kernel's ticket-lock code (kernel/locks/ticket.ts,
 *   `[kernel] locks = "ticket"`) in place of the MCS code.
 * The first and last use real kernel code throughout; the second's locking order is the bug,
 * written here (the kernel has no such path).
 */
import { MemOrder } from '../../abi/effects.ts';
import { type KernelGen, lock } from '../../hw/effects.ts';
import { lockPair, unlockAll } from '../../kernel/futex/requeue.ts';
import { FutexShard } from '../../kernel/futex/table.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import type { Model, XProgram } from '../model.ts';
import type { XThread } from '../xthread.ts';

const COUNTER = 0x100;
const DONE = 0x104;

/** Kernel code yields kernel effects; the explorer runs the lock ones (kernel-locks.ts). */
const asX = <T>(g: KernelGen<T>) => g as unknown as XProgram<T>;

function* naivePair(a: FutexShard, b: FutexShard): KernelGen<FutexShard[]> {
  yield lock(a.lock);
  yield lock(b.lock);
  return [b, a];
}

function lockPairModel(ordered: boolean, kind: 'mcs' | 'ticket' = 'mcs'): Model {
  const what = kind === 'mcs' ? 'MCS' : 'ticket';
  return {
    name: ordered ? (kind === 'mcs' ? 'lock-pair' : 'lock-pair-ticket') : 'lock-pair-abba',
    description: ordered
      ? `two requeues take two futex shards' ${what} locks lower shard first (the kernel's lockPair)`
      : "two requeues take two futex shards' MCS locks in argument order: an ABBA deadlock",
    claims: 'SCHED-10, FUTEX-3',
    buggy: !ordered,
    memory: 'pso',
    cpus: 2,
    cpusMin: 2,
    cpusMax: 2,
    source: ordered
      ? `the kernel: futex/requeue.ts lockPair and unlockAll over kernel/locks/${kind}.ts`
      : 'kernel/locks/mcs.ts, locked in a stand-in order',
    build: () => {
      const shards = [new FutexShard('futex-shard0', 0), new FutexShard('futex-shard1', 1)];
      // lockPair reads only the table's shard order.
      const k = { futex: { shards } } as unknown as Kernel;
      function* cpu(t: XThread): XProgram<void> {
        const [from, to] = t.index === 0 ? [shards[0]!, shards[1]!] : [shards[1]!, shards[0]!];
        const held = yield* asX(ordered ? lockPair(k, from, to) : naivePair(from, to));
        const c = (yield t.load(COUNTER, MemOrder.Relaxed)) as number;
        yield t.store(COUNTER, c + 1, MemOrder.Relaxed);
        yield* asX(unlockAll(held));
        yield t.fetchAdd(DONE, 1);
      }
      return {
        threads: [0, 1].map((i) => ({ name: `CPU${i}`, run: cpu })),
        spinlocks: shards.map((s) => s.lock),
        lockKind: kind,
        names: new Map([
          [COUNTER, 'counter'],
          [DONE, 'done'],
        ]),
        // Stuck threads are the machine's to report (a deadlock); finished ones must have counted.
        finalCheck: (read) =>
          read(DONE) < 2 || read(COUNTER) === 2
            ? null
            : { kind: 'assertion', message: `counter is ${read(COUNTER)} after 2 locked increments` },
      };
    },
  };
}

export const LOCK_PAIR_MODELS: Model[] = [
  lockPairModel(false),
  lockPairModel(true),
  lockPairModel(true, 'ticket'),
];
