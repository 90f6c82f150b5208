/**
 * `primes` (SCHED-13, RING-6): segmented prime counting partitioned by worker index, in process
 * mode (one worker process each, results in a MAP_SHARED page) or thread mode (sibling threads).
 * Workers charge simulated cycles for the divisions they really did. The parent times the
 * section from the first spawn to the last reap and publishes counts, checksum and intervals.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { MAP_SHARED, WIFEXITED, WEXITSTATUS } from '../abi/syscalls.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { spawn, waitpid } from '../libc/process.ts';
import { mmap_anonymous } from '../libc/sys.ts';
import { clock_gettime_ns } from '../libc/time.ts';
import {
  basePrimes,
  CYCLES_PER_CANDIDATE,
  CYCLES_PER_DIVISION,
  trialDivide,
  workerSegments,
} from './primes-math.ts';
import { publish } from './common.ts';
import { primesCapringMain } from './primes-capring.ts';
import { ABI_ENV } from '../abi/capring.ts';

export interface PrimesArgs {
  mode: 'process' | 'thread';
  workers: number;
  range: [number, number];
  segment: number;
  partition: 'interleaved' | 'contiguous';
  /** capring only: ns each worker sleeps on its ring after every segment (primes-capring.ts). */
  sleepNs?: number;
  /** The cost model's divisionCycles / candidateCycles when a scenario's [costs] set them. */
  divisionCycles?: number;
  candidateCycles?: number;
}

/** What the parent publishes in its process data under `output.primes`. */
export interface PrimesOutput {
  count: number;
  sum: number;
  divisions: number;
  elapsedNs: number;
  /** [start, end] of each worker's compute, simulated ns. */
  intervals: [number, number][];
  failedWorkers: number;
}

/** Integers a worker tests between two compute effects: keeps effects fine-grained. */
const CHUNK = 2000;
/** Words per worker in the results area: count, sum, divisions (2 words), start (2), end (2). */
export const SLOT_WORDS = 8;

export interface WorkerArgs extends PrimesArgs {
  index: number;
  results: number;
}

/** A worker's tally of its segments. */
export interface WorkerTally {
  count: number;
  sum: number;
  divisions: number;
}

function* worker(t: Guest, raw: unknown): Program<number> {
  const a = raw as WorkerArgs;
  const startNs = yield* clock_gettime_ns(t);
  const tally = yield* countSegments(t, a);
  const endNs = yield* clock_gettime_ns(t);
  storeResult(t, a, tally, startNs, endNs);
  return 0;
}

/** The worker's compute: its segments by trial division, charging the cycles it really spent. */
export function* countSegments(
  t: Guest,
  a: WorkerArgs,
  afterSegment: (() => Program<void>) | null = null,
): Program<WorkerTally> {
  const bases = basePrimes(Math.ceil(Math.sqrt(a.range[1])));
  const perDivision = a.divisionCycles ?? CYCLES_PER_DIVISION;
  const perCandidate = a.candidateCycles ?? CYCLES_PER_CANDIDATE;
  yield t.compute(Math.round(bases.length * 8 * perCandidate));
  let count = 0;
  let sum = 0;
  let divisions = 0;
  for (const [lo, hi] of workerSegments(a.range, a.segment, a.workers, a.index, a.partition)) {
    for (let from = lo; from < hi; from += CHUNK) {
      const to = Math.min(hi, from + CHUNK);
      const r = trialDivide(from, to, bases);
      count += r.count;
      sum = (sum + r.sum) >>> 0;
      divisions += r.divisions;
      // A calibrated charge may be a fraction of a cycle; a compute burst is whole cycles.
      yield t.compute(Math.round(r.divisions * perDivision + (to - from) * perCandidate));
    }
    if (afterSegment !== null) yield* afterSegment(); // capring's ring sleep (issue 20)
  }
  return { count, sum, divisions };
}

/** Writes a worker's tally and interval into its slot of the results page. */
export function storeResult(t: Guest, a: WorkerArgs, r: WorkerTally, startNs: number, endNs: number): void {
  const slot = a.results + a.index * SLOT_WORDS * 4;
  t.store32(slot, r.count);
  t.store32(slot + 4, r.sum);
  t.store32(slot + 8, r.divisions % 0x100000000);
  t.store32(slot + 12, Math.floor(r.divisions / 0x100000000));
  storeTime(t, slot + 16, startNs);
  storeTime(t, slot + 24, endNs);
}

/** A worker as a program image, for process mode. */
export const PRIMES_WORKER: ProgramImage = { name: 'primes-worker', main: worker };

function storeTime(t: Guest, addr: number, ns: number): void {
  t.store32(addr, ns % 0x100000000);
  t.store32(addr + 4, Math.floor(ns / 0x100000000));
}

function loadTime(t: Guest, addr: number): number {
  return t.load32(addr) + t.load32(addr + 4) * 0x100000000;
}

/** The parent: maps the results page, starts the workers, reaps them, sums and publishes. */
export function* primesMain(t: Guest, raw: unknown): Program<number> {
  const a = raw as PrimesArgs;
  // On the capring personality every call is a ring call (issue 20).
  if (t.env[ABI_ENV] === 'capring') return yield* primesCapringMain(t, a);
  const bytes = a.workers * SLOT_WORDS * 4;
  const results = yield* mmap_anonymous(t, bytes, MAP_SHARED);
  if (results < 0) throw new Error('primes: cannot map the results page');
  const t0 = yield* clock_gettime_ns(t);
  let failed = 0;
  if (a.mode === 'process') {
    const pids: number[] = [];
    for (let index = 0; index < a.workers; index++) {
      const pid = yield* spawn(t, PRIMES_WORKER, { ...a, index, results } satisfies WorkerArgs);
      if (pid < 0) throw new Error(`primes: spawn failed (${pid})`);
      pids.push(pid);
    }
    for (const pid of pids) {
      const [reaped, status] = yield* waitpid(t, pid);
      if (reaped !== pid || !WIFEXITED(status) || WEXITSTATUS(status) !== 0) failed++;
    }
  } else {
    const threads: pthread_t[] = [];
    for (let index = 0; index < a.workers; index++) {
      const [err, th] = yield* pthread_create(t, null, worker, { ...a, index, results } satisfies WorkerArgs);
      if (err !== 0) throw new Error(`primes: pthread_create failed (${err})`);
      threads.push(th);
    }
    for (const th of threads) {
      const [err] = yield* pthread_join(t, th);
      if (err !== 0) failed++;
    }
  }
  const t1 = yield* clock_gettime_ns(t);
  publish(t, 'primes', collect(t, a, results, t1 - t0, failed));
  return failed === 0 ? 0 : 1;
}

export function collect(
  t: Guest,
  a: PrimesArgs,
  results: number,
  elapsedNs: number,
  failed: number,
): PrimesOutput {
  const out: PrimesOutput = {
    count: 0,
    sum: 0,
    divisions: 0,
    elapsedNs,
    intervals: [],
    failedWorkers: failed,
  };
  for (let index = 0; index < a.workers; index++) {
    const slot = results + index * SLOT_WORDS * 4;
    out.count += t.load32(slot);
    out.sum = (out.sum + t.load32(slot + 4)) >>> 0;
    out.divisions += t.load32(slot + 8) + t.load32(slot + 12) * 0x100000000;
    out.intervals.push([loadTime(t, slot + 16), loadTime(t, slot + 24)]);
  }
  return out;
}

export const PRIMES_MAIN: ProgramImage = { name: 'primes', main: primesMain };
