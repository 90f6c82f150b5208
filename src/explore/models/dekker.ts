/**
 * Dekker's mutual exclusion for two CPUs (Dijkstra, EWD123): each raises its flag and enters
 * if the other's is down, else defers by `turn`. Correct under SC; under x86-TSO each CPU's
 * flag store can sit in its store buffer while it reads the other's flag, both read 0 and both
 * enter (the SB litmus shape). `dekker-fenced` puts an MFENCE (seq_cst fence) between the store
 * and the load. The critical section is a plain read-modify-write of a shared word, so a
 * failure shows as a data race and a lost increment.
 */
import { MemOrder } from '../../abi/effects.ts';
import type { Model, XProgram } from '../model.ts';
import type { XThread } from '../xthread.ts';

const FLAG = [0x100, 0x104] as const;
const TURN = 0x108;
const DATA = 0x10c;

function* raise(t: XThread, me: number, fenced: boolean): XProgram<void> {
  yield t.store(FLAG[me]!, 1, MemOrder.Release);
  if (fenced) yield t.fence(MemOrder.SeqCst);
}

function* dekkerThread(t: XThread, fenced: boolean): XProgram<void> {
  const me = t.index;
  const other = 1 - me;
  yield* raise(t, me, fenced);
  for (;;) {
    if ((yield t.load(FLAG[other]!, MemOrder.Acquire)) === 0) break;
    if ((yield t.load(TURN, MemOrder.Acquire)) !== me) {
      yield t.store(FLAG[me]!, 0, MemOrder.Release);
      yield t.await([TURN], (v) => v[0] === me);
      yield* raise(t, me, fenced);
    } else {
      yield t.await([FLAG[other]!, TURN], (v) => v[0] === 0 || v[1] !== me);
    }
  }
  const x = (yield t.load(DATA, MemOrder.Plain)) as number; // the critical section
  yield t.store(DATA, x + 1, MemOrder.Plain);
  yield t.store(TURN, other, MemOrder.Release);
  yield t.store(FLAG[me]!, 0, MemOrder.Release);
}

function dekker(fenced: boolean): Model {
  return {
    name: fenced ? 'dekker-fenced' : 'dekker',
    description: fenced
      ? "Dekker's algorithm with an MFENCE after raising the flag: mutual exclusion under TSO"
      : "Dekker's algorithm without a fence: under x86-TSO both CPUs enter",
    claims: 'TSO store buffering',
    buggy: !fenced,
    memory: 'tso',
    cpus: 2,
    cpusMin: 2,
    cpusMax: 2,
    source: 'textbook algorithm',
    build: () => ({
      threads: [0, 1].map((i) => ({ name: `CPU${i}`, run: (t: XThread) => dekkerThread(t, fenced) })),
      names: new Map([
        [FLAG[0], 'flag0'],
        [FLAG[1], 'flag1'],
        [TURN, 'turn'],
        [DATA, 'data'],
      ]),
      finalCheck: (read) =>
        read(DATA) === 2
          ? null
          : { kind: 'assertion', message: `data is ${read(DATA)} after two critical sections` },
    }),
  };
}

export const DEKKER_MODELS: Model[] = [dekker(false), dekker(true)];
