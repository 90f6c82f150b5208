/**
 * A worked guest program (issue 22): `threads` threads each add 1 to a shared counter
 * `increments` times under one pthread mutex, computing `work_cycles` between increments. It
 * publishes the elapsed time, the counter and the lock's cost per increment, which the report
 * shows as `workload.counter.<key>` metrics; it checks its own result, and a wrong count throws,
 * which is a guest fault (the process is killed: `processes.killed` 1) and not a crash.
 *
 *   [[workload]]
 *   kind = "program"
 *   module = "../../examples/programs/counter.ts"   # relative to the scenario file
 *   threads = 4
 *   increments = 200
 */
import {
  clock_gettime_ns,
  type Guest,
  type GuestProgram,
  intArg,
  mmap_anonymous,
  type Program,
  type ProgramArgs,
  publish,
  pthread_create,
  pthread_join,
  pthread_mutex_lock,
  pthread_mutex_new,
  pthread_mutex_unlock,
  type pthread_t,
} from 'smpsim/guest';

interface Shared {
  mutex: number;
  counter: number;
  increments: number;
  workCycles: number;
}

function* adder(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  for (let i = 0; i < s.increments; i++) {
    yield t.compute(s.workCycles);
    yield* pthread_mutex_lock(t, s.mutex);
    t.store32(s.counter, t.load32(s.counter) + 1); // a plain read-modify-write: the mutex makes it safe
    yield* pthread_mutex_unlock(t, s.mutex);
  }
  return 0;
}

function* counterMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const threads = intArg(args, 'threads');
  const s: Shared = {
    mutex: yield* pthread_mutex_new(t),
    counter: yield* mmap_anonymous(t, 4096),
    increments: intArg(args, 'increments'),
    workCycles: intArg(args, 'work_cycles'),
  };
  const t0 = yield* clock_gettime_ns(t);
  const handles: pthread_t[] = [];
  for (let i = 0; i < threads; i++) {
    const [err, th] = yield* pthread_create(t, null, adder, s);
    if (err !== 0) throw new Error(`counter: pthread_create failed (${err})`);
    handles.push(th);
  }
  for (const th of handles) yield* pthread_join(t, th);
  const elapsedNs = (yield* clock_gettime_ns(t)) - t0;
  const count = t.load32(s.counter);
  const expected = threads * s.increments + intArg(args, 'expect_extra');
  publish(t, 'counter', {
    elapsedNs,
    count,
    nsPerIncrement: Math.round(elapsedNs / (threads * s.increments)),
  });
  // The program's own check: a failure is a guest fault, reported, not a simulator crash.
  if (count !== expected) throw new Error(`counter: counted ${count}, expected ${expected}`);
  return 0;
}

export const program: GuestProgram = {
  image: { name: 'counter', main: counterMain },
  doc: 'threads adding to one counter under a pthread mutex: the lock hand-off cost per increment',
  claims: [],
  params: [
    { name: 'threads', kind: 'int', min: 1, max: 64, doc: 'adding threads', fallback: 4 },
    { name: 'increments', kind: 'int', min: 1, max: 1_000_000, doc: 'increments per thread', fallback: 100 },
    {
      name: 'work_cycles',
      kind: 'int',
      min: 0,
      max: 10_000_000,
      doc: 'cycles computed between increments',
      fallback: 3000,
    },
    {
      name: 'expect_extra',
      kind: 'int',
      min: 0,
      max: 1,
      doc: 'a deliberately wrong expectation (1) to see a guest fault in the report',
      fallback: 0,
    },
  ],
};
