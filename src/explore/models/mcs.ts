/**
 * K4: an MCS queue lock (models-2.md §13.1, after Linux kernel/locking/mcs_spinlock.h) taken once
 * by each CPU around an increment of a shared counter (READ_ONCE/WRITE_ONCE: marked, so the race
 * detector leaves it to the count check). The handoff is a store of the successor's `locked`
 * word and the successor's spin on it: `k4` does them Relaxed, `k4-fixed` with store-release
 * and load-acquire. x86-TSO keeps stores in order, so the bug hides there; under PSO the
 * handoff store overtakes the counter's and an increment is lost. The tail exchange and the
 * release's compare-exchange are full barriers (locked instructions) in both. The lock code is
 * the kernel's own (kernel/locks/mcs.ts, what `[kernel] locks = "mcs"` runs), given the
 * explorer's effects through a port; `k4` runs it with its handoff pair relaxed
 * (MCS_ORDERS_RELAXED), `k4-fixed` with the kernel's orders.
 */
import { MemOrder } from '../../abi/effects.ts';
import {
  MCS_ORDERS_FIXED,
  MCS_ORDERS_RELAXED,
  type McsLayout,
  mcsAcquire,
  mcsRelease,
} from '../../kernel/locks/mcs.ts';
import { xport } from '../kernel-locks.ts';
import type { Model, XProgram } from '../model.ts';
import type { XThread } from '../xthread.ts';

const TAIL = 0x100;
const COUNTER = 0x104;
const LOCKED = 0x200;
const NEXT = 0x300;
const word = (base: number, i: number) => base + 4 * i;

const LAYOUT: McsLayout = {
  tail: TAIL,
  locked: (node) => word(LOCKED, node),
  next: (node) => word(NEXT, node),
};

function k4(fixed: boolean): Model {
  return {
    name: fixed ? 'k4-fixed' : 'k4',
    description: fixed
      ? 'MCS lock with store-release handoff and load-acquire spin'
      : 'MCS lock with a relaxed handoff: the critical section leaks past it on a weak memory model',
    claims: 'K4, K19, SCHED-10',
    buggy: !fixed,
    memory: 'pso',
    cpus: 3,
    cpusMin: 2,
    cpusMax: 4,
    source: 'the kernel MCS lock code, kernel/locks/mcs.ts (models-2.md §13.1)',
    build: (cpus) => {
      function* cpu(t: XThread): XProgram<void> {
        const port = xport(t);
        const orders = fixed ? MCS_ORDERS_FIXED : MCS_ORDERS_RELAXED;
        yield* mcsAcquire(port, LAYOUT, t.index + 1, orders);
        const c = (yield t.load(COUNTER, MemOrder.Relaxed)) as number;
        yield t.store(COUNTER, c + 1, MemOrder.Relaxed);
        yield* mcsRelease(port, LAYOUT, t.index + 1, orders);
      }
      const names = new Map<number, string>([
        [TAIL, 'mcs.tail'],
        [COUNTER, 'counter'],
      ]);
      for (let i = 1; i <= cpus; i++) {
        names.set(word(LOCKED, i), `node${i}.locked`);
        names.set(word(NEXT, i), `node${i}.next`);
      }
      return {
        threads: Array.from({ length: cpus }, (_, i) => ({ name: `CPU${i}`, run: cpu })),
        names,
        finalCheck: (read) =>
          read(COUNTER) === cpus
            ? null
            : { kind: 'assertion', message: `counter is ${read(COUNTER)} after ${cpus} locked increments` },
      };
    },
  };
}

export const MCS_MODELS: Model[] = [k4(false), k4(true)];
