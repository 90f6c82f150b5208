/**
 * `bursty`: threads that compute a burst, sleep, and compute again, the load pattern CPU-frequency
 * governors are tuned for (HW-15). Each thread, for `duration_ms`, sleeps `gap_us` and then
 * computes `burst_cycles`; a burst's latency is from when its sleep should have ended (the
 * release) to when its work is done, so it holds the wakeup delay and the burst's run time at
 * whatever clock the CPU then has. It publishes the bursts completed (the work done), the
 * latency percentiles and the busy share the bursts asked for at the nominal clock.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import { percentileOf } from './percentile.ts';
import { type GuestProgram, intArg, type ProgramArgs } from './program.ts';

interface WorkerArgs {
  burstCycles: number;
  gapNs: number;
  endNs: number;
  latenciesNs: number[];
}

function* worker(t: Guest, raw: unknown): Program<number> {
  const a = raw as WorkerArgs;
  for (;;) {
    const before = yield* clock_gettime_ns(t);
    if (before + a.gapNs >= a.endNs) return 0;
    yield* sleep_ns(t, a.gapNs);
    yield t.compute(a.burstCycles);
    const done = yield* clock_gettime_ns(t);
    a.latenciesNs.push(done - (before + a.gapNs));
  }
}

function* burstyMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const threads = intArg(args, 'threads');
  const start = yield* clock_gettime_ns(t);
  const latenciesNs: number[] = [];
  const shared: WorkerArgs = {
    burstCycles: intArg(args, 'burst_cycles'),
    gapNs: intArg(args, 'gap_us') * 1000,
    endNs: start + intArg(args, 'duration_ms') * 1_000_000,
    latenciesNs,
  };
  const handles: pthread_t[] = [];
  for (let i = 0; i < threads; i++) {
    const [err, th] = yield* pthread_create(t, null, worker, shared);
    if (err !== 0) throw new Error(`bursty: pthread_create failed (${err})`);
    handles.push(th);
  }
  for (const th of handles) yield* pthread_join(t, th);
  const sorted = [...latenciesNs].sort((x, y) => x - y);
  t.data.output = {
    ...(t.data.output as object),
    bursty: {
      bursts: sorted.length,
      p50_us: percentileOf(sorted, 50) / 1000,
      p99_us: percentileOf(sorted, 99) / 1000,
      max_us: (sorted.at(-1) ?? 0) / 1000,
    },
  };
  return 0;
}

export const BURSTY: GuestProgram = {
  image: { name: 'bursty', main: burstyMain } satisfies ProgramImage,
  doc: 'threads alternating a sleep and a compute burst: bursts done and burst latency (cpufreq governors, HW-15)',
  claims: ['HW-15'],
  params: [
    { name: 'threads', kind: 'int', min: 1, max: 256, doc: 'threads, each bursting on its own', fallback: 4 },
    {
      name: 'burst_cycles',
      kind: 'int',
      min: 1,
      max: 10_000_000_000,
      doc: 'cycles of one burst (3,000,000 = 1 ms at 3 GHz)',
      fallback: 3_000_000,
    },
    { name: 'gap_us', kind: 'int', min: 1, max: 10_000_000, doc: 'sleep before each burst', fallback: 4000 },
    {
      name: 'duration_ms',
      kind: 'int',
      min: 1,
      max: 600_000,
      doc: 'how long the threads keep bursting',
      fallback: 500,
    },
  ],
};
