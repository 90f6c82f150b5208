/** Unnamed semaphores (LIBC-4): results and errno, pshared across processes, relibc's inverted wait. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { EAGAIN, EINVAL, EOVERFLOW, ETIMEDOUT } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { CLOCK_MONOTONIC, CLOCK_REALTIME, MAP_SHARED } from '../../src/abi/syscalls.ts';
import { errno } from '../../src/libc/errno.ts';
import { SEM_VALUE_MAX } from '../../src/libc/layout.ts';
import { malloc } from '../../src/libc/malloc.ts';
import { spawn, waitpid } from '../../src/libc/process.ts';
import { pthread_create, pthread_join } from '../../src/libc/pthread.ts';
import {
  sem_clockwait,
  sem_getvalue,
  sem_init,
  sem_post,
  sem_timedwait,
  sem_trywait,
  sem_wait,
} from '../../src/libc/sem.ts';
import { mmap_anonymous } from '../../src/libc/sys.ts';
import { clock_gettime_ns, deadline_after, sleep_ns, timespec_at } from '../../src/libc/time.ts';
import { runLibc } from '../support/libc.ts';

test('improved: init, trywait, timedwait, post, getvalue with their errno values', () => {
  const out: unknown[] = [];
  runLibc('improved', function* (t) {
    const s = yield* malloc(t, 16);
    out.push(sem_init(t, s, 0, SEM_VALUE_MAX + 1), errno(t));
    out.push(sem_init(t, s, 0, 1), yield* sem_getvalue(t, s));
    out.push(yield* sem_wait(t, s), yield* sem_trywait(t, s), errno(t));
    out.push(yield* sem_timedwait(t, s, yield* deadline_after(t, CLOCK_REALTIME, 2_000_000)), errno(t));
    out.push(yield* sem_timedwait(t, s, yield* timespec_at(t, 0, 1_000_000_000)), errno(t));
    out.push(yield* sem_post(t, s), yield* sem_trywait(t, s));
    sem_init(t, s, 0, SEM_VALUE_MAX);
    out.push(yield* sem_post(t, s), errno(t));
  });
  assert.deepEqual(out, [
    -1,
    EINVAL,
    0,
    [0, 1],
    0,
    -1,
    EAGAIN,
    -1,
    ETIMEDOUT,
    -1,
    EINVAL,
    0,
    0,
    -1,
    EOVERFLOW,
  ]);
});

test('improved: a waiter blocks until a post from another thread, which wakes exactly one', () => {
  const out: number[] = [];
  const run = runLibc('improved', function* (t) {
    const s = yield* malloc(t, 16);
    sem_init(t, s, 0, 0);
    const [, th] = yield* pthread_create(t, null, (t2) => sem_wait(t2, s), null);
    yield* sleep_ns(t, 2_000_000);
    out.push(yield* sem_post(t, s));
    out.push((yield* pthread_join(t, th))[1] as number, (yield* sem_getvalue(t, s))[1]);
  });
  assert.deepEqual(out, [0, 0, 0]);
  assert.equal(run.kernel.futex.counts.woken, 2, 'the post woke the waiter, the exit woke the joiner');
});

function* sharedChild(t: Guest, raw: unknown): Program<number> {
  return (yield* sem_wait(t, raw as number)) === 0 ? 7 : 1;
}

test('improved: pshared semaphore in MAP_SHARED memory wakes a waiter in another process', () => {
  const out: number[] = [];
  runLibc('improved', function* (t) {
    const s = yield* mmap_anonymous(t, 4096, MAP_SHARED);
    sem_init(t, s, 1, 0);
    const pid = yield* spawn(t, { name: 'child', main: sharedChild }, s);
    yield* sleep_ns(t, 3_000_000);
    out.push(yield* sem_post(t, s), (yield* waitpid(t, pid))[1] >> 8);
  });
  assert.deepEqual(out, [0, 7]);
});

test('relibc @08fc95fc: sem_wait on 0 returns at once; on 3 it drains to 0 (models.md §3)', () => {
  const out: unknown[] = [];
  runLibc('relibc', function* (t) {
    const s = yield* malloc(t, 16);
    sem_init(t, s, 0, 0);
    out.push(yield* sem_wait(t, s), yield* sem_getvalue(t, s));
    sem_init(t, s, 0, 3);
    out.push(yield* sem_wait(t, s), yield* sem_getvalue(t, s));
    out.push(yield* sem_trywait(t, s), errno(t));
  });
  assert.deepEqual(out, [0, [0, 0], 0, [0, 0], -1, EAGAIN]);
});

/**
 * sem_timedwait and sem_clockwait with a deadline already past, in glibc's order (improved):
 * tv_nsec checked first (EINVAL even with a unit free), then the fast path (a free unit is
 * taken, 0), then the futex wait, which ends at once (within 60 us) with ETIMEDOUT. relibc
 * @08fc95fc keeps its inverted test (sem.ts): on a zero count it returns 0 at once; on a count
 * above zero it takes units down to 0, then finds the deadline passed: ETIMEDOUT.
 */
for (const variant of ['relibc', 'improved'] as const) {
  test(`sem_timedwait and sem_clockwait with a past deadline (${variant})`, () => {
    const out: string[] = [];
    runLibc(variant, function* (t) {
      const s = yield* malloc(t, 16);
      const call = function* (name: string, value: number, clock: number, abstime: Program<number>) {
        sem_init(t, s, 0, value);
        const at = yield* abstime;
        const t0 = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
        const r =
          clock === CLOCK_REALTIME ? yield* sem_timedwait(t, s, at) : yield* sem_clockwait(t, s, clock, at);
        const took = (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t0;
        const left = (yield* sem_getvalue(t, s))[1];
        out.push(
          `${name}: ${r === 0 ? 0 : errno(t)} left ${left}${took < 60_000 ? '' : ` after ${took} ns`}`,
        );
      };
      const ago = () => deadline_after(t, CLOCK_REALTIME, -1_000_000_000);
      yield* call('empty, a second ago', 0, CLOCK_REALTIME, ago());
      yield* call('empty, 1970', 0, CLOCK_REALTIME, timespec_at(t, 0, 0));
      yield* call('empty, negative tv_sec', 0, CLOCK_REALTIME, timespec_at(t, -1, 0));
      yield* call('empty, monotonic 1 us', 0, CLOCK_MONOTONIC, timespec_at(t, 0, 1000));
      yield* call('one unit, a second ago', 1, CLOCK_REALTIME, ago());
      yield* call('one unit, bad tv_nsec', 1, CLOCK_REALTIME, timespec_at(t, 0, 1_000_000_000));
    });
    const T = ETIMEDOUT;
    const expected =
      variant === 'improved'
        ? [
            `empty, a second ago: ${T} left 0`,
            `empty, 1970: ${T} left 0`,
            `empty, negative tv_sec: ${T} left 0`,
            `empty, monotonic 1 us: ${T} left 0`,
            'one unit, a second ago: 0 left 0',
            `one unit, bad tv_nsec: ${EINVAL} left 1`,
          ]
        : [
            'empty, a second ago: 0 left 0',
            'empty, 1970: 0 left 0',
            'empty, negative tv_sec: 0 left 0',
            'empty, monotonic 1 us: 0 left 0',
            `one unit, a second ago: ${T} left 0`,
            `one unit, bad tv_nsec: ${EINVAL} left 1`,
          ];
    assert.deepEqual(out, expected);
  });
}
