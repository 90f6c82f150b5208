/** The first-form pthread mutex (three-state futex word) and condition variable, on 4 CPUs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AtomicOp, type Program } from '../../src/abi/effects.ts';
import { EBUSY } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { malloc } from '../../src/libc/malloc.ts';
import {
  pthread_cond_broadcast,
  pthread_cond_new,
  pthread_cond_signal,
  pthread_cond_wait,
} from '../../src/libc/cond.ts';
import {
  pthread_mutex_lock,
  pthread_mutex_new,
  pthread_mutex_trylock,
  pthread_mutex_unlock,
} from '../../src/libc/mutex.ts';
import { pthread_create, pthread_join, type pthread_t } from '../../src/libc/pthread.ts';
import { runGuest } from '../support/guest.ts';

interface Shared {
  mutex: number;
  counter: number;
  rounds: number;
}

/** A non-atomic read-compute-write: only the mutex keeps increments from being lost. */
function* incrementer(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  for (let i = 0; i < s.rounds; i++) {
    yield* pthread_mutex_lock(t, s.mutex);
    const value = t.load32(s.counter);
    yield t.compute(300); // the critical section takes time, so other CPUs do contend
    t.store32(s.counter, value + 1);
    yield* pthread_mutex_unlock(t, s.mutex);
  }
  return 0;
}

for (const policy of ['fair', 'dwrr'] as const) {
  test(`the mutex loses no increment among 4 threads on 4 CPUs (${policy})`, () => {
    let final = -1;
    let word = -1;
    const run = runGuest(
      function* (t) {
        const s: Shared = { mutex: yield* pthread_mutex_new(t), counter: yield* malloc(t, 4), rounds: 500 };
        const threads: pthread_t[] = [];
        for (let i = 0; i < 4; i++) threads.push((yield* pthread_create(t, null, incrementer, s))[1]);
        for (const th of threads) yield* pthread_join(t, th);
        final = t.load32(s.counter);
        word = t.load32(s.mutex);
        return 0;
      },
      null,
      { policy, cpus: 4 },
    );
    assert.equal(run.kernel.finished, true);
    assert.equal(final, 2000);
    assert.equal(word, 0, 'the mutex word is 0 (free) at the end');
    assert.ok(run.kernel.futex.counts.wait > 0, 'the lock was contended: some lockers slept on the futex');
  });
}

test('trylock on a held mutex returns EBUSY and takes it when free', () => {
  const results: number[] = [];
  runGuest(function* (t) {
    const m = yield* pthread_mutex_new(t);
    results.push(yield* pthread_mutex_trylock(t, m));
    results.push(yield* pthread_mutex_trylock(t, m));
    yield* pthread_mutex_unlock(t, m);
    results.push(yield* pthread_mutex_trylock(t, m));
    return 0;
  }, null);
  assert.deepEqual(results, [0, EBUSY, 0]);
});

interface Gate {
  mutex: number;
  cond: number;
  ready: number;
  woken: number;
}

function* waiter(t: Guest, raw: unknown): Program<number> {
  const g = raw as Gate;
  yield* pthread_mutex_lock(t, g.mutex);
  while (t.load32(g.ready) === 0) yield* pthread_cond_wait(t, g.cond, g.mutex);
  t.store32(g.woken, t.load32(g.woken) + 1);
  t.store32(g.ready, t.load32(g.ready) - 1);
  yield* pthread_mutex_unlock(t, g.mutex);
  return 0;
}

test('a signal lets exactly one waiter through and a broadcast lets the rest through', () => {
  const seen: number[] = [];
  const run = runGuest(
    function* (t) {
      const g: Gate = {
        mutex: yield* pthread_mutex_new(t),
        cond: yield* pthread_cond_new(t),
        ready: yield* malloc(t, 4),
        woken: yield* malloc(t, 4),
      };
      const threads: pthread_t[] = [];
      for (let i = 0; i < 3; i++) threads.push((yield* pthread_create(t, null, waiter, g))[1]);
      yield t.compute(3_000_000); // let all three block on the condition
      yield* pthread_mutex_lock(t, g.mutex);
      t.store32(g.ready, 1);
      yield* pthread_cond_signal(t, g.cond);
      yield* pthread_mutex_unlock(t, g.mutex);
      yield t.compute(3_000_000);
      seen.push((yield t.atomic(AtomicOp.Load, g.woken)) as number);
      yield* pthread_mutex_lock(t, g.mutex);
      t.store32(g.ready, 2);
      yield* pthread_cond_broadcast(t, g.cond);
      yield* pthread_mutex_unlock(t, g.mutex);
      for (const th of threads) yield* pthread_join(t, th);
      seen.push(t.load32(g.woken));
      return 0;
    },
    null,
    { cpus: 2 },
  );
  assert.equal(run.kernel.finished, true);
  assert.deepEqual(seen, [1, 3]);
});
