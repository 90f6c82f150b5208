/**
 * K4: an MCS queue lock (models-2.md §13.1, after Linux kernel/locking/mcs_spinlock.h) taken once
 * by each CPU around an increment of a shared counter (READ_ONCE/WRITE_ONCE: marked, so the race
 * detector leaves it to the count check). The handoff is a store of the successor's `locked`
 * word and the successor's spin on it: `k4` does them Relaxed, `k4-fixed` with store-release
 * and load-acquire. x86-TSO keeps stores in order, so the bug hides there; under PSO the
 * handoff store overtakes the counter's and an increment is lost. The tail exchange and the
 * release's compare-exchange are full barriers (locked instructions) in both. A stand-in for
 * the kernel MCS lock of the lock issue (SCHED-10), which would replace it.
 */
import { MemOrder } from '../../abi/effects.ts';
import type { Model, XProgram } from '../model.ts';
import type { XThread } from '../xthread.ts';

const TAIL = 0x100;
const COUNTER = 0x104;
const LOCKED = 0x200;
const NEXT = 0x300;
const word = (base: number, i: number) => base + 4 * i;

function* mcsLock(t: XThread, fixed: boolean): XProgram<void> {
  const me = t.index + 1; // node ids: 0 is NULL
  yield t.store(word(LOCKED, me), 0, MemOrder.Relaxed);
  yield t.store(word(NEXT, me), 0, MemOrder.Relaxed);
  const prev = (yield t.xchg(TAIL, me)) as number;
  if (prev === 0) return;
  yield t.store(word(NEXT, prev), me, MemOrder.Relaxed); // WRITE_ONCE(prev->next, node)
  yield t.await([word(LOCKED, me)], (v) => v[0] === 1, fixed ? MemOrder.Acquire : MemOrder.Relaxed);
}

function* mcsUnlock(t: XThread, fixed: boolean): XProgram<void> {
  const me = t.index + 1;
  let next = (yield t.load(word(NEXT, me), MemOrder.Relaxed)) as number;
  if (next === 0) {
    if ((yield t.cas(TAIL, me, 0)) === me) return;
    // A successor swapped itself in but has not linked yet: wait for its link.
    const [linked] = (yield t.await([word(NEXT, me)], (v) => v[0] !== 0, MemOrder.Relaxed)) as number[];
    next = linked!;
  }
  yield t.store(word(LOCKED, next), 1, fixed ? MemOrder.Release : MemOrder.Relaxed);
}

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
    source: 'stand-in for the kernel MCS lock (models-2.md §13.1)',
    build: (cpus) => {
      function* cpu(t: XThread): XProgram<void> {
        yield* mcsLock(t, fixed);
        const c = (yield t.load(COUNTER, MemOrder.Relaxed)) as number;
        yield t.store(COUNTER, c + 1, MemOrder.Relaxed);
        yield* mcsUnlock(t, fixed);
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
