/**
 * The classic litmus tests (Sewell et al., "x86-TSO", CACM 2010; Alglave et al., "Herding
 * cats", TOPLAS 2014), each a model whose outcome is its registers: SB (store buffering), MP
 * (message passing), LB (load buffering) and IRIW (independent reads of independent writes).
 * x86-TSO allows only SB's relaxed outcome; PSO adds MP's; none of these models allows LB's or
 * IRIW's (loads are not reordered with later stores, and memory is one copy).
 */
import { MemOrder } from '../../abi/effects.ts';
import type { Model, XProgram } from '../model.ts';
import type { XThread } from '../xthread.ts';

const X = 0x100;
const Y = 0x104;
const R = MemOrder.Relaxed;

type Body = (t: XThread, regs: number[]) => XProgram<void>;

function litmus(name: string, description: string, bodies: Body[], registers: number): Model {
  return {
    name: `litmus-${name}`,
    description,
    claims: 'memory models',
    buggy: false,
    memory: 'tso',
    cpus: bodies.length,
    cpusMin: bodies.length,
    cpusMax: bodies.length,
    source: 'litmus test',
    build: () => {
      const regs = new Array<number>(registers).fill(0);
      return {
        threads: bodies.map((body, i) => ({ name: `P${i}`, run: (t: XThread) => body(t, regs) })),
        names: new Map([
          [X, 'x'],
          [Y, 'y'],
        ]),
        outcome: () => regs.map((v, i) => `r${i}=${v}`).join(' '),
      };
    },
  };
}

export const LITMUS_MODELS: Model[] = [
  litmus(
    'sb',
    'SB: P0 x=1; r0=y || P1 y=1; r1=x',
    [
      function* (t, r) {
        yield t.store(X, 1, R);
        r[0] = (yield t.load(Y, R)) as number;
      },
      function* (t, r) {
        yield t.store(Y, 1, R);
        r[1] = (yield t.load(X, R)) as number;
      },
    ],
    2,
  ),
  litmus(
    'mp',
    'MP: P0 x=1; y=1 || P1 r0=y; r1=x',
    [
      function* (t) {
        yield t.store(X, 1, R);
        yield t.store(Y, 1, R);
      },
      function* (t, r) {
        r[0] = (yield t.load(Y, R)) as number;
        r[1] = (yield t.load(X, R)) as number;
      },
    ],
    2,
  ),
  litmus(
    'lb',
    'LB: P0 r0=x; y=1 || P1 r1=y; x=1',
    [
      function* (t, r) {
        r[0] = (yield t.load(X, R)) as number;
        yield t.store(Y, 1, R);
      },
      function* (t, r) {
        r[1] = (yield t.load(Y, R)) as number;
        yield t.store(X, 1, R);
      },
    ],
    2,
  ),
  litmus(
    'iriw',
    'IRIW: P0 x=1 || P1 y=1 || P2 r0=x; r1=y || P3 r2=y; r3=x',
    [
      function* (t) {
        yield t.store(X, 1, R);
      },
      function* (t) {
        yield t.store(Y, 1, R);
      },
      function* (t, r) {
        r[0] = (yield t.load(X, R)) as number;
        r[1] = (yield t.load(Y, R)) as number;
      },
      function* (t, r) {
        r[2] = (yield t.load(Y, R)) as number;
        r[3] = (yield t.load(X, R)) as number;
      },
    ],
    4,
  ),
];
