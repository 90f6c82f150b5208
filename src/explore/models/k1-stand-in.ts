/**
 * K1 (HW-4) as the stand-in effect program the explorer was built with (models.md §6.1): APs
 * take ids from CPU_COUNT, the BSP waits for them all. `k1` and `k1-fixed` are now the real
 * bring-up code (boot.ts); this is kept as `k1-stand-in` and `k1-stand-in-fixed`, the counter
 * race alone, so the cost of running the real code (its masks, table scan and handshakes) can be
 * measured against it.
 */
import { MemOrder } from '../../abi/effects.ts';
import type { Model, XProgram } from '../model.ts';
import type { XThread } from '../xthread.ts';

const CPU_COUNT = 0x100;
const ID_BASE = 0x200;
const word = (base: number, i: number) => base + 4 * i;

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
}

function names(cpus: number): Map<number, string> {
  const out = new Map<number, string>([[CPU_COUNT, 'CPU_COUNT']]);
  for (let i = 0; i < cpus; i++) out.set(word(ID_BASE, i), `cpu_id[${i}]`);
  return out;
}

/** K1: an AP reads CPU_COUNT and stores it plus one (buggy), or fetch-adds it (fixed). */
export function k1StandIn(fixed: boolean): Model {
  return {
    name: fixed ? 'k1-stand-in-fixed' : 'k1-stand-in',
    description: fixed
      ? 'CPU ids by one atomic fetch-add of CPU_COUNT: every AP gets its own'
      : 'CPU ids by reading CPU_COUNT, then storing it plus one: two APs can take the same id',
    claims: 'HW-4, K1',
    buggy: !fixed,
    memory: 'sc',
    cpus: 5,
    cpusMin: 2,
    cpusMax: 16,
    source: 'stand-in for kstart_ap after models.md §6.1 (the real code is k1)',
    build: (cpus) => {
      function* ap(t: XThread): XProgram<void> {
        let id: number;
        if (fixed) id = (yield t.fetchAdd(CPU_COUNT, 1)) as number;
        else {
          id = (yield t.load(CPU_COUNT, MemOrder.Relaxed)) as number;
          yield t.store(CPU_COUNT, id + 1, MemOrder.Relaxed);
        }
        yield t.store(word(ID_BASE, t.index), id, MemOrder.Release);
      }
      function* bsp(t: XThread): XProgram<void> {
        // The BSP waits for every AP to count itself in (Redox: up to 10 s, then it goes on).
        yield t.await([CPU_COUNT], (v) => v[0] === cpus);
      }
      return {
        threads: [{ name: 'BSP', run: bsp }, ...range(1, cpus).map((i) => ({ name: `AP${i}`, run: ap }))],
        init: [[CPU_COUNT, 1]],
        names: names(cpus),
        finalCheck: (read) => {
          const owner = new Map<number, number>();
          for (let i = 1; i < cpus; i++) {
            const id = read(word(ID_BASE, i));
            const other = owner.get(id);
            if (other !== undefined) {
              return {
                kind: 'duplicate-cpu-id',
                message: `AP${other} and AP${i} both took logical CPU id ${id}`,
              };
            }
            owner.set(id, i);
          }
          return null;
        },
      };
    },
  };
}
