/**
 * `robust-owner` (LIBC-2 over FUTEX-7): workers share a counter under one mutex while its owner
 * dies holding it, in the middle of an update (a "dirty" mark set, the increment not made).
 *
 * Two phases (`owner`: thread, process or both):
 * 1. thread: a thread locks the mutex, marks the state dirty and returns without unlocking;
 * 2. process: the mutex is process-shared in a MAP_SHARED page; a child process locks it, marks
 *    the state dirty and aborts (a guest fault: SIGABRT).
 * `workers` threads are already waiting for the mutex when the owner dies; each then does
 * `rounds` locked increments. With `robust = "on"` the kernel's robust-list walk marks the word
 * OWNER_DIED, the next locker gets EOWNERDEAD, repairs the state (clears the mark), calls
 * pthread_mutex_consistent, and everyone finishes. With "off" the workers wait forever and the
 * run ends as a deadlock with its wait-for graph.
 *
 * Publishes per phase (`thread_` / `process_`): `ownerdead` (EOWNERDEAD results), `repaired`,
 * `consistent` (its result), `counter` (workers × rounds when nothing was lost), `finished`
 * (workers that completed); and `child_signal` (the signal that ended the child).
 */
import type { Program } from '../abi/effects.ts';
import { EOWNERDEAD } from '../abi/errno.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { MAP_SHARED, WTERMSIG } from '../abi/syscalls.ts';
import { PTHREAD_MUTEX_ROBUST, PTHREAD_MUTEX_STALLED, PTHREAD_PROCESS_SHARED } from '../libc/layout.ts';
import { malloc } from '../libc/malloc.ts';
import {
  pthread_mutex_consistent,
  pthread_mutex_init,
  pthread_mutex_lock,
  pthread_mutex_unlock,
  pthread_mutexattr_init,
  pthread_mutexattr_setpshared,
  pthread_mutexattr_setrobust,
  pthread_mutexattr_t,
} from '../libc/mutex.ts';
import { spawn, waitpid } from '../libc/process.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { mmap_anonymous } from '../libc/sys.ts';
import { sleep_ns } from '../libc/time.ts';
import { type GuestProgram, intArg, type ProgramArgs, stringArg } from './program.ts';
import { NS_PER_MS, publish } from './common.ts';

/** Words of the shared state, after the mutex (32 bytes). */
const COUNTER = 32;
const DIRTY = 36;
const OWNER_HOLDS = 40;

interface Phase {
  /** The page (or block) holding the mutex at offset 0 and the state words after it. */
  base: number;
  rounds: number;
  ownerdead: number;
  repaired: number;
  consistent: number;
  finished: number;
  errors: number[];
}

/** Locks; on EOWNERDEAD repairs the half-done update and marks the mutex consistent. */
function* lockRepairing(t: Guest, p: Phase): Program<boolean> {
  const r = yield* pthread_mutex_lock(t, p.base);
  if (r === EOWNERDEAD) {
    p.ownerdead++;
    if (t.load32(p.base + DIRTY) !== 0) {
      t.store32(p.base + DIRTY, 0); // the dead owner's update never happened: roll it back
      p.repaired++;
    }
    p.consistent = pthread_mutex_consistent(t, p.base);
    return true;
  }
  if (r !== 0) p.errors.push(r);
  return r === 0;
}

function* worker(t: Guest, raw: unknown): Program<number> {
  const p = raw as Phase;
  for (let i = 0; i < p.rounds; i++) {
    if (!(yield* lockRepairing(t, p))) return 1;
    t.store32(p.base + COUNTER, t.load32(p.base + COUNTER) + 1);
    yield t.compute(3_000);
    yield* pthread_mutex_unlock(t, p.base);
  }
  p.finished++;
  return 0;
}

/** The owner: takes the mutex, starts an update (dirty) and stops there. */
function* takeAndLeave(t: Guest, base: number): Program<void> {
  const r = yield* pthread_mutex_lock(t, base);
  if (r !== 0) throw new Error(`robust-owner: the owner's lock returned ${r}`);
  t.store32(base + DIRTY, 1);
  t.store32(base + OWNER_HOLDS, 1);
  yield* sleep_ns(t, 2 * NS_PER_MS); // the workers queue up meanwhile
}

function* ownerThread(t: Guest, raw: unknown): Program<number> {
  yield* takeAndLeave(t, raw as number);
  return 0; // returns holding the mutex: the thread exits, its robust list is walked
}

function* ownerProcess(t: Guest, raw: unknown): Program<number> {
  yield* takeAndLeave(t, raw as number);
  throw new Error('robust-owner: the child aborts holding the mutex');
}

function mutexAttr(robust: boolean, shared: boolean): pthread_mutexattr_t {
  const a = new pthread_mutexattr_t();
  pthread_mutexattr_init(a);
  pthread_mutexattr_setrobust(a, robust ? PTHREAD_MUTEX_ROBUST : PTHREAD_MUTEX_STALLED);
  if (shared) pthread_mutexattr_setpshared(a, PTHREAD_PROCESS_SHARED);
  return a;
}

/** One phase: the owner (a thread or a child process) dies holding the mutex under the workers. */
function* phase(t: Guest, args: ProgramArgs, asProcess: boolean): Program<Record<string, number>> {
  const robust = stringArg(args, 'robust') === 'on';
  const base = asProcess ? yield* mmap_anonymous(t, 4096, MAP_SHARED) : yield* malloc(t, 64);
  const p: Phase = {
    base,
    rounds: intArg(args, 'rounds'),
    ownerdead: 0,
    repaired: 0,
    consistent: -1,
    finished: 0,
    errors: [],
  };
  const err = pthread_mutex_init(t, base, mutexAttr(robust, asProcess));
  if (err !== 0) throw new Error(`robust-owner: pthread_mutex_init failed (${err})`);
  let child = 0;
  let owner: pthread_t = 0;
  if (asProcess) child = yield* spawn(t, { name: 'robust-owner-child', main: ownerProcess }, base);
  else owner = (yield* pthread_create(t, null, ownerThread, base))[1];
  while (t.load32(base + OWNER_HOLDS) === 0) yield* sleep_ns(t, 100_000);
  const workers: pthread_t[] = [];
  for (let i = 0; i < intArg(args, 'workers'); i++)
    workers.push((yield* pthread_create(t, null, worker, p))[1]);
  let childSignal = 0;
  if (asProcess) childSignal = WTERMSIG((yield* waitpid(t, child))[1]);
  else yield* pthread_join(t, owner);
  for (const w of workers) yield* pthread_join(t, w);
  const out: Record<string, number> = {
    ownerdead: p.ownerdead,
    repaired: p.repaired,
    consistent: p.consistent,
    counter: t.load32(base + COUNTER),
    finished: p.finished,
    errors: p.errors.length,
  };
  if (asProcess) out.child_signal = childSignal;
  return out;
}

function* robustOwnerMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const which = stringArg(args, 'owner');
  const out: Record<string, number> = {};
  for (const asProcess of [false, true]) {
    if (which !== 'both' && (which === 'process') !== asProcess) continue;
    const prefix = asProcess ? 'process_' : 'thread_';
    for (const [k, v] of Object.entries(yield* phase(t, args, asProcess))) out[prefix + k] = v;
  }
  publish(t, 'robust-owner', out);
  return 0;
}

export const ROBUST_OWNER: GuestProgram = {
  image: { name: 'robust-owner', main: robustOwnerMain } satisfies ProgramImage,
  doc: 'a mutex owner (thread or process) dies mid-update: robust mutexes give EOWNERDEAD, or the workers deadlock',
  claims: ['LIBC-2', 'FUTEX-7'],
  params: [
    {
      kind: 'choice',
      name: 'robust',
      doc: 'PTHREAD_MUTEX_ROBUST (on) or STALLED (off)',
      choices: ['on', 'off'],
      fallback: 'on',
    },
    {
      kind: 'choice',
      name: 'owner',
      doc: 'who dies holding the mutex: a thread, a child process, or one of each in turn',
      choices: ['thread', 'process', 'both'],
      fallback: 'both',
    },
    { kind: 'int', name: 'workers', min: 1, max: 64, doc: 'threads waiting for the mutex', fallback: 4 },
    { kind: 'int', name: 'rounds', min: 1, max: 100_000, doc: 'locked increments per worker', fallback: 50 },
  ],
};
