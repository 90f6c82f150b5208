/**
 * PI futexes (FUTEX-6) and robust lists (FUTEX-7) from a guest's side: return values, errno
 * values, word contents, hand-off versus re-compete, chain boosting and cycles.
 */
import { futex, gettid } from '../../support/futex.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import { EAGAIN, EDEADLK, EINVAL, ENOSYS, EPERM, ETIMEDOUT } from '../../../src/abi/errno.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import { CLOCK_REALTIME, SYS_SET_ROBUST_LIST } from '../../../src/abi/syscalls.ts';
import { FUTEX_OWNER_DIED, FUTEX_WAITERS } from '../../../src/kernel/futex/pi.ts';
import { waitForGraph } from '../../../src/kernel/deadlock.ts';
import type { FutexMode } from '../../../src/kernel/futex/table.ts';
import type { Kernel } from '../../../src/kernel/kernel.ts';
import { malloc } from '../../../src/libc/malloc.ts';
import { storePtr } from '../../../src/libc/ptr.ts';
import { pthread_create, pthread_join } from '../../../src/libc/pthread.ts';
import { syscall } from '../../../src/libc/sys.ts';
import { deadline_after, sleep_ns } from '../../../src/libc/time.ts';
import { bootGuest } from '../../support/guest.ts';

const MS = 1_000_000;
const LOCK_PI = 6;
const UNLOCK_PI = 7;
const TRYLOCK_PI = 8;
const WAIT = 0;
const WAIT_REQUEUE_PI = 11;
const CMP_REQUEUE_PI = 12;
const INT_MAX = 0x7fffffff;

/** Runs `main` on a machine in `mode`; `main` gets the kernel for reaching in as a harness. */
function run(mode: FutexMode, cpus: number, main: (t: Guest, k: () => Kernel) => Program<number>): void {
  const machine = bootGuest((t) => main(t, () => machine.kernel), null, {
    cpus,
    futex: { mode, shards: mode === 'redox' ? 1 : 64 },
  });
  const reason = machine.board.engine.run({ simNsMax: 10_000_000_000, eventsMax: 2_000_000 });
  assert.equal(reason, 'stopped', machine.kernel.stopReason ?? '');
  assert.deepEqual(machine.kernel.faults, []);
}

test('LOCK_PI, TRYLOCK_PI and UNLOCK_PI on an uncontended word, with their errors', () => {
  const got: (number | string)[] = [];
  run('linux', 1, function* (t) {
    const word = yield* malloc(t, 4);
    const me = yield* gettid(t);
    got.push(yield* futex(t, word, LOCK_PI));
    got.push(t.load32(word) === me ? 'owner' : `word ${t.load32(word)}`);
    got.push(yield* futex(t, word, LOCK_PI));
    got.push(yield* futex(t, word, TRYLOCK_PI));
    got.push(yield* futex(t, word, UNLOCK_PI));
    got.push(t.load32(word));
    got.push(yield* futex(t, word, UNLOCK_PI)); // not the owner any more
    got.push(yield* futex(t, word, TRYLOCK_PI));
    t.store32(word, 0);
    got.push(yield* futex(t, word + 1, LOCK_PI)); // misaligned
    return 0;
  });
  assert.deepEqual(got, [0, 'owner', -EDEADLK, -EDEADLK, 0, 0, -EPERM, 0, -EINVAL]);
});

test('Redox has no PI ops (EINVAL) and no robust lists (ENOSYS)', () => {
  const got: number[] = [];
  run('redox', 1, function* (t) {
    const word = yield* malloc(t, 16);
    got.push(yield* futex(t, word, LOCK_PI));
    got.push(yield* syscall(t, SYS_SET_ROBUST_LIST, word, 12));
    return 0;
  });
  assert.deepEqual(got, [-EINVAL, -ENOSYS]);
});

interface Contended {
  word: number;
  log: string[];
}

function* contender(t: Guest, raw: unknown): Program<number> {
  const c = raw as Contended;
  const me = yield* gettid(t);
  const r = yield* futex(t, c.word, LOCK_PI);
  const word = t.load32(c.word);
  c.log.push(`locked=${r} owner=${(word & 0x3fffffff) === me} waiters=${(word & FUTEX_WAITERS) !== 0}`);
  c.log.push(`unlock=${yield* futex(t, c.word, UNLOCK_PI)}`);
  return 0;
}

function contended(mode: FutexMode): string[] {
  const log: string[] = [];
  run(mode, 2, function* (t) {
    const c: Contended = { word: yield* malloc(t, 4), log };
    log.push(`lock=${yield* futex(t, c.word, LOCK_PI)}`);
    const [, th] = yield* pthread_create(t, null, contender, c);
    yield* sleep_ns(t, 2 * MS);
    log.push(`waiters-bit=${(t.load32(c.word) & FUTEX_WAITERS) !== 0}`);
    log.push(`trylock-other=${yield* futex(t, c.word, TRYLOCK_PI)}`);
    log.push(`unlock=${yield* futex(t, c.word, UNLOCK_PI)}`);
    log.push(`after-unlock=${t.load32(c.word) === 0 ? 'free' : 'held'}`);
    yield* pthread_join(t, th);
    return 0;
  });
  return log;
}

test('linux UNLOCK_PI hands the lock to the waiter, which returns owning it', () => {
  assert.deepEqual(contended('linux'), [
    'lock=0',
    'waiters-bit=true',
    `trylock-other=${-EDEADLK}`,
    'unlock=0',
    'after-unlock=held',
    'locked=0 owner=true waiters=true',
    'unlock=0',
  ]);
});

test('redbear UNLOCK_PI frees the word and wakes the waiter to re-compete (no hand-off)', () => {
  assert.deepEqual(contended('redbear'), [
    'lock=0',
    'waiters-bit=true',
    `trylock-other=${-EDEADLK}`,
    'unlock=0',
    'after-unlock=free',
    'locked=0 owner=true waiters=false',
    'unlock=0',
  ]);
});

interface Chain {
  l1: number;
  l2: number;
  tids: number[];
  log: string[];
}

/** T2: takes L2, then blocks on L1 (held by main). */
function* middle(t: Guest, raw: unknown): Program<number> {
  const c = raw as Chain;
  c.tids[2] = yield* gettid(t);
  yield* futex(t, c.l2, LOCK_PI);
  c.log.push(`t2 lock l1=${yield* futex(t, c.l1, LOCK_PI)}`);
  yield* futex(t, c.l1, UNLOCK_PI);
  yield* futex(t, c.l2, UNLOCK_PI);
  return 0;
}

/** T3: high priority, blocks on L2 with a timeout. */
function* top(t: Guest, raw: unknown): Program<number> {
  const c = raw as Chain;
  c.tids[3] = yield* gettid(t);
  yield* sleep_ns(t, 1 * MS); // the harness raises its priority meanwhile
  // LOCK_PI's timeout is absolute on CLOCK_REALTIME (Red Bear has no LOCK_PI2).
  const deadline = yield* deadline_after(t, CLOCK_REALTIME, 5 * MS);
  c.log.push(`t3 lock l2=${yield* futex(t, c.l2, LOCK_PI, 0, deadline)}`);
  return 0;
}

function chain(mode: FutexMode): { log: string[]; boosts: string[] } {
  const log: string[] = [];
  const boosts: string[] = [];
  run(mode, 4, function* (t, k) {
    const c: Chain = { l1: yield* malloc(t, 4), l2: yield* malloc(t, 4), tids: [], log };
    c.tids[1] = yield* gettid(t);
    yield* futex(t, c.l1, LOCK_PI);
    const [, t2] = yield* pthread_create(t, null, middle, c);
    yield* sleep_ns(t, 1 * MS);
    const [, t3] = yield* pthread_create(t, null, top, c);
    // Harness: T3 runs at nice -10 (Redox prio 10, kernel prio 110); T1 and T2 at nice 0.
    yield* sleep_ns(t, MS / 2);
    k().threads.get(c.tids[3] ?? -1)!.prio = 10;
    yield* sleep_ns(t, 3 * MS);
    const show = (n: number) => {
      const th = k().threads.get(c.tids[n]!)!;
      return `t${n} boost=${th.piBoost === Number.POSITIVE_INFINITY ? '-' : th.piBoost} prio=${th.prio}`;
    };
    boosts.push(show(1), show(2));
    yield* sleep_ns(t, 5 * MS); // T3 times out
    boosts.push(show(1), show(2));
    yield* futex(t, c.l1, UNLOCK_PI);
    yield* pthread_join(t, t2);
    yield* pthread_join(t, t3);
    return 0;
  });
  return { log, boosts };
}

test('linux boosts every owner up the chain to the top waiter, and restores them when it leaves', () => {
  const { log, boosts } = chain('linux');
  // Once T3 leaves, T1's top waiter is T2 at 120: a "boost" equal to its own priority.
  assert.deepEqual(boosts, [
    't1 boost=110 prio=20',
    't2 boost=110 prio=20',
    't1 boost=120 prio=20',
    't2 boost=- prio=20',
  ]);
  assert.deepEqual(log, [`t3 lock l2=${-ETIMEDOUT}`, 't2 lock l1=0']);
});

test('redbear boosts one level deep: the direct owner only, by lowering its prio', () => {
  const { log, boosts } = chain('redbear');
  assert.deepEqual(boosts, [
    't1 boost=- prio=20',
    't2 boost=- prio=10',
    't1 boost=- prio=20',
    't2 boost=- prio=20',
  ]);
  assert.deepEqual(log, [`t3 lock l2=${-ETIMEDOUT}`, 't2 lock l1=0']);
});

test('LOCK_PI answers EDEADLK when the wait would close a cycle of owners (linux)', () => {
  const log: string[] = [];
  function* second(t: Guest, raw: unknown): Program<number> {
    const [a, b] = raw as [number, number];
    yield* futex(t, b, LOCK_PI);
    yield* sleep_ns(t, 2 * MS);
    log.push(`t2 lock a=${yield* futex(t, a, LOCK_PI)}`);
    yield* futex(t, b, UNLOCK_PI);
    return 0;
  }
  run('linux', 2, function* (t) {
    const a = yield* malloc(t, 4);
    const b = yield* malloc(t, 4);
    yield* futex(t, a, LOCK_PI);
    const [, th] = yield* pthread_create(t, null, second, [a, b]);
    yield* sleep_ns(t, 1 * MS);
    log.push(`t1 lock b=${yield* futex(t, b, LOCK_PI)}`); // blocks until T2 gives up b
    yield* futex(t, b, UNLOCK_PI);
    yield* futex(t, a, UNLOCK_PI);
    yield* pthread_join(t, th);
    return 0;
  });
  assert.deepEqual(log, [`t2 lock a=${-EDEADLK}`, 't1 lock b=0']);
});

test('CMP_REQUEUE_PI gives the PI lock to one waiter and queues the rest on it; each then gets it by hand-off', () => {
  const log: string[] = [];
  const order: number[] = [];
  function* condWaiter(t: Guest, raw: unknown): Program<number> {
    const [cond, mutex] = raw as [number, number];
    const r = yield* futex(t, cond, WAIT_REQUEUE_PI, 0, 0, mutex);
    order.push(r);
    yield* futex(t, mutex, UNLOCK_PI);
    return 0;
  }
  run('linux', 4, function* (t) {
    const cond = yield* malloc(t, 4);
    const mutex = yield* malloc(t, 4);
    const threads: number[] = [];
    for (let i = 0; i < 3; i++) threads.push((yield* pthread_create(t, null, condWaiter, [cond, mutex]))[1]);
    yield* sleep_ns(t, 2 * MS);
    log.push(`bad-nr-wake=${yield* futex(t, cond, CMP_REQUEUE_PI, 2, INT_MAX, mutex, 0)}`);
    log.push(`value-differs=${yield* futex(t, cond, CMP_REQUEUE_PI, 1, INT_MAX, mutex, 7)}`);
    log.push(`plain-wait-same=${yield* futex(t, cond, WAIT_REQUEUE_PI, 0, 0, cond)}`);
    log.push(`requeue=${yield* futex(t, cond, CMP_REQUEUE_PI, 1, INT_MAX, mutex, 0)}`);
    for (const th of threads) yield* pthread_join(t, th);
    log.push(`mutex=${t.load32(mutex)}`);
    return 0;
  });
  assert.deepEqual(log, [
    `bad-nr-wake=${-EINVAL}`,
    `value-differs=${-EAGAIN}`,
    `plain-wait-same=${-EINVAL}`,
    'requeue=3',
    'mutex=0',
  ]);
  assert.deepEqual(order, [0, 0, 0]);
});

/** The robust-list layout: head {next, offset, pending} then one entry whose lock word follows. */
function* robustOwner(t: Guest, raw: unknown): Program<number> {
  const { head, entry, useRobust } = raw as { head: number; entry: number; useRobust: boolean };
  const me = yield* gettid(t);
  // x86-64's robust_list_head: three 8-byte fields (issue 15: pointers are 48-bit).
  storePtr(t, head, entry); // list: head -> entry -> head
  storePtr(t, head + 8, 8); // futex_offset: the lock word is 8 bytes after the entry
  storePtr(t, head + 16, 0);
  storePtr(t, entry, head);
  if (useRobust) yield* syscall(t, SYS_SET_ROBUST_LIST, head, 24);
  t.store32(entry + 8, me); // take the lock word (the userspace fast path)
  // Long enough that the waiter's 0.5 ms sleep ends first whichever CPUs' 1 ms ticks serve the
  // two timers (each CPU's tick has its own phase).
  yield* sleep_ns(t, 5 * MS);
  return 0; // dies holding it
}

test('a dying owner on a robust list leaves OWNER_DIED and wakes its waiter (FUTEX-7)', () => {
  const log: string[] = [];
  run('linux', 2, function* (t) {
    const head = yield* malloc(t, 24);
    const entry = yield* malloc(t, 16);
    const [, th] = yield* pthread_create(t, null, robustOwner, { head, entry, useRobust: true });
    yield* sleep_ns(t, MS / 2);
    const lockWord = entry + 8;
    const owner = t.load32(lockWord);
    t.store32(lockWord, owner | FUTEX_WAITERS);
    log.push(`wait=${yield* futex(t, lockWord, WAIT, owner | FUTEX_WAITERS)}`);
    const word = t.load32(lockWord);
    log.push(
      `owner-died=${(word & FUTEX_OWNER_DIED) !== 0} tid=${word & 0x3fffffff} waiters=${(word & FUTEX_WAITERS) !== 0}`,
    );
    log.push(`len-check=${yield* syscall(t, SYS_SET_ROBUST_LIST, head, 12)}`); // the compat length
    yield* pthread_join(t, th);
    return 0;
  });
  assert.deepEqual(log, ['wait=0', 'owner-died=true tid=0 waiters=true', `len-check=${-EINVAL}`]);
});

test('without a robust list the waiter of a dead owner waits forever: a deadlock with its wait-for graph', () => {
  const machine = bootGuest(
    function* (t) {
      const head = yield* malloc(t, 24);
      const entry = yield* malloc(t, 16);
      const [, th] = yield* pthread_create(t, null, robustOwner, { head, entry, useRobust: false });
      yield* sleep_ns(t, MS / 2);
      const lockWord = entry + 8;
      const owner = t.load32(lockWord);
      yield* futex(t, lockWord, WAIT, owner);
      yield* pthread_join(t, th);
      return 0;
    },
    null,
    { cpus: 2, futex: { mode: 'linux', shards: 64 } },
  );
  const reason = machine.board.engine.run({ simNsMax: 10_000_000_000, eventsMax: 2_000_000 });
  assert.equal(reason, 'stopped');
  assert.match(machine.kernel.stopReason ?? '', /deadlock/);
  assert.match(waitForGraph(machine.kernel), /futex 0x[0-9a-f]+ pid 1/);
});

test('CMP_REQUEUE_PI(1, 0) on a held PI lock queues the top waiter on it (the wake slot), as Linux', () => {
  const log: string[] = [];
  function* condWaiter(t: Guest, raw: unknown): Program<number> {
    const [cond, mutex] = raw as [number, number];
    log.push(`waiter=${yield* futex(t, cond, WAIT_REQUEUE_PI, 0, 0, mutex)}`);
    yield* futex(t, mutex, UNLOCK_PI);
    return 0;
  }
  run('linux', 2, function* (t) {
    const cond = yield* malloc(t, 4);
    const mutex = yield* malloc(t, 4);
    yield* futex(t, mutex, LOCK_PI);
    const [, th] = yield* pthread_create(t, null, condWaiter, [cond, mutex]);
    yield* sleep_ns(t, 2 * MS);
    log.push(`requeue=${yield* futex(t, cond, CMP_REQUEUE_PI, 1, 0, mutex, 0)}`);
    log.push(`waiters-bit=${(t.load32(mutex) & FUTEX_WAITERS) !== 0}`);
    log.push(`unlock=${yield* futex(t, mutex, UNLOCK_PI)}`);
    yield* pthread_join(t, th);
    return 0;
  });
  assert.deepEqual(log, ['requeue=1', 'waiters-bit=true', 'unlock=0', 'waiter=0']);
});

interface DyingOwner {
  word: number;
  log: string[];
}

/** Takes the PI lock and exits holding it, with no robust list. */
function* piOwnerExits(t: Guest, raw: unknown): Program<number> {
  const o = raw as DyingOwner;
  o.log.push(`owner lock=${yield* futex(t, o.word, LOCK_PI)}`);
  yield* sleep_ns(t, 5 * MS);
  return 0; // exits owning it
}

/** Waits for the PI lock, logs what it got and the word, holds it 1 ms, and unlocks it. */
function* piHeir(t: Guest, raw: unknown): Program<number> {
  const o = raw as DyingOwner;
  yield* sleep_ns(t, 1 * MS);
  const me = yield* gettid(t);
  const r = yield* futex(t, o.word, LOCK_PI);
  const word = t.load32(o.word);
  o.log.push(`heir lock=${r} tid=${(word & 0x3fffffff) === me} bits=${(word & ~0x3fffffff) >>> 0}`);
  yield* sleep_ns(t, 1 * MS);
  o.log.push(`heir unlock=${yield* futex(t, o.word, UNLOCK_PI)}`);
  return 0;
}

test('a PI owner that exits without a robust list hands each lock to its top waiter with OWNER_DIED (linux)', () => {
  const log: string[] = [];
  run('linux', 2, function* (t, k) {
    const o: DyingOwner = { word: yield* malloc(t, 4), log };
    const [, owner] = yield* pthread_create(t, null, piOwnerExits, o);
    const [, heir] = yield* pthread_create(t, null, piHeir, o); // queues first
    yield* sleep_ns(t, 2 * MS);
    const me = yield* gettid(t);
    const r = yield* futex(t, o.word, LOCK_PI); // queues second; gets it from the heir
    const word = t.load32(o.word);
    log.push(`main lock=${r} tid=${(word & 0x3fffffff) === me} bits=${(word & ~0x3fffffff) >>> 0}`);
    log.push(`main unlock=${yield* futex(t, o.word, UNLOCK_PI)} word=${t.load32(o.word)}`);
    log.push(`handed=${k().futex.counts.pi_owner_died}`);
    yield* pthread_join(t, owner);
    yield* pthread_join(t, heir);
    return 0;
  });
  assert.deepEqual(log, [
    'owner lock=0',
    // fixup_pi_owner's word: the new owner's TID | WAITERS | OWNER_DIED.
    `heir lock=0 tid=true bits=${(FUTEX_WAITERS | FUTEX_OWNER_DIED) >>> 0}`,
    'heir unlock=0',
    // wake_futex_pi hands it on as TID | WAITERS: OWNER_DIED is cleared.
    `main lock=0 tid=true bits=${FUTEX_WAITERS}`,
    'main unlock=0 word=0',
    'handed=1',
  ]);
});

test('redbear has no exit walk of PI state: the waiter of an owner that exited waits forever', () => {
  const log: string[] = [];
  const machine = bootGuest(
    function* (t) {
      const o: DyingOwner = { word: yield* malloc(t, 4), log };
      yield* pthread_create(t, null, piOwnerExits, o);
      yield* sleep_ns(t, 1 * MS);
      log.push(`main lock=${yield* futex(t, o.word, LOCK_PI)}`);
      return 0;
    },
    null,
    { cpus: 2, futex: { mode: 'redbear', shards: 64 } },
  );
  const reason = machine.board.engine.run({ simNsMax: 10_000_000_000, eventsMax: 2_000_000 });
  assert.equal(reason, 'stopped');
  assert.match(machine.kernel.stopReason ?? '', /deadlock/);
  assert.match(waitForGraph(machine.kernel), /pi-futex 0x[0-9a-f]+ owner \d+/);
  assert.deepEqual(log, ['owner lock=0']);
});
