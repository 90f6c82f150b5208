/**
 * `fork-atfork` (LIBC-9): `holders` threads take turns holding one mutex for `hold_us` each
 * while the main thread forks at a moment one of them holds it. The child, whose only thread is
 * the forker, then tries to take the mutex within `timeout_ms`. With `handlers = "on"` the
 * process registered pthread_atfork handlers that lock the mutex before the fork and unlock it
 * on both sides after, so the child gets it at once; with "off" the child's copy stays locked by
 * a thread that does not exist in the child, and it times out.
 *
 * Publishes `child_got_lock` (1/0), `child_exit_code`, `child_lock_wait_ns` (how long the
 * child's timedlock took), `fork_ns` (the parent's fork call, its prepare handlers' wait
 * included) and `holder_rounds` (lock holds by the holders over the run).
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { CLOCK_MONOTONIC, CLOCK_REALTIME, MAP_SHARED, WEXITSTATUS } from '../abi/syscalls.ts';
import { type AtforkHandler, fork, pthread_atfork } from '../libc/fork.ts';
import {
  pthread_mutex_lock,
  pthread_mutex_new,
  pthread_mutex_timedlock,
  pthread_mutex_unlock,
} from '../libc/mutex.ts';
import { waitpid } from '../libc/process.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { mmap_anonymous } from '../libc/sys.ts';
import { clock_gettime_ns, deadline_after } from '../libc/time.ts';
import { type GuestProgram, intArg, type ProgramArgs, stringArg } from './program.ts';
import { CYCLES_PER_US, NS_PER_MS, publish } from './common.ts';

/** How often the main thread looks whether a holder holds the mutex. */
const POLL_US = 5;
/** Between two holds a holder works this long without the lock. */
const GAP_US = 100;

// Words of the shared page: the lock is held now; stop; rounds; the child's results.
const HELD = 0;
const STOP = 4;
const ROUNDS = 8;
const CHILD_GOT = 12;
const CHILD_WAIT_NS = 16;

interface Holder {
  m: number;
  page: number;
  holdUs: number;
}

function* holder(t: Guest, raw: unknown): Program<number> {
  const { m, page, holdUs } = raw as Holder;
  while (t.load32(page + STOP) === 0) {
    yield* pthread_mutex_lock(t, m);
    t.store32(page + HELD, 1);
    yield t.compute(holdUs * CYCLES_PER_US);
    t.store32(page + HELD, 0);
    yield* pthread_mutex_unlock(t, m);
    yield t.atomic(AtomicOp.FetchAdd, page + ROUNDS, 1);
    yield t.compute(GAP_US * CYCLES_PER_US);
  }
  return 0;
}

function* forkAtforkMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const handlers = stringArg(args, 'handlers') === 'on';
  const holders = intArg(args, 'holders');
  const holdUs = intArg(args, 'hold_us');
  const timeoutNs = intArg(args, 'timeout_ms') * NS_PER_MS;
  const m = yield* pthread_mutex_new(t);
  const page = yield* mmap_anonymous(t, 4096, MAP_SHARED); // the child reports through it
  if (handlers) {
    const lock: AtforkHandler = function* (h) {
      yield* pthread_mutex_lock(h, m);
    };
    const unlock: AtforkHandler = function* (h) {
      yield* pthread_mutex_unlock(h, m);
    };
    pthread_atfork(t, lock, unlock, unlock);
  }
  const threads: pthread_t[] = [];
  for (let i = 0; i < holders; i++) {
    const [err, th] = yield* pthread_create(t, null, holder, { m, page, holdUs } satisfies Holder);
    if (err !== 0) throw new Error(`fork-atfork: pthread_create failed (${err})`);
    threads.push(th);
  }
  // Fork while it is held, just after a hold began: polled by computing, not sleeping, since a
  // sleep may last a tick or two and the hold could be nearly over when the poll sees it.
  while (t.load32(page + HELD) === 0) yield t.compute(POLL_US * CYCLES_PER_US);
  const before = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
  const pid = yield* fork(t, function* (c) {
    const start = yield* clock_gettime_ns(c, CLOCK_MONOTONIC);
    const r = yield* pthread_mutex_timedlock(c, m, yield* deadline_after(c, CLOCK_REALTIME, timeoutNs));
    c.store32(page + CHILD_WAIT_NS, (yield* clock_gettime_ns(c, CLOCK_MONOTONIC)) - start);
    c.store32(page + CHILD_GOT, r === 0 ? 1 : 0);
    if (r === 0) yield* pthread_mutex_unlock(c, m);
    return r === 0 ? 0 : 1;
  });
  if (pid < 0) throw new Error('fork-atfork: fork failed');
  const forkNs = (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - before;
  const [, status] = yield* waitpid(t, pid);
  t.store32(page + STOP, 1);
  for (const th of threads) yield* pthread_join(t, th);
  publish(t, 'fork-atfork', {
    childGotLock: t.load32(page + CHILD_GOT),
    childExitCode: WEXITSTATUS(status),
    childLockWaitNs: t.load32(page + CHILD_WAIT_NS),
    forkNs,
    holderRounds: t.load32(page + ROUNDS),
  });
  return 0;
}

export const FORK_ATFORK: GuestProgram = {
  image: { name: 'fork-atfork', main: forkAtforkMain },
  doc: 'fork while another thread holds a mutex; pthread_atfork handlers decide whether the child can take it',
  claims: ['LIBC-9'],
  params: [
    {
      name: 'handlers',
      kind: 'choice',
      choices: ['on', 'off'],
      fallback: 'on',
      doc: 'register atfork handlers that lock the mutex across the fork',
    },
    { name: 'holders', kind: 'int', min: 1, max: 16, fallback: 1, doc: 'threads taking turns on the mutex' },
    { name: 'hold_us', kind: 'int', min: 1, max: 100_000, fallback: 2_000, doc: 'how long each hold lasts' },
    {
      name: 'timeout_ms',
      kind: 'int',
      min: 1,
      max: 10_000,
      fallback: 50,
      doc: "the child's timedlock limit",
    },
  ],
};
