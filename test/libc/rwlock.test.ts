/** Read-write locks (LIBC-4): try, timed, EDEADLK, preference, and relibc's writer starvation. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EBUSY, EDEADLK, EINVAL, EPERM, ETIMEDOUT } from '../../src/abi/errno.ts';
import type { Program } from '../../src/abi/effects.ts';
import { CLOCK_MONOTONIC, CLOCK_REALTIME } from '../../src/abi/syscalls.ts';
import { PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP } from '../../src/libc/layout.ts';
import { pthread_create, pthread_join } from '../../src/libc/pthread.ts';
import {
  pthread_rwlock_new,
  pthread_rwlock_rdlock,
  pthread_rwlock_timedrdlock,
  pthread_rwlock_timedwrlock,
  pthread_rwlock_tryrdlock,
  pthread_rwlock_trywrlock,
  pthread_rwlock_unlock,
  pthread_rwlock_wrlock,
  pthread_rwlockattr_getkind_np,
  pthread_rwlockattr_init,
  pthread_rwlockattr_setkind_np,
  pthread_rwlockattr_t,
} from '../../src/libc/rwlock.ts';
import { clock_gettime_ns, deadline_after, sleep_ns, timespec_at } from '../../src/libc/time.ts';
import { runLibc, VARIANTS } from '../support/libc.ts';

test('rwlockattr kind takes 0..2', () => {
  const a = new pthread_rwlockattr_t();
  assert.equal(pthread_rwlockattr_setkind_np(a, 0), EINVAL, 'not initialised');
  pthread_rwlockattr_init(a);
  assert.equal(pthread_rwlockattr_setkind_np(a, 3), EINVAL);
  assert.equal(pthread_rwlockattr_setkind_np(a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP), 0);
  assert.deepEqual(pthread_rwlockattr_getkind_np(a), [0, 2]);
});

for (const variant of VARIANTS) {
  test(`readers share, a writer excludes: try and timed results (${variant})`, () => {
    const out: number[] = [];
    runLibc(variant, function* (t) {
      const rw = yield* pthread_rwlock_new(t);
      out.push(yield* pthread_rwlock_rdlock(t, rw), yield* pthread_rwlock_tryrdlock(t, rw));
      out.push(yield* pthread_rwlock_trywrlock(t, rw));
      out.push(yield* pthread_rwlock_timedwrlock(t, rw, yield* deadline_after(t, CLOCK_REALTIME, 2_000_000)));
      out.push(yield* pthread_rwlock_unlock(t, rw), yield* pthread_rwlock_unlock(t, rw));
      out.push(yield* pthread_rwlock_wrlock(t, rw));
      const [, th] = yield* pthread_create(
        t,
        null,
        function* (t2) {
          const r: number[] = [
            yield* pthread_rwlock_tryrdlock(t2, rw),
            yield* pthread_rwlock_trywrlock(t2, rw),
          ];
          r.push(
            yield* pthread_rwlock_timedrdlock(t2, rw, yield* deadline_after(t2, CLOCK_REALTIME, 2_000_000)),
          );
          return r;
        },
        null,
      );
      out.push(...((yield* pthread_join(t, th))[1] as number[]));
      out.push(yield* pthread_rwlock_unlock(t, rw), yield* pthread_rwlock_trywrlock(t, rw));
      out.push(yield* pthread_rwlock_unlock(t, rw));
      out.push(yield* pthread_rwlock_timedrdlock(t, rw, yield* timespec_at(t, 0, 1_000_000_000)));
    });
    assert.deepEqual(out, [0, 0, EBUSY, ETIMEDOUT, 0, 0, 0, EBUSY, EBUSY, ETIMEDOUT, 0, 0, 0, EINVAL]);
  });
}

test('improved: the writer relocking or reading gets EDEADLK; an unheld unlock EPERM', () => {
  const out: number[] = [];
  runLibc('improved', function* (t) {
    const rw = yield* pthread_rwlock_new(t);
    out.push(yield* pthread_rwlock_unlock(t, rw));
    out.push(yield* pthread_rwlock_wrlock(t, rw), yield* pthread_rwlock_wrlock(t, rw));
    out.push(yield* pthread_rwlock_rdlock(t, rw), yield* pthread_rwlock_unlock(t, rw));
  });
  assert.deepEqual(out, [EPERM, 0, EDEADLK, EDEADLK, 0]);
});

/** A reader holds the lock, a writer queues, then a second reader arrives: does it get in? */
function lateReaderGetsIn(variant: 'relibc' | 'improved', preferWriters: boolean): number {
  let late = -1;
  runLibc(variant, function* (t) {
    const attr = new pthread_rwlockattr_t();
    pthread_rwlockattr_init(attr);
    if (preferWriters) pthread_rwlockattr_setkind_np(attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    const rw = yield* pthread_rwlock_new(t, attr);
    yield* pthread_rwlock_rdlock(t, rw);
    const [, writer] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        yield* pthread_rwlock_wrlock(t2, rw);
        return yield* pthread_rwlock_unlock(t2, rw);
      },
      null,
    );
    yield* sleep_ns(t, 2_000_000); // the writer is queued now
    const [, reader] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        const r = yield* pthread_rwlock_tryrdlock(t2, rw);
        if (r === 0) yield* pthread_rwlock_unlock(t2, rw);
        return r;
      },
      null,
    );
    late = (yield* pthread_join(t, reader))[1] as number;
    yield* pthread_rwlock_unlock(t, rw);
    yield* pthread_join(t, writer);
  });
  return late;
}

test('a waiting writer holds new readers back only under writer preference; relibc never (models.md §3)', () => {
  assert.equal(lateReaderGetsIn('improved', false), 0);
  assert.equal(lateReaderGetsIn('improved', true), EBUSY);
  assert.equal(lateReaderGetsIn('relibc', true), 0);
});

/**
 * Timed rwlock calls with a deadline already past: a free lock is taken (glibc checks only
 * tv_nsec first, __pthread_rwlock_rdlock_full64, then tries), a held one answers ETIMEDOUT at
 * once (within 60 us), whether the deadline is a second ago on CLOCK_REALTIME, in 1970, or a
 * negative tv_sec.
 */
for (const variant of VARIANTS) {
  test(`timed rwlock calls with a past deadline: a free lock is taken, a held one ETIMEDOUT at once (${variant})`, () => {
    const out: string[] = [];
    runLibc(variant, function* (t) {
      const rw = yield* pthread_rwlock_new(t);
      const past = () => deadline_after(t, CLOCK_REALTIME, -1_000_000_000);
      out.push(`free rd: ${yield* pthread_rwlock_timedrdlock(t, rw, yield* past())}`);
      yield* pthread_rwlock_unlock(t, rw);
      out.push(`free wr: ${yield* pthread_rwlock_timedwrlock(t, rw, yield* past())}`);
      yield* pthread_rwlock_unlock(t, rw);
      const [, th] = yield* pthread_create(
        t,
        null,
        function* (t2) {
          yield* pthread_rwlock_wrlock(t2, rw);
          yield* sleep_ns(t2, 5_000_000);
          yield* pthread_rwlock_unlock(t2, rw);
          return 0;
        },
        null,
      );
      yield* sleep_ns(t, 1_000_000);
      const cases: [string, Program<number>, boolean][] = [
        ['rd a second ago', past(), true],
        ['wr a second ago', past(), false],
        ['rd 1970', timespec_at(t, 0, 0), true],
        ['wr negative tv_sec', timespec_at(t, -5, 0), false],
      ];
      for (const [name, abstime, read] of cases) {
        const at = yield* abstime;
        const t0 = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
        const r = read
          ? yield* pthread_rwlock_timedrdlock(t, rw, at)
          : yield* pthread_rwlock_timedwrlock(t, rw, at);
        const took = (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t0;
        out.push(`${name}: ${r}${took < 60_000 ? '' : ` after ${took} ns`}`);
      }
      yield* pthread_join(t, th);
    });
    assert.deepEqual(out, [
      'free rd: 0',
      'free wr: 0',
      `rd a second ago: ${ETIMEDOUT}`,
      `wr a second ago: ${ETIMEDOUT}`,
      `rd 1970: ${ETIMEDOUT}`,
      `wr negative tv_sec: ${ETIMEDOUT}`,
    ]);
  });
}
