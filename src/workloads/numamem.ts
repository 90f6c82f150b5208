/**
 * `numamem` (SCHED-6, HW-14): memory-bound threads whose data lives on their NUMA node. Thread i
 * is created on node `per_node` says (pinned to that node's CPUs by
 * pthread_attr_setaffinity_np), maps its buffer there (first touch puts the pages on the node it
 * runs on), unpins itself to every CPU, and then computes `chunks` bursts of `chunk_cycles`, of
 * which `mem_permille` thousandths stall on that buffer: on a CPU of the other node they stretch
 * by the SLIT ratio. Thread i's burst count grows with i % 3, so CPUs run dry at different times
 * and idle CPUs steal. The guest finds the nodes as Linux's sysfs would describe topology.ts's
 * layout: `nodes` equal blocks of consecutive CPU ids.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { sched_getaffinity_cpus, sched_setaffinity_cpus } from '../libc/sched.ts';
import { mmap_anonymous } from '../libc/sys.ts';
import { clock_gettime_ns } from '../libc/time.ts';
import { attrOnCpus, type GuestProgram, intArg, intsArg, type ProgramArgs } from './program.ts';
import { CHUNK_CYCLES_PARAM, publish } from './common.ts';

const BUFFER_BYTES = 64 * 1024;

interface MemArgs {
  online: number[];
  chunks: number;
  chunkCycles: number;
  memPermille: number;
  failures: number[];
}

function* memWorker(t: Guest, raw: unknown): Program<number> {
  const a = raw as MemArgs;
  const buffer = yield* mmap_anonymous(t, BUFFER_BYTES);
  if (buffer < 0) a.failures.push(buffer);
  t.store32(buffer, t.tid); // the first touch
  const r = yield* sched_setaffinity_cpus(t, 0, a.online);
  if (r !== 0) a.failures.push(r);
  for (let i = 0; i < a.chunks; i++) yield t.computeMem(a.chunkCycles, buffer, a.memPermille);
  return 0;
}

function* numamemMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const perNode = intsArg(args, 'per_node');
  const online = yield* sched_getaffinity_cpus(t, 0);
  if (typeof online === 'number') throw new Error(`numamem: sched_getaffinity failed (${online})`);
  const nodes = perNode.length;
  if (online.length % nodes !== 0)
    throw new Error(`numamem: ${online.length} CPUs do not split into ${nodes} nodes`);
  const perNodeCpus = online.length / nodes;
  const failures: number[] = [];
  const t0 = yield* clock_gettime_ns(t);
  const handles: pthread_t[] = [];
  let index = 0;
  for (let node = 0; node < nodes; node++) {
    const cpuset = online.slice(node * perNodeCpus, (node + 1) * perNodeCpus);
    for (let k = 0; k < perNode[node]!; k++, index++) {
      const memArgs: MemArgs = {
        online,
        chunks: intArg(args, 'chunks') * (1 + (index % 3)),
        chunkCycles: intArg(args, 'chunk_cycles'),
        memPermille: intArg(args, 'mem_permille'),
        failures,
      };
      const [err, th] = yield* pthread_create(t, attrOnCpus(cpuset), memWorker, memArgs);
      if (err !== 0) throw new Error(`numamem: pthread_create failed (${err})`);
      handles.push(th);
    }
  }
  for (const th of handles) yield* pthread_join(t, th);
  const elapsedNs = (yield* clock_gettime_ns(t)) - t0;
  publish(t, 'numamem', { elapsedNs, threads: index, failures: failures.length });
  return 0;
}

export const NUMAMEM: GuestProgram = {
  image: { name: 'numamem', main: numamemMain } satisfies ProgramImage,
  doc: 'memory-bound threads with their data on their NUMA node; remote CPUs run them slower',
  claims: ['SCHED-6', 'HW-14'],
  params: [
    {
      name: 'per_node',
      kind: 'ints',
      min: 0,
      max: 256,
      maxLength: 64,
      doc: 'threads born on each node (one entry per node)',
    },
    {
      name: 'chunks',
      kind: 'int',
      min: 1,
      max: 1_000_000,
      doc: 'bursts of thread 0 (i % 3 more for thread i)',
    },
    CHUNK_CYCLES_PARAM,
    {
      name: 'mem_permille',
      kind: 'int',
      min: 0,
      max: 1000,
      doc: 'thousandths of each burst stalled on memory',
      fallback: 600,
    },
  ],
};
