/**
 * `futex-herd` (FUTEX-3): N threads wait on a condition (a sequence word) with a Drepper mutex;
 * one broadcast wakes them. With `broadcast = "wake-all"` every waiter wakes and all but one
 * go back to sleep on the mutex (the thundering herd); with `"requeue"` FUTEX_CMP_REQUEUE wakes
 * one and moves the rest onto the mutex word, where each unlock wakes the next. Publishes how
 * many woken threads had to sleep again on the mutex (`herd`), the futex waits and wakes made
 * after the broadcast, and the time from the broadcast to the last waiter's exit.
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { SYS_FUTEX } from '../abi/syscalls.ts';
import { malloc } from '../libc/malloc.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { futex_wait, futex_wake, syscall } from '../libc/sys.ts';
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import { type GuestProgram, intArg, type ProgramArgs, stringArg } from './program.ts';
import { publish } from './common.ts';

const FUTEX_CMP_REQUEUE = 4; // Linux and Red Bear number it alike
const INT_MAX = 0x7fffffff;

interface Shared {
  mutex: number;
  cond: number;
  ready: number;
  /** Re-sleeps on the mutex after leaving the condition wait. */
  herd: number;
  futexCalls: number;
  doneNs: number;
  /** Work each woken waiter does holding the mutex. */
  holdCycles: number;
}

/** Drepper's mutex lock, counting the sleeps of a thread that has left the condition wait. */
function* lockCounting(t: Guest, s: Shared): Program<void> {
  let c = (yield t.atomic(AtomicOp.CompareExchange, s.mutex, 0, 1)) as number;
  if (c === 0) return;
  if (c !== 2) c = (yield t.atomic(AtomicOp.Exchange, s.mutex, 2)) as number;
  while (c !== 0) {
    s.futexCalls++;
    if ((yield* futex_wait(t, s.mutex, 2)) === 0) s.herd++;
    c = (yield t.atomic(AtomicOp.Exchange, s.mutex, 2)) as number;
  }
}

function* unlock(t: Guest, s: Shared, counted: boolean): Program<void> {
  const old = (yield t.atomic(AtomicOp.Exchange, s.mutex, 0)) as number;
  if (old === 2) {
    if (counted) s.futexCalls++;
    yield* futex_wake(t, s.mutex, 1);
  }
}

function* waiter(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  yield* lockCounting(t, s);
  const seq = (yield t.atomic(AtomicOp.Load, s.cond)) as number;
  s.ready++;
  yield* unlock(t, s, false);
  // A requeued waiter comes back from this wait when the mutex's unlock wakes it; the mutex
  // word is then 2 (contended), and it takes the mutex with the exchange below.
  while (((yield t.atomic(AtomicOp.Load, s.cond)) as number) === seq) yield* futex_wait(t, s.cond, seq);
  // After the broadcast: take the mutex as a woken condvar waiter does (state 2, as glibc's
  // cond_lock), so every unlock passes the mutex on.
  let c = (yield t.atomic(AtomicOp.Exchange, s.mutex, 2)) as number;
  while (c !== 0) {
    s.futexCalls++;
    if ((yield* futex_wait(t, s.mutex, 2)) === 0) s.herd++;
    c = (yield t.atomic(AtomicOp.Exchange, s.mutex, 2)) as number;
  }
  yield t.compute(s.holdCycles); // the work done under the mutex
  yield* unlock(t, s, true);
  s.doneNs = yield* clock_gettime_ns(t);
  return 0;
}

function* herdMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const n = intArg(args, 'waiters');
  const requeue = stringArg(args, 'broadcast') === 'requeue';
  const words = yield* malloc(t, 8);
  const s: Shared = {
    mutex: words,
    cond: words + 4,
    ready: 0,
    herd: 0,
    futexCalls: 0,
    doneNs: 0,
    holdCycles: intArg(args, 'hold_cycles'),
  };
  const threads: pthread_t[] = [];
  for (let i = 0; i < n; i++) {
    const [err, th] = yield* pthread_create(t, null, waiter, s);
    if (err !== 0) throw new Error(`futex-herd: pthread_create failed (${err})`);
    threads.push(th);
  }
  while (s.ready < n) yield* sleep_ns(t, 100_000);
  yield* sleep_ns(t, 1_000_000); // let the last ones reach their futex wait
  const t0 = yield* clock_gettime_ns(t);
  const seq = (yield t.atomic(AtomicOp.FetchAdd, s.cond, 1)) as number;
  s.futexCalls++;
  const woken = requeue
    ? yield* syscall(t, SYS_FUTEX, s.cond, FUTEX_CMP_REQUEUE, 1, INT_MAX, s.mutex, seq + 1)
    : yield* futex_wake(t, s.cond, INT_MAX);
  if (woken < 0) throw new Error(`futex-herd: broadcast failed (${woken})`);
  for (const th of threads) yield* pthread_join(t, th);
  publish(t, 'futex-herd', {
    waiters: n,
    broadcastReturned: woken,
    herd: s.herd,
    futexCallsAfterBroadcast: s.futexCalls,
    broadcastToLastNs: s.doneNs - t0,
  });
  return 0;
}

export const FUTEX_HERD: GuestProgram = {
  image: { name: 'futex-herd', main: herdMain },
  doc: 'N condition waiters, one broadcast: wake-all (thundering herd) or CMP_REQUEUE onto the mutex',
  claims: ['FUTEX-3', 'LIBC-3'],
  params: [
    {
      kind: 'int',
      name: 'waiters',
      doc: 'threads waiting on the condition',
      min: 1,
      max: 1024,
      fallback: 64,
    },
    {
      kind: 'choice',
      name: 'broadcast',
      doc: 'how the broadcast wakes them',
      choices: ['wake-all', 'requeue'],
      fallback: 'requeue',
    },
    {
      kind: 'int',
      name: 'hold_cycles',
      doc: 'cycles each woken waiter computes holding the mutex (3000 = 1 us at 3 GHz)',
      min: 0,
      max: 100_000_000,
      fallback: 3000,
    },
  ],
};
