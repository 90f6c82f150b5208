/**
 * `cpuhog` (SCHED-4, SCHED-8): CPU-bound threads that are all born on one CPU. The main thread
 * pins itself to `born_on`, creates the threads with that one-CPU mask
 * (pthread_attr_setaffinity_np), and once all exist resets every mask, theirs and its own, to
 * every online CPU (sched_setaffinity). Each thread then computes `chunks` bursts of
 * `chunk_cycles`. A scheduler that leaves contexts where they were born runs them all on one
 * CPU; one that balances spreads them.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { sched_getaffinity_cpus, sched_setaffinity_cpus } from '../libc/sched.ts';
import { clock_gettime_ns } from '../libc/time.ts';
import { attrOnCpus, type GuestProgram, intArg, type ProgramArgs } from './program.ts';
import { CHUNK_CYCLES_PARAM, publish } from './common.ts';

interface HogArgs {
  chunks: number;
  chunkCycles: number;
}

function* hog(t: Guest, raw: unknown): Program<number> {
  const a = raw as HogArgs;
  for (let i = 0; i < a.chunks; i++) yield t.compute(a.chunkCycles);
  return 0;
}

function* cpuhogMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const threads = intArg(args, 'threads');
  const bornOn = intArg(args, 'born_on');
  const hogArgs: HogArgs = { chunks: intArg(args, 'chunks'), chunkCycles: intArg(args, 'chunk_cycles') };
  const online = yield* sched_getaffinity_cpus(t, 0);
  if (typeof online === 'number') throw new Error(`cpuhog: sched_getaffinity failed (${online})`);
  if (!online.includes(bornOn)) throw new Error(`cpuhog: born_on ${bornOn} is not an online CPU`);
  const t0 = yield* clock_gettime_ns(t);
  const pinned = yield* sched_setaffinity_cpus(t, 0, [bornOn]);
  if (pinned !== 0) throw new Error(`cpuhog: sched_setaffinity failed (${pinned})`);
  const handles: pthread_t[] = [];
  for (let i = 0; i < threads; i++) {
    const [err, th] = yield* pthread_create(t, attrOnCpus([bornOn]), hog, hogArgs);
    if (err !== 0) throw new Error(`cpuhog: pthread_create failed (${err})`);
    handles.push(th);
  }
  let resetFailures = 0;
  for (const th of handles) {
    const tid = t.load32(th); // 0 once the thread has exited
    if (tid !== 0 && (yield* sched_setaffinity_cpus(t, tid, online)) !== 0) resetFailures++;
  }
  if ((yield* sched_setaffinity_cpus(t, 0, online)) !== 0) resetFailures++;
  for (const th of handles) yield* pthread_join(t, th);
  const elapsedNs = (yield* clock_gettime_ns(t)) - t0;
  publish(t, 'cpuhog', { elapsedNs, threads, resetFailures });
  return 0;
}

export const CPUHOG: GuestProgram = {
  image: { name: 'cpuhog', main: cpuhogMain } satisfies ProgramImage,
  doc: 'CPU-bound threads born on one CPU (pinned, then unpinned): does the scheduler spread them?',
  claims: ['SCHED-4', 'SCHED-8'],
  params: [
    { name: 'threads', kind: 'int', min: 1, max: 1024, doc: 'CPU-bound threads', fallback: 8 },
    { name: 'born_on', kind: 'int', min: 0, max: 255, doc: 'the CPU they are all created on', fallback: 0 },
    { name: 'chunks', kind: 'int', min: 1, max: 1_000_000, doc: 'compute bursts per thread' },
    CHUNK_CYCLES_PARAM,
  ],
  check: (args, machine) => {
    const cpu = intArg(args, 'born_on');
    if (cpu < machine.cpus) return null;
    return {
      param: 'born_on',
      problem: `CPU ${cpu} does not exist on ${machine.cpus} CPUs`,
      allowed: `0..${machine.cpus - 1}`,
    };
  },
};
