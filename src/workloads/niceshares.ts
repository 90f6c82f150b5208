/**
 * `niceshares`: CPU shares of CPU-bound threads at chosen nice levels (SCHED-3, SCHED-7's
 * SCHED_OTHER part). Each thread sets its nice with setpriority, waits on a start word, and
 * counts the 100 µs chunks of work it completes; the main thread reads the counters at the two
 * ends of a window. Shares are compared with what the weight table gives (models.md §4.1). A
 * second phase runs `equal` threads at nice 0 and publishes Jain's fairness index of their
 * shares, (Σx)² / (n·Σx²): 1 when all are equal.
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { PRIO_PROCESS } from '../abi/sched.ts';
import { errno } from '../libc/errno.ts';
import { setpriority } from '../libc/sched.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { futex_wait, futex_wake, mmap_anonymous } from '../libc/sys.ts';
import { sleep_ns } from '../libc/time.ts';
import { type GuestProgram, intArg, intsArg, type ProgramArgs } from './program.ts';
import { NS_PER_MS, publish } from './common.ts';

/** Linux's sched_prio_to_weight, indexed by nice + 20 (guest code has its own copy of the ABI table). */
const NICE_TO_WEIGHT = [
  88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904, 3906, 3121,
  2501, 1991, 1586, 1277, 1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87, 70, 56, 45, 36, 29, 23,
  18, 15,
];
/** 100 µs at 3 GHz. */
const CHUNK_CYCLES = 300_000;
const WARMUP_NS = 50_000_000;

interface WorkerArgs {
  nice: number;
  /** Word 0: the start flag; word 1: the stop flag; words 2..: each worker's chunk counter. */
  block: number;
  index: number;
}

function* worker(t: Guest, raw: unknown): Program<number> {
  const a = raw as WorkerArgs;
  if ((yield* setpriority(t, PRIO_PROCESS, 0, a.nice)) !== 0) {
    throw new Error(`niceshares: setpriority(${a.nice}) failed (errno ${errno(t)})`);
  }
  while (((yield t.atomic(AtomicOp.Load, a.block)) as number) === 0) yield* futex_wait(t, a.block, 0);
  const counter = a.block + 8 + 4 * a.index;
  while (t.load32(a.block + 4) === 0) {
    yield t.compute(CHUNK_CYCLES);
    t.store32(counter, t.load32(counter) + 1);
  }
  return 0;
}

/** Runs one thread per nice level for the window; returns each one's chunks inside it. */
function* phase(t: Guest, nices: number[], windowNs: number): Program<number[]> {
  const block = yield* mmap_anonymous(t, 4096);
  const threads: pthread_t[] = [];
  for (let index = 0; index < nices.length; index++) {
    const [err, th] = yield* pthread_create(t, null, worker, { nice: nices[index]!, block, index });
    if (err !== 0) throw new Error(`niceshares: pthread_create failed (${err})`);
    threads.push(th);
  }
  yield* sleep_ns(t, 2_000_000); // every worker has set its nice and waits
  yield t.atomic(AtomicOp.Store, block, 1);
  yield* futex_wake(t, block, 0x7fffffff);
  yield* sleep_ns(t, WARMUP_NS);
  const read = () => nices.map((_, i) => t.load32(block + 8 + 4 * i));
  const before = read();
  yield* sleep_ns(t, windowNs);
  const after = read();
  t.store32(block + 4, 1);
  for (const th of threads) yield* pthread_join(t, th);
  return after.map((v, i) => v - before[i]!);
}

export function jainIndex(values: readonly number[]): number {
  const sum = values.reduce((s, v) => s + v, 0);
  const squares = values.reduce((s, v) => s + v * v, 0);
  return squares === 0 ? 0 : (sum * sum) / (values.length * squares);
}

function* niceSharesMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const nices = intsArg(args, 'nices');
  const windowNs = intArg(args, 'window_ms') * NS_PER_MS;
  const out: Record<string, number> = {};
  const chunks = yield* phase(t, nices, windowNs);
  const total = chunks.reduce((s, v) => s + v, 0);
  const weights = nices.map((n) => NICE_TO_WEIGHT[n + 20]!);
  const weightSum = weights.reduce((s, w) => s + w, 0);
  let worst = 0;
  nices.forEach((_, i) => {
    const share = chunks[i]! / total;
    const expected = weights[i]! / weightSum;
    out[`share_${i}`] = share;
    out[`expected_${i}`] = expected;
    worst = Math.max(worst, Math.abs(share / expected - 1));
  });
  out.max_error_pct = 100 * worst;
  const equal = intArg(args, 'equal');
  if (equal > 0) {
    const same = yield* phase(t, new Array<number>(equal).fill(0), windowNs);
    out.jain = jainIndex(same);
  }
  publish(t, 'niceshares', out);
  return 0;
}

export const NICESHARES: GuestProgram = {
  image: { name: 'niceshares', main: niceSharesMain } satisfies ProgramImage,
  doc: 'CPU shares of threads at nice levels (setpriority) against the weight table; Jain index of equal threads',
  claims: ['SCHED-3', 'SCHED-7'],
  params: [
    {
      name: 'nices',
      kind: 'ints',
      min: -20,
      max: 19,
      maxLength: 16,
      doc: 'one CPU-bound thread per nice value',
      fallback: [-5, 0, 5],
    },
    {
      name: 'equal',
      kind: 'int',
      min: 0,
      max: 64,
      doc: 'threads at nice 0 for the Jain-index phase (0: skip)',
      fallback: 4,
    },
    {
      name: 'window_ms',
      kind: 'int',
      min: 10,
      max: 100_000,
      doc: 'measurement window of each phase',
      fallback: 1000,
    },
  ],
};
