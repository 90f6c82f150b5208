/**
 * `tlbstress` (HW-8, HW-9; issue 15): guest load on the TLB shootdown paths, in three modes.
 *
 * - `mprotect`: `threads` readers, one per CPU 1..threads, sweep a shared buffer of `pages`
 *   pages (one load a page, then a short compute) while the main thread, on CPU 0, makes it
 *   read-only and writable again `iterations` times: every mprotect is a shootdown to every
 *   reader's CPU. Each reader also sweeps `working_pages` pages of its own: the TLB reach a
 *   full flush throws away and INVLPG keeps (HW-8's TLB miss rate). Publishes `elapsed_ns` (the mprotect loop) and `sweeps` (reader sweeps done).
 * - `munmap`: `threads` workers, one per CPU, each `iterations` times map `pages` pages, touch
 *   them and unmap them. Publishes `elapsed_ns`.
 * - `race`: `owners` threads (CPUs 0..owners-1) each map `pages` pages and touch them; the
 *   `threads` probes (the next CPUs) touch every owner's pages; the owners unmap at once
 *   (concurrent shootdowns of different ranges: K3's window); then each probe asks the kernel
 *   to read every old page (rt_sigprocmask's set pointer: a uaccess read through the probe's
 *   TLB). A correct protocol answers EFAULT every time; a stale translation lets the kernel read
 *   the freed frame, which the kernel reports (tlb.stale_reads). Publishes `efaults` and
 *   `stale_answers` (reads that did not fail), over `iterations` rounds.
 */
import type { Program } from '../abi/effects.ts';
import { AtomicOp } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { SIG_BLOCK, SIG_SETMASK } from '../abi/signal.ts';
import { PROT_READ, PROT_WRITE, SYS_MUNMAP, SYS_RT_SIGPROCMASK } from '../abi/syscalls.ts';
import { pthread_barrier_new, pthread_barrier_wait, type pthread_barrier_t } from '../libc/barrier.ts';
import { pthread_join } from '../libc/join.ts';
import { pthread_create, type pthread_t } from '../libc/pthread.ts';
import { sched_setaffinity_cpus } from '../libc/sched.ts';
import { mmap_anonymous, mprotect, syscall } from '../libc/sys.ts';
import { clock_gettime_ns } from '../libc/time.ts';
import { attrOnCpus, type GuestProgram, intArg, type ProgramArgs, stringArg } from './program.ts';

const PAGE = 4096;
const SWEEP_CYCLES = 2_000;
const MODES = ['mprotect', 'munmap', 'race'] as const;

interface Shared {
  pages: number;
  /** mprotect: pages of each reader's own buffer, swept with the shared one (its TLB reach). */
  workingPages: number;
  iterations: number;
  failures: number[];
}

/** Joins every thread; records a failed join. */
function* joinAll(t: Guest, threads: pthread_t[], failures: number[]): Program<void> {
  for (const th of threads) {
    const [err] = yield* pthread_join(t, th);
    if (err !== 0) failures.push(err);
  }
}

function* spawnOn(
  t: Guest,
  cpu: number,
  body: (t: Guest) => Program<number>,
  out: pthread_t[],
  s: Shared,
): Program<void> {
  const [err, th] = yield* pthread_create(t, attrOnCpus([cpu]), body, null);
  if (err !== 0) s.failures.push(err);
  else out.push(th);
}

function* mprotectMode(t: Guest, s: Shared, readers: number): Program<Record<string, number>> {
  const buf = yield* mmap_anonymous(t, s.pages * PAGE);
  for (let p = 0; p < s.pages; p++) t.store32(buf + p * PAGE, p);
  const stop = yield* mmap_anonymous(t, PAGE);
  let sweeps = 0;
  const reader = function* (r: Guest): Program<number> {
    const own = yield* mmap_anonymous(r, Math.max(1, s.workingPages) * PAGE);
    while ((yield r.atomic(AtomicOp.Load, stop)) === 0) {
      for (let p = 0; p < s.pages; p++) r.load32(buf + p * PAGE);
      for (let p = 0; p < s.workingPages; p++) r.load32(own + p * PAGE);
      yield r.compute(SWEEP_CYCLES);
      sweeps++;
    }
    return 0;
  };
  const threads: pthread_t[] = [];
  for (let i = 0; i < readers; i++) yield* spawnOn(t, i + 1, reader, threads, s);
  const t0 = yield* clock_gettime_ns(t);
  for (let i = 0; i < s.iterations; i++) {
    const a = yield* mprotect(t, buf, s.pages * PAGE, PROT_READ);
    const b = yield* mprotect(t, buf, s.pages * PAGE, PROT_READ | PROT_WRITE);
    if (a !== 0 || b !== 0) s.failures.push(a || b);
  }
  const elapsed = (yield* clock_gettime_ns(t)) - t0;
  yield t.atomic(AtomicOp.Store, stop, 1);
  yield* joinAll(t, threads, s.failures);
  return { elapsedNs: elapsed, sweeps };
}

function* munmapMode(t: Guest, s: Shared, workers: number): Program<Record<string, number>> {
  const worker = function* (w: Guest): Program<number> {
    for (let i = 0; i < s.iterations; i++) {
      const a = yield* mmap_anonymous(w, s.pages * PAGE);
      if (a < 0) s.failures.push(a);
      for (let p = 0; p < s.pages; p++) w.store32(a + p * PAGE, i);
      yield w.compute(SWEEP_CYCLES);
      const r = yield* syscall(w, SYS_MUNMAP, a, s.pages * PAGE);
      if (r !== 0) s.failures.push(r);
    }
    return 0;
  };
  const threads: pthread_t[] = [];
  const t0 = yield* clock_gettime_ns(t);
  for (let i = 0; i < workers; i++) yield* spawnOn(t, i, worker, threads, s);
  yield* joinAll(t, threads, s.failures);
  return { elapsedNs: (yield* clock_gettime_ns(t)) - t0 };
}

interface Race extends Shared {
  owners: number;
  barrier: pthread_barrier_t;
  addrs: number[];
  efaults: number;
  staleAnswers: number;
  zero: number;
}

function* raceOwner(t: Guest, r: Race, i: number): Program<number> {
  for (let round = 0; round < r.iterations; round++) {
    const a = yield* mmap_anonymous(t, r.pages * PAGE);
    for (let p = 0; p < r.pages; p++) t.store32(a + p * PAGE, round + 1);
    yield t.compute(SWEEP_CYCLES); // the touch's work: its jitter makes each seed's run its own
    r.addrs[i] = a;
    yield* pthread_barrier_wait(t, r.barrier); // 1: mapped
    yield* pthread_barrier_wait(t, r.barrier); // 2: the probes hold translations
    const u = yield* syscall(t, SYS_MUNMAP, a, r.pages * PAGE);
    if (u !== 0) r.failures.push(u);
    yield* pthread_barrier_wait(t, r.barrier); // 3: unmapped
    yield* pthread_barrier_wait(t, r.barrier); // 4: probed
  }
  return 0;
}

function* raceProbe(t: Guest, r: Race): Program<number> {
  for (let round = 0; round < r.iterations; round++) {
    yield* pthread_barrier_wait(t, r.barrier);
    for (const a of r.addrs) for (let p = 0; p < r.pages; p++) t.load32(a + p * PAGE);
    yield t.compute(SWEEP_CYCLES);
    yield* pthread_barrier_wait(t, r.barrier);
    yield* pthread_barrier_wait(t, r.barrier);
    for (const a of r.addrs) {
      for (let p = 0; p < r.pages; p++) {
        const got = yield* syscall(t, SYS_RT_SIGPROCMASK, SIG_BLOCK, a + p * PAGE, 0);
        if (got === -14) r.efaults++;
        else r.staleAnswers++;
      }
    }
    yield* syscall(t, SYS_RT_SIGPROCMASK, SIG_SETMASK, r.zero, 0); // undo what a stale read blocked
    yield* pthread_barrier_wait(t, r.barrier);
  }
  return 0;
}

function* raceMode(t: Guest, s: Shared, owners: number, probes: number): Program<Record<string, number>> {
  const zero = yield* mmap_anonymous(t, PAGE);
  const barrier = yield* pthread_barrier_new(t, owners + probes);
  const r: Race = {
    ...s,
    owners,
    barrier,
    addrs: new Array<number>(owners).fill(0),
    efaults: 0,
    staleAnswers: 0,
    zero,
  };
  const threads: pthread_t[] = [];
  for (let i = 0; i < owners; i++) yield* spawnOn(t, i, (g) => raceOwner(g, r, i), threads, s);
  for (let i = 0; i < probes; i++) yield* spawnOn(t, owners + i, (g) => raceProbe(g, r), threads, s);
  yield* joinAll(t, threads, s.failures);
  return { efaults: r.efaults, staleAnswers: r.staleAnswers };
}

function* tlbstressMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const mode = stringArg(args, 'mode');
  const threads = intArg(args, 'threads');
  const s: Shared = {
    pages: intArg(args, 'pages'),
    workingPages: intArg(args, 'working_pages'),
    iterations: intArg(args, 'iterations'),
    failures: [],
  };
  const pin = yield* sched_setaffinity_cpus(t, 0, [0]);
  if (pin !== 0) s.failures.push(pin);
  const out =
    mode === 'mprotect'
      ? yield* mprotectMode(t, s, threads)
      : mode === 'munmap'
        ? yield* munmapMode(t, s, threads)
        : yield* raceMode(t, s, intArg(args, 'owners'), threads);
  if (s.failures.length > 0) throw new Error(`tlbstress: calls failed: ${s.failures.join(', ')}`);
  t.data.output = { ...(t.data.output as object), tlbstress: out };
  return 0;
}

export const TLBSTRESS: GuestProgram = {
  image: { name: 'tlbstress', main: tlbstressMain },
  doc: 'mprotect, munmap and concurrent-unmap load on the TLB shootdown paths (HW-8, HW-9)',
  claims: ['HW-8', 'HW-9'],
  params: [
    {
      name: 'mode',
      kind: 'choice',
      choices: MODES,
      fallback: 'mprotect',
      doc: 'what loads the shootdown paths',
    },
    { name: 'threads', kind: 'int', min: 1, max: 255, fallback: 3, doc: 'readers, workers or probes' },
    { name: 'pages', kind: 'int', min: 1, max: 4096, fallback: 8, doc: 'pages per buffer or region' },
    { name: 'iterations', kind: 'int', min: 1, max: 100_000, fallback: 100, doc: 'loop count' },
    {
      name: 'working_pages',
      kind: 'int',
      min: 0,
      max: 4096,
      fallback: 0,
      doc: 'mprotect: pages each reader also sweeps',
    },
    { name: 'owners', kind: 'int', min: 1, max: 64, fallback: 2, doc: 'race: concurrent unmappers' },
  ],
};
