/**
 * `futex-robust` (FUTEX-7): an owner takes a lock word registered on its robust list and dies
 * holding it; a waiter sleeps on the word. With `robust = "on"` the kernel's exit walk sets
 * OWNER_DIED and wakes the waiter, which takes the lock and proceeds; with `"off"` (no
 * set_robust_list) nobody ever wakes it, and the simulator reports the deadlock with its
 * wait-for graph. The lock word is the Linux PI-compatible layout (TID, WAITERS, OWNER_DIED).
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { SYS_GETTID, SYS_SET_ROBUST_LIST } from '../abi/syscalls.ts';
import { malloc } from '../libc/malloc.ts';
import { storePtr } from '../libc/ptr.ts';
import { pthread_create, pthread_join } from '../libc/pthread.ts';
import { futex_wait, syscall } from '../libc/sys.ts';
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import { type GuestProgram, type ProgramArgs, stringArg } from './program.ts';
import { publish } from './common.ts';

const TID_MASK = 0x3fffffff;
const OWNER_DIED = 0x40000000;
const WAITERS = 0x80000000;
/** x86-64's struct robust_list_head: next, long futex_offset, list_op_pending (8 bytes each). */
const ROBUST_HEAD_BYTES = 24;

interface Shared {
  head: number;
  entry: number;
  robust: boolean;
  taken: boolean;
}

/** Takes the lock on its robust list (set pending, acquire, link, clear pending), then dies. */
function* owner(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  const me = yield* syscall(t, SYS_GETTID);
  storePtr(t, s.head, s.head); // empty list: the head points to itself
  storePtr(t, s.head + 8, 8); // futex_offset: the lock word follows the entry's 8-byte link
  storePtr(t, s.head + 16, 0);
  if (s.robust) {
    const r = yield* syscall(t, SYS_SET_ROBUST_LIST, s.head, ROBUST_HEAD_BYTES);
    if (r !== 0) throw new Error(`futex-robust: set_robust_list failed (${r})`);
  }
  storePtr(t, s.head + 16, s.entry); // list_op_pending
  const old = (yield t.atomic(AtomicOp.CompareExchange, s.entry + 8, 0, me)) as number;
  if (old !== 0) throw new Error('futex-robust: the lock was not free');
  storePtr(t, s.entry, s.head); // link: head -> entry -> head
  storePtr(t, s.head, s.entry);
  storePtr(t, s.head + 16, 0);
  s.taken = true;
  yield* sleep_ns(t, 2_000_000);
  return 0; // exits holding the lock
}

function* robustMain(t: Guest, raw: unknown): Program<number> {
  const robust = stringArg(raw as ProgramArgs, 'robust') === 'on';
  const s: Shared = {
    head: yield* malloc(t, ROBUST_HEAD_BYTES),
    entry: yield* malloc(t, 16), // the 8-byte link, then the lock word
    robust,
    taken: false,
  };
  const [, th] = yield* pthread_create(t, null, owner, s);
  while (!s.taken) yield* sleep_ns(t, 100_000);
  const word = s.entry + 8;
  const t0 = yield* clock_gettime_ns(t);
  let ownerDied = 0;
  const me = yield* syscall(t, SYS_GETTID);
  for (;;) {
    const v = (yield t.atomic(AtomicOp.Load, word)) as number;
    if ((v & TID_MASK) === 0) {
      // Free (perhaps OWNER_DIED): take it, keeping the bit for the report, as EOWNERDEAD would.
      if (((yield t.atomic(AtomicOp.CompareExchange, word, v, me | (v & OWNER_DIED))) as number) !== v)
        continue;
      ownerDied = (v & OWNER_DIED) !== 0 ? 1 : 0;
      break;
    }
    if ((v & WAITERS) === 0) {
      if (((yield t.atomic(AtomicOp.CompareExchange, word, v, v | WAITERS)) as number) !== v) continue;
    }
    yield* futex_wait(t, word, (v | WAITERS) >>> 0);
  }
  const waitedNs = (yield* clock_gettime_ns(t)) - t0;
  yield* pthread_join(t, th);
  publish(t, 'futex-robust', { acquired: 1, ownerDied, waitedNs });
  return 0;
}

export const FUTEX_ROBUST: GuestProgram = {
  image: { name: 'futex-robust', main: robustMain },
  doc: 'an owner dies holding a lock: robust lists hand it on with OWNER_DIED, or its waiter waits forever',
  claims: ['FUTEX-7', 'LIBC-2'],
  params: [
    {
      kind: 'choice',
      name: 'robust',
      doc: 'whether the owner registers a robust list',
      choices: ['on', 'off'],
      fallback: 'on',
    },
  ],
};
