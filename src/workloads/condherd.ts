/**
 * `condherd` (LIBC-3, FUTEX-3): many threads wait on one condition variable for tokens.
 * - `op = "signal"`: the main thread hands out tokens one at a time, each with
 *   pthread_cond_signal. POSIX wants one waiter woken per signal; relibc's signal is a
 *   broadcast (models.md §3), so every sleeping waiter wakes, finds no token and sleeps again.
 * - `op = "broadcast"`: each round, once every waiter sleeps, the main thread puts out one
 *   token per waiter and broadcasts. The improved libc wakes one and requeues the rest onto the
 *   mutex (FUTEX_CMP_REQUEUE); relibc wakes all, and they herd on the mutex, whose every unlock
 *   wakes all again.
 * Publishes `wakeups` (returns from pthread_cond_wait), `resleeps` (returns that found no token
 * and waited again), `tokens` and `elapsed_ns`; the kernel's futex.* metrics count the rest.
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import {
  pthread_cond_broadcast,
  pthread_cond_new,
  pthread_cond_signal,
  pthread_cond_wait,
} from '../libc/cond.ts';
import { malloc } from '../libc/malloc.ts';
import { pthread_mutex_lock, pthread_mutex_new, pthread_mutex_unlock } from '../libc/mutex.ts';
import { pthread_create, pthread_join } from '../libc/pthread.ts';
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import { intArg, type GuestProgram, type ProgramArgs, stringArg } from './program.ts';
import { publish } from './common.ts';

/** Cycles of work a waiter does with each token, outside the lock. */
const WORK_CYCLES = 3_000;
/** How long the main thread sleeps between two looks at the shared words. */
const SETTLE_NS = 200_000;

interface Herd {
  m: number;
  c: number;
  /** The round tokens are being handed out for (a waiter takes one token per round). */
  round: number;
  tokens: number;
  /** Waiters currently inside pthread_cond_wait (updated under the mutex). */
  sleeping: number;
  rounds: number;
  wakeups: number;
  resleeps: number;
}

/** May the waiter on round `r` take a token now? */
const ready = (t: Guest, h: Herd, r: number) => t.load32(h.round) > r && t.load32(h.tokens) > 0;

function* waiter(t: Guest, raw: unknown): Program<number> {
  const h = raw as Herd;
  for (let r = 0; r < h.rounds; r++) {
    yield* pthread_mutex_lock(t, h.m);
    while (!ready(t, h, r)) {
      t.store32(h.sleeping, t.load32(h.sleeping) + 1);
      yield* pthread_cond_wait(t, h.c, h.m);
      t.store32(h.sleeping, t.load32(h.sleeping) - 1);
      h.wakeups++;
      if (!ready(t, h, r)) h.resleeps++;
    }
    t.store32(h.tokens, t.load32(h.tokens) - 1);
    yield* pthread_mutex_unlock(t, h.m);
    yield t.compute(WORK_CYCLES);
  }
  return 0;
}

/** Polls (sleeping between looks) until `word` satisfies `done`. */
function* until(t: Guest, word: number, done: (v: number) => boolean): Program<void> {
  while (!done((yield t.atomic(AtomicOp.Load, word)) as number)) yield* sleep_ns(t, SETTLE_NS);
}

function* condHerdMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const waiters = intArg(args, 'waiters');
  const rounds = intArg(args, 'rounds');
  const op = stringArg(args, 'op');
  const h: Herd = {
    m: yield* pthread_mutex_new(t),
    c: yield* pthread_cond_new(t),
    round: yield* malloc(t, 4),
    tokens: yield* malloc(t, 4),
    sleeping: yield* malloc(t, 4),
    rounds,
    wakeups: 0,
    resleeps: 0,
  };
  const threads: number[] = [];
  for (let i = 0; i < waiters; i++) {
    const [err, th] = yield* pthread_create(t, null, waiter, h);
    if (err !== 0) throw new Error(`condherd: pthread_create failed (${err})`);
    threads.push(th);
  }
  const t0 = yield* clock_gettime_ns(t);
  for (let r = 0; r < rounds; r++) {
    // Every waiter waits for round r: every token of round r - 1 is taken (each by a different
    // waiter, since a waiter takes one per round) and every waiter is back in pthread_cond_wait.
    // `sleeping` alone is not enough: with many waiters some of round r - 1's are still inside
    // pthread_cond_wait, woken but not yet returned, and a new batch would overwrite their tokens.
    // Tokens only fall until the next batch, so once 0 they stay 0 while `sleeping` is polled.
    yield* until(t, h.tokens, (n) => n === 0);
    yield* until(t, h.sleeping, (n) => n === waiters);
    yield* pthread_mutex_lock(t, h.m);
    t.store32(h.round, r + 1);
    if (op === 'broadcast') {
      t.store32(h.tokens, waiters);
      yield* pthread_cond_broadcast(t, h.c);
    }
    yield* pthread_mutex_unlock(t, h.m);
    if (op === 'broadcast') continue;
    for (let i = 0; i < waiters; i++) {
      yield* pthread_mutex_lock(t, h.m);
      t.store32(h.tokens, 1);
      yield* pthread_cond_signal(t, h.c);
      yield* pthread_mutex_unlock(t, h.m);
      yield* until(t, h.tokens, (n) => n === 0); // one token at a time
    }
  }
  for (const th of threads) yield* pthread_join(t, th);
  const elapsedNs = (yield* clock_gettime_ns(t)) - t0;
  publish(t, 'condherd', { wakeups: h.wakeups, resleeps: h.resleeps, tokens: waiters * rounds, elapsedNs });
  return 0;
}

export const CONDHERD: GuestProgram = {
  image: { name: 'condherd', main: condHerdMain } satisfies ProgramImage,
  doc: 'threads waiting on one condvar for tokens handed out by signal or broadcast (wakeups, re-sleeps)',
  claims: ['LIBC-3', 'FUTEX-3'],
  params: [
    { name: 'waiters', kind: 'int', min: 1, max: 1024, fallback: 64, doc: 'threads waiting on the condvar' },
    { name: 'rounds', kind: 'int', min: 1, max: 1000, fallback: 4, doc: 'tokens each waiter takes' },
    {
      name: 'op',
      kind: 'choice',
      choices: ['signal', 'broadcast'],
      fallback: 'signal',
      doc: 'one signal per token, or one broadcast per round of tokens',
    },
  ],
};
