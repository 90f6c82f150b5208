/**
 * `futex-ops` (FUTEX-1, FUTEX-4, FUTEX-5, FUTEX-8): the futex(2) operations a Linux program
 * relies on, each probed once from a guest and its raw result published, so one scenario shows
 * what the improved kernel answers and what Redox's answers to the same calls:
 * - `shared_woken`: a child process waits on a MAP_SHARED word; the parent wakes it. Linux keys
 *   shared futexes on the physical address, so the wake finds it (1); Redox matches a waiter on
 *   the same virtual address *and process*, so it finds none (0) and the child times out.
 * - `private_woken`: the same with FUTEX_PRIVATE_FLAG: no mode lets another process wake it (0).
 * - `wake_op` / `wake_op_word`: FUTEX_WAKE_OP(ADD 5, CMP_EQ 0) with one waiter on each word:
 *   2 woken and the second word 5 (FUTEX-4); Redox has no op 5: -EINVAL, the word untouched.
 * - `bitset_woken` / `bitset_rest`: waiters with bitsets 1, 2, 4; WAKE_BITSET(0b101) wakes 2,
 *   MATCH_ANY the last (FUTEX-5); Redox: -EINVAL for both (its waiters fail at once too).
 * - `timeout_mono` / `timeout_realtime`: libc's absolute-deadline wait 1 ms ahead on each
 *   clock: -ETIMEDOUT, with the time waited in `timeout_mono_ns`/`timeout_realtime_ns` (FUTEX-8).
 * - `interrupted`: a handled SIGUSR1 ends a wait: -EINTR on Linux; Redox's code returns 0.
 * Raw calls use Linux's op numbers (include/uapi/linux/futex.h), as a Linux binary would.
 */
import type { Program } from '../abi/effects.ts';
import { encodeWakeOp, FUTEX_OP_ADD, FUTEX_OP_CMP_EQ } from '../abi/futex-op.ts';
import type { Guest } from '../abi/guest.ts';
import { SIGUSR1 } from '../abi/signal.ts';
import {
  CLOCK_MONOTONIC,
  CLOCK_REALTIME,
  FUTEX_PRIVATE_FLAG,
  MAP_SHARED,
  SYS_GETTID,
} from '../abi/syscalls.ts';
import { futexWaitUntil } from '../libc/futex.ts';
import { malloc } from '../libc/malloc.ts';
import { spawn, waitpid } from '../libc/process.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { pthread_kill, sigaction } from '../libc/signal.ts';
import { futex, mmap_anonymous, syscall } from '../libc/sys.ts';
import { clock_gettime_ns, clockNow, sleep_ns, timespec_store, timespecAddNs } from '../libc/time.ts';
import { publish } from './common.ts';
import type { GuestProgram } from './program.ts';

const WAIT = 0;
const WAKE = 1;
const WAKE_OP = 5;
const WAIT_BITSET = 9;
const WAKE_BITSET = 10;
const MATCH_ANY = 0xffffffff;
/** Long enough for a started waiter to block before the probe's wake (2 ms; waits are µs). */
const SETTLE_NS = 2_000_000;
/** The cross-process waiter's own deadline: it gives up after this if nobody wakes it. */
const CHILD_WAIT_NS = 20_000_000;
const TIMEOUT_NS = 1_000_000;

/** An absolute deadline `ns` ahead on `clock`, in a timespec of its own. */
function* deadlineIn(t: Guest, clock: typeof CLOCK_MONOTONIC | typeof CLOCK_REALTIME, ns: number) {
  const abstime = yield* malloc(t, 16);
  const at = timespecAddNs(yield* clockNow(t, clock), ns);
  timespec_store(t, abstime, at.tv_sec, at.tv_nsec);
  return { clock, abstime };
}

/** The child: waits on the shared word until its deadline; exit 0 woken, 1 not. */
function* sharedWaiter(t: Guest, raw: unknown): Program<number> {
  const { word, shared } = raw as { word: number; shared: boolean };
  const deadline = yield* deadlineIn(t, CLOCK_MONOTONIC, CHILD_WAIT_NS);
  return (yield* futexWaitUntil(t, word, 0, deadline, shared)) === 0 ? 0 : 1;
}

/** FUTEX-1: the parent's WAKE result on a word a child process waits on, shared or private. */
function* crossProcessWoken(t: Guest, privateFlag: number): Program<number> {
  const word = yield* mmap_anonymous(t, 4096, MAP_SHARED);
  const arg = { word, shared: privateFlag === 0 };
  const pid = yield* spawn(t, { name: 'futex-ops-child', main: sharedWaiter }, arg);
  yield* sleep_ns(t, SETTLE_NS);
  const woken = yield* futex(t, word, WAKE | privateFlag, 1);
  yield* waitpid(t, pid);
  return woken;
}

interface Waiter {
  addr: number;
  op: number;
  bitset: number;
  tid: number;
  result: number;
}

function* waiterMain(t: Guest, raw: unknown): Program<number> {
  const w = raw as Waiter;
  w.tid = yield* syscall(t, SYS_GETTID);
  w.result = yield* futex(t, w.addr, w.op, 0, 0, 0, w.bitset);
  return 0;
}

/** Starts one waiter per spec and lets them block. */
function* startWaiters(t: Guest, specs: Omit<Waiter, 'tid' | 'result'>[]) {
  const waiters: Waiter[] = specs.map((s) => ({ ...s, tid: 0, result: 1 }));
  const threads: pthread_t[] = [];
  for (const w of waiters) threads.push((yield* pthread_create(t, null, waiterMain, w))[1]);
  yield* sleep_ns(t, SETTLE_NS);
  return { waiters, threads };
}

function* joinAll(t: Guest, threads: pthread_t[]): Program<void> {
  for (const th of threads) yield* pthread_join(t, th);
}

/** FUTEX-4: WAKE_OP with a waiter on each word; [woken, the second word after]. */
function* wakeOpProbe(t: Guest, a: number, b: number): Program<[number, number]> {
  const { threads } = yield* startWaiters(t, [
    { addr: a, op: WAIT, bitset: 0 },
    { addr: b, op: WAIT, bitset: 0 },
  ]);
  const op = encodeWakeOp(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 0);
  const woken = yield* futex(t, a, WAKE_OP, 1, 1, b, op);
  const word = t.load32(b);
  if (woken < 0) {
    // no WAKE_OP (Redox): free the waiters with plain wakes
    yield* futex(t, a, WAKE, 1);
    yield* futex(t, b, WAKE, 1);
  }
  yield* joinAll(t, threads);
  return [woken, word];
}

/** FUTEX-5: waiters with bitsets 1, 2, 4; [WAKE_BITSET(0b101), then MATCH_ANY]. */
function* bitsetProbe(t: Guest, a: number): Program<[number, number]> {
  const { threads } = yield* startWaiters(
    t,
    [1, 2, 4].map((bitset) => ({ addr: a, op: WAIT_BITSET, bitset })),
  );
  const some = yield* futex(t, a, WAKE_BITSET, 3, 0, 0, 0b101);
  yield* sleep_ns(t, SETTLE_NS);
  const rest = yield* futex(t, a, WAKE_BITSET, 3, 0, 0, MATCH_ANY);
  yield* joinAll(t, threads);
  return [some, rest];
}

/** FUTEX-8: libc's absolute wait on `clock`, nobody waking it: [result, ns waited]. */
function* timeoutProbe(t: Guest, word: number, clock: typeof CLOCK_MONOTONIC | typeof CLOCK_REALTIME) {
  const t0 = yield* clock_gettime_ns(t);
  const r = yield* futexWaitUntil(t, word, 0, yield* deadlineIn(t, clock, TIMEOUT_NS), false);
  return [r, (yield* clock_gettime_ns(t)) - t0] as const;
}

function* onUsr1(_t: Guest, _sig: number): Program<void> {}

/** FUTEX-8: a handled signal sent to a waiter: the wait's result. */
function* interruptProbe(t: Guest, a: number): Program<number> {
  yield* sigaction(t, SIGUSR1, { handler: onUsr1, mask: 0, flags: 0 });
  const { waiters, threads } = yield* startWaiters(t, [{ addr: a, op: WAIT, bitset: 0 }]);
  yield* pthread_kill(t, waiters[0]!.tid, SIGUSR1);
  yield* joinAll(t, threads);
  return waiters[0]!.result;
}

function* futexOpsMain(t: Guest): Program<number> {
  const page = yield* mmap_anonymous(t, 4096);
  const word = (i: number) => page + 64 * i;
  const sharedWoken = yield* crossProcessWoken(t, 0);
  const privateWoken = yield* crossProcessWoken(t, FUTEX_PRIVATE_FLAG);
  const [wakeOp, wakeOpWord] = yield* wakeOpProbe(t, word(0), word(1));
  const [bitsetWoken, bitsetRest] = yield* bitsetProbe(t, word(2));
  const [mono, monoNs] = yield* timeoutProbe(t, word(3), CLOCK_MONOTONIC);
  const [real, realNs] = yield* timeoutProbe(t, word(3), CLOCK_REALTIME);
  const interrupted = yield* interruptProbe(t, word(4));
  publish(t, 'futex-ops', {
    sharedWoken,
    privateWoken,
    wakeOp,
    wakeOpWord,
    bitsetWoken,
    bitsetRest,
    timeoutMono: mono,
    timeoutMonoNs: monoNs,
    timeoutRealtime: real,
    timeoutRealtimeNs: realNs,
    interrupted,
  });
  return 0;
}

export const FUTEX_OPS: GuestProgram = {
  image: { name: 'futex-ops', main: futexOpsMain },
  doc: 'probes shared and private keys, WAKE_OP, the bitset ops, timeouts and EINTR once each',
  claims: ['FUTEX-1', 'FUTEX-4', 'FUTEX-5', 'FUTEX-8'],
  params: [],
};
