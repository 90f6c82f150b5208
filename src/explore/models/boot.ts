/**
 * The bring-up races K1, K2 and K8 (HW-4, HW-5) as small effect programs after models.md §6.1
 * and the seed claims: stand-ins until the boot programs of the bring-up issue land, when the
 * real `kstart_ap` and BSP loop replace these threads (the Model interface stays). Thread 0 is
 * the BSP, threads 1..N-1 the APs, all started at once (parallel bring-up, HW-3).
 */
import { MemOrder } from '../../abi/effects.ts';
import type { Model, XProgram } from '../model.ts';
import type { XThread } from '../xthread.ts';

const CPU_COUNT = 0x100;
const ID_BASE = 0x200;
const TRAMP_READY = 0x300;
const PERCPU_INIT = 0x400;
const AP_READY = 0x500;
const ONLINE = 0x600;
const NODE = 0x700;
const NODE_UNSET = -1;

const word = (base: number, i: number) => base + 4 * i;

function names(cpus: number, bases: [number, string][]): Map<number, string> {
  const out = new Map<number, string>([[CPU_COUNT, 'CPU_COUNT']]);
  for (const [base, name] of bases) for (let i = 0; i < cpus; i++) out.set(word(base, i), `${name}[${i}]`);
  return out;
}

/** K1: an AP reads CPU_COUNT and stores it plus one (buggy), or fetch-adds it (fixed). */
function k1(fixed: boolean): Model {
  return {
    name: fixed ? 'k1-fixed' : 'k1',
    description: fixed
      ? 'CPU ids by one atomic fetch-add of CPU_COUNT: every AP gets its own'
      : 'CPU ids by reading CPU_COUNT, then storing it plus one: two APs can take the same id',
    claims: 'HW-4, K1',
    buggy: !fixed,
    memory: 'sc',
    cpus: 5,
    cpusMin: 2,
    cpusMax: 16,
    source: 'stand-in for kstart_ap (bring-up issue not landed)',
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
        names: names(cpus, [[ID_BASE, 'cpu_id']]),
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

/**
 * K2: the AP sets the trampoline's ready flag first and AP_READY after its per-CPU setup; the
 * BSP (and the scheduler after it) trusts the first flag. Fixed: one flag, written last, with
 * release order; the BSP reads it with acquire.
 */
function k2(fixed: boolean): Model {
  return {
    name: fixed ? 'k2-fixed' : 'k2',
    description: fixed
      ? 'one readiness flag, written last (release) after the per-CPU setup'
      : 'a second readiness flag beside the trampoline word: the BSP goes on while the AP is half set up',
    claims: 'HW-5, K2',
    buggy: !fixed,
    memory: 'sc',
    cpus: 3,
    cpusMin: 2,
    cpusMax: 8,
    source: 'stand-in for the trampoline handshake (bring-up issue not landed)',
    build: (cpus) => {
      function* ap(t: XThread): XProgram<void> {
        const i = t.index;
        if (!fixed) yield t.store(word(TRAMP_READY, i), 1, MemOrder.Relaxed);
        yield t.store(word(PERCPU_INIT, i), 1, MemOrder.Relaxed); // GDT, IDT, PCR
        yield t.store(word(fixed ? TRAMP_READY : AP_READY, i), 1, MemOrder.Release);
      }
      function* bsp(t: XThread): XProgram<void> {
        for (let i = 1; i < cpus; i++) {
          yield t.await([word(TRAMP_READY, i)], (v) => v[0] === 1, MemOrder.Acquire);
          const init = (yield t.load(word(PERCPU_INIT, i), MemOrder.Relaxed)) as number;
          yield* t.check(init === 1, 'assertion', `CPU ${i} marked online while half-initialised`);
        }
      }
      return {
        threads: [{ name: 'BSP', run: bsp }, ...range(1, cpus).map((i) => ({ name: `AP${i}`, run: ap }))],
        names: names(cpus, [
          [TRAMP_READY, 'tramp_ready'],
          [PERCPU_INIT, 'percpu_init'],
          [AP_READY, 'AP_READY'],
        ]),
      };
    },
  };
}

/** K8: the AP becomes visible (online) before it writes its NUMA node. Fixed: node first. */
function k8(fixed: boolean): Model {
  return {
    name: fixed ? 'k8-fixed' : 'k8',
    description: fixed
      ? 'the NUMA node is written before the CPU becomes visible (release)'
      : 'the NUMA node is written after the CPU becomes visible: the scheduler sees no node',
    claims: 'HW-5, K8',
    buggy: !fixed,
    memory: 'sc',
    cpus: 3,
    cpusMin: 2,
    cpusMax: 8,
    source: 'stand-in for the AP NUMA setup (bring-up issue not landed)',
    build: (cpus) => {
      function* ap(t: XThread): XProgram<void> {
        const i = t.index;
        const node = i % 2;
        if (fixed) yield t.store(word(NODE, i), node, MemOrder.Relaxed);
        yield t.store(word(ONLINE, i), 1, MemOrder.Release);
        if (!fixed) yield t.store(word(NODE, i), node, MemOrder.Relaxed);
      }
      function* scheduler(t: XThread): XProgram<void> {
        for (let i = 1; i < cpus; i++) {
          yield t.await([word(ONLINE, i)], (v) => v[0] === 1, MemOrder.Acquire);
          const node = (yield t.load(word(NODE, i), MemOrder.Relaxed)) as number;
          yield* t.check(node !== NODE_UNSET, 'assertion', `CPU ${i} is online with no NUMA node`);
        }
      }
      return {
        threads: [
          { name: 'BSP', run: scheduler },
          ...range(1, cpus).map((i) => ({ name: `AP${i}`, run: ap })),
        ],
        init: range(1, cpus).map((i) => [word(NODE, i), NODE_UNSET] as const),
        names: names(cpus, [
          [ONLINE, 'online'],
          [NODE, 'numa_node'],
        ]),
      };
    },
  };
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
}

export const BOOT_MODELS: Model[] = [k1(false), k1(true), k2(false), k2(true), k8(false), k8(true)];
