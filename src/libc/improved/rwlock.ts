/**
 * The improved libc's rwlock (LIBC-4), after glibc's pre-2.25 design: counters under an
 * internal three-state lock, and two futex sequence words, one for queued readers and one for
 * queued writers. A reader may enter while a writer waits unless the lock prefers writers
 * (PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP; glibc's PREFER_WRITER_NP behaves as reader
 * preference, and so does this one). An unlock wakes one writer, or every queued reader.
 * A writer relocking, or a writer taking a read lock, gets EDEADLK.
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import { EAGAIN, EBUSY, EDEADLK, EPERM, ETIMEDOUT } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import { type Deadline, futexWaitUntil, futexWakeN, INT_MAX } from '../futex.ts';
import { PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP, RWLOCK_FLAGS } from '../layout.ts';

const LOCK = 0;
const READERS = 4;
const READERS_QUEUED = 8;
const WRITERS_QUEUED = 12;
const WRITER = 16;
const READERS_WAKEUP = 20;
const WRITER_WAKEUP = 24;
const PSHARED = 0x80;
const PREF_MASK = 3;
/** Readers at once: glibc's limit is the counter's range. */
const READERS_MAX = 0x7fffffff;

export function init(t: Guest, rw: number, flags: number): void {
  for (let off = 0; off < RWLOCK_FLAGS; off += 4) t.store32(rw + off, 0);
  t.store32(rw + RWLOCK_FLAGS, flags);
}

const shared = (t: Guest, rw: number) => (t.load32(rw + RWLOCK_FLAGS) & PSHARED) !== 0;
const prefersWriters = (t: Guest, rw: number) =>
  (t.load32(rw + RWLOCK_FLAGS) & PREF_MASK) === PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;

function* lockInternal(t: Guest, rw: number): Program<void> {
  let c = (yield t.atomic(AtomicOp.CompareExchange, rw + LOCK, 0, 1)) as number;
  if (c === 0) return;
  if (c !== 2) c = (yield t.atomic(AtomicOp.Exchange, rw + LOCK, 2)) as number;
  while (c !== 0) {
    yield* futexWaitUntil(t, rw + LOCK, 2, null, shared(t, rw));
    c = (yield t.atomic(AtomicOp.Exchange, rw + LOCK, 2)) as number;
  }
}

function* unlockInternal(t: Guest, rw: number): Program<void> {
  const old = (yield t.atomic(AtomicOp.Exchange, rw + LOCK, 0)) as number;
  if (old === 2) yield* futexWakeN(t, rw + LOCK, 1, shared(t, rw));
}

const bump = (t: Guest, addr: number, by: number) => t.store32(addr, t.load32(addr) + by);

/** Read lock: 0, EBUSY (trying), EDEADLK (the caller writes), EAGAIN (too many readers), ETIMEDOUT. */
export function* rdlock(t: Guest, rw: number, deadline: Deadline | null, trying: boolean): Program<number> {
  yield* lockInternal(t, rw);
  for (;;) {
    const writer = t.load32(rw + WRITER);
    const writersWaiting = t.load32(rw + WRITERS_QUEUED) > 0 && prefersWriters(t, rw);
    if (writer === 0 && !writersWaiting) {
      if (t.load32(rw + READERS) === READERS_MAX) {
        yield* unlockInternal(t, rw);
        return EAGAIN;
      }
      bump(t, rw + READERS, 1);
      yield* unlockInternal(t, rw);
      return 0;
    }
    const err = writer === t.tid ? EDEADLK : trying ? EBUSY : 0;
    if (err !== 0) {
      yield* unlockInternal(t, rw);
      return err;
    }
    const r = yield* sleepQueued(t, rw, READERS_QUEUED, READERS_WAKEUP, deadline);
    if (r === -ETIMEDOUT) {
      yield* unlockInternal(t, rw);
      return ETIMEDOUT;
    }
  }
}

/**
 * Sleeps as one of the queued readers or writers (counted at `queued`) until the sequence word
 * at `wakeup` moves or the deadline passes; the internal lock is held on entry and on return.
 */
function* sleepQueued(
  t: Guest,
  rw: number,
  queued: number,
  wakeup: number,
  deadline: Deadline | null,
): Program<number> {
  bump(t, rw + queued, 1);
  const seq = t.load32(rw + wakeup);
  yield* unlockInternal(t, rw);
  const r = yield* futexWaitUntil(t, rw + wakeup, seq, deadline, shared(t, rw));
  yield* lockInternal(t, rw);
  bump(t, rw + queued, -1);
  return r;
}

/** Write lock: 0, EBUSY (trying), EDEADLK (the caller writes already), ETIMEDOUT. */
export function* wrlock(t: Guest, rw: number, deadline: Deadline | null, trying: boolean): Program<number> {
  yield* lockInternal(t, rw);
  for (;;) {
    const writer = t.load32(rw + WRITER);
    if (writer === 0 && t.load32(rw + READERS) === 0) {
      t.store32(rw + WRITER, t.tid);
      yield* unlockInternal(t, rw);
      return 0;
    }
    const err = writer === t.tid ? EDEADLK : trying ? EBUSY : 0;
    if (err !== 0) {
      yield* unlockInternal(t, rw);
      return err;
    }
    const r = yield* sleepQueued(t, rw, WRITERS_QUEUED, WRITER_WAKEUP, deadline);
    if (r === -ETIMEDOUT) {
      // A reader held back for this writer (writer preference) may go now.
      const wakeReaders = t.load32(rw + WRITERS_QUEUED) === 0 && t.load32(rw + READERS_QUEUED) > 0;
      if (wakeReaders) bump(t, rw + READERS_WAKEUP, 1);
      yield* unlockInternal(t, rw);
      if (wakeReaders) yield* futexWakeN(t, rw + READERS_WAKEUP, INT_MAX, shared(t, rw));
      return ETIMEDOUT;
    }
  }
}

/** EPERM when the lock is held neither by the calling writer nor by any reader. */
export function* unlock(t: Guest, rw: number): Program<number> {
  yield* lockInternal(t, rw);
  if (t.load32(rw + WRITER) === t.tid) t.store32(rw + WRITER, 0);
  else if (t.load32(rw + WRITER) === 0 && t.load32(rw + READERS) > 0) bump(t, rw + READERS, -1);
  else {
    yield* unlockInternal(t, rw);
    return EPERM;
  }
  let wake = 0;
  if (t.load32(rw + READERS) === 0) {
    const readersFirst = !prefersWriters(t, rw) && t.load32(rw + READERS_QUEUED) > 0;
    if (t.load32(rw + WRITERS_QUEUED) > 0 && !readersFirst) {
      bump(t, rw + WRITER_WAKEUP, 1);
      wake = WRITER_WAKEUP;
    } else if (t.load32(rw + READERS_QUEUED) > 0) {
      bump(t, rw + READERS_WAKEUP, 1);
      wake = READERS_WAKEUP;
    }
  }
  yield* unlockInternal(t, rw);
  if (wake !== 0) yield* futexWakeN(t, rw + wake, wake === WRITER_WAKEUP ? 1 : INT_MAX, shared(t, rw));
  return 0;
}
