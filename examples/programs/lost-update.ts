/**
 * A guest program with a lost update, to explore (issue 17): `threads` threads each add 1 to a
 * shared counter `increments` times as a load and a store (two effects: another CPU can store in
 * between), or, with `atomic = 1`, as one fetch-add. The program checks its count at the end and
 * throws when one was lost, a guest fault the run reports.
 *
 *   smpsim explore examples/programs/lost-update.ts            # finds the lost update
 *   smpsim run examples/programs/lost-update.toml              # the default schedule may not
 */
import {
  AtomicOp,
  type Guest,
  type GuestProgram,
  intArg,
  MemOrder,
  mmap_anonymous,
  type Program,
  type ProgramArgs,
  pthread_create,
  pthread_join,
  type pthread_t,
} from 'smpsim/guest';

interface Shared {
  counter: number;
  increments: number;
  atomic: boolean;
}

function* adder(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  for (let i = 0; i < s.increments; i++) {
    if (s.atomic) {
      yield t.atomic(AtomicOp.FetchAdd, s.counter, 1);
    } else {
      const v = (yield t.load(s.counter, MemOrder.Relaxed)) as number;
      yield t.store(s.counter, v + 1, MemOrder.Relaxed);
    }
  }
  return 0;
}

function* lostUpdateMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const threads = intArg(args, 'threads');
  const s: Shared = {
    counter: yield* mmap_anonymous(t, 4096),
    increments: intArg(args, 'increments'),
    atomic: intArg(args, 'atomic') === 1,
  };
  const handles: pthread_t[] = [];
  for (let i = 0; i < threads; i++) {
    const [err, th] = yield* pthread_create(t, null, adder, s);
    if (err !== 0) throw new Error(`lost-update: pthread_create failed (${err})`);
    handles.push(th);
  }
  for (const th of handles) yield* pthread_join(t, th);
  const count = (yield t.load(s.counter, MemOrder.SeqCst)) as number;
  const expected = threads * s.increments;
  if (count !== expected) throw new Error(`lost-update: counted ${count}, expected ${expected}`);
  return 0;
}

export const program: GuestProgram = {
  image: { name: 'lost-update', main: lostUpdateMain },
  doc: 'threads adding to one counter by a load and a store: an update can be lost',
  claims: [],
  params: [
    { name: 'threads', kind: 'int', min: 1, max: 64, doc: 'adding threads', fallback: 2 },
    { name: 'increments', kind: 'int', min: 1, max: 1_000_000, doc: 'increments per thread', fallback: 2 },
    {
      name: 'atomic',
      kind: 'int',
      min: 0,
      max: 1,
      doc: '1: a fetch-add instead of a load and a store',
      fallback: 0,
    },
  ],
};
