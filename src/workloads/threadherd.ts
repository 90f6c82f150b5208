/**
 * `threadherd`: many threads that park at once, then all go. The main thread creates `threads`
 * threads with `stack_kib` stacks; each counts itself parked and sleeps on one futex word until
 * the main thread, once all are parked, sets the word and wakes every waiter (FUTEX_WAKE of
 * INT_MAX) after `hold_us`; each then computes `cycles` and exits, and the main thread joins them all.
 *
 * It measures the simulator's scale (issue 14): while every thread is parked the machine holds
 * `threads` idle threads, which `smpsim bench` weighs (host memory per idle thread), and the
 * 100,000-thread bench case is this program. Publishes `created`, `parked` (most parked at once)
 * and `elapsed_ns`.
 */
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { futexWaitUntil, futexWakeN } from '../libc/futex.ts';
import { malloc } from '../libc/malloc.ts';
import {
  pthread_attr_init,
  pthread_attr_setstacksize,
  pthread_attr_t,
  pthread_create,
  pthread_join,
  type pthread_t,
} from '../libc/pthread.ts';
import { type GuestProgram, intArg, type ProgramArgs } from './program.ts';
import { NS_PER_US, publish } from './common.ts';

const INT_MAX = 0x7fffffff;
/** How long the main thread sleeps between two looks at the parked count. */
const SETTLE_NS = 100_000;

interface Herd {
  /** The futex word the threads park on: 0 until the main thread lets them go. */
  go: number;
  cycles: number;
  /** Threads parked right now, and the most that ever were. */
  parked: number;
  parkedMax: number;
}

function* herdThread(t: Guest, raw: unknown): Program<number> {
  const h = raw as Herd;
  h.parked++;
  if (h.parked > h.parkedMax) h.parkedMax = h.parked;
  while (t.load32(h.go) === 0) yield* futexWaitUntil(t, h.go, 0, null, false);
  h.parked--;
  if (h.cycles > 0) yield t.compute(h.cycles);
  return 0;
}

function* threadherdMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const threads = intArg(args, 'threads');
  const attr = new pthread_attr_t();
  pthread_attr_init(attr);
  const err = pthread_attr_setstacksize(attr, intArg(args, 'stack_kib') * 1024);
  if (err !== 0) throw new Error(`threadherd: pthread_attr_setstacksize failed (${err})`);
  const herd: Herd = { go: yield* malloc(t, 4), cycles: intArg(args, 'cycles'), parked: 0, parkedMax: 0 };
  t.data.threadherd = herd; // where a harness watching the run finds the count
  const t0 = yield* clock_gettime_ns(t);
  const handles: pthread_t[] = [];
  for (let i = 0; i < threads; i++) {
    const [e, th] = yield* pthread_create(t, attr, herdThread, herd);
    if (e !== 0) throw new Error(`threadherd: pthread_create of thread ${i} failed (${e})`);
    handles.push(th);
  }
  // Every thread parked: the machine now holds `threads` idle threads at once.
  while (herd.parked < threads) yield* sleep_ns(t, SETTLE_NS);
  const holdNs = intArg(args, 'hold_us') * NS_PER_US;
  if (holdNs > 0) yield* sleep_ns(t, holdNs); // idle for a harness to look at
  t.store32(herd.go, 1);
  yield* futexWakeN(t, herd.go, INT_MAX, false);
  for (const th of handles) yield* pthread_join(t, th);
  const elapsedNs = (yield* clock_gettime_ns(t)) - t0;
  publish(t, 'threadherd', { created: handles.length, parked: herd.parkedMax, elapsedNs });
  return 0;
}

export const THREADHERD: GuestProgram = {
  image: { name: 'threadherd', main: threadherdMain } satisfies ProgramImage,
  doc: 'many threads park on one futex word, then all go: the simulator at scale (issue 14)',
  claims: [],
  params: [
    { name: 'threads', kind: 'int', min: 1, max: 1_000_000, fallback: 1000, doc: 'threads to create' },
    { name: 'stack_kib', kind: 'int', min: 16, max: 1024, fallback: 64, doc: 'thread stack size in KiB' },
    { name: 'hold_us', kind: 'int', min: 0, max: 10_000_000, fallback: 0, doc: 'how long all stay parked' },
    {
      name: 'cycles',
      kind: 'int',
      min: 0,
      max: 1_000_000_000,
      fallback: 30_000,
      doc: 'work per thread once let go',
    },
  ],
};
