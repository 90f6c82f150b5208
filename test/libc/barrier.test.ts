/**
 * Barriers (LIBC-4): exactly one PTHREAD_BARRIER_SERIAL_THREAD per cycle; destroying and
 * re-initialising from the serial thread while the others leave.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EINVAL } from '../../src/abi/errno.ts';
import type { Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import {
  pthread_barrier_destroy,
  pthread_barrier_init,
  pthread_barrier_new,
  pthread_barrier_wait,
  pthread_barrierattr_init,
  pthread_barrierattr_setpshared,
  pthread_barrierattr_t,
} from '../../src/libc/barrier.ts';
import { PTHREAD_BARRIER_SERIAL_THREAD } from '../../src/libc/layout.ts';
import { malloc } from '../../src/libc/malloc.ts';
import { pthread_create, pthread_join } from '../../src/libc/pthread.ts';
import { runGuest } from '../support/guest.ts';
import { runLibc, VARIANTS } from '../support/libc.ts';

for (const variant of VARIANTS) {
  test(`5 threads, 3 cycles: one serial thread per cycle, nobody leaves early (${variant})`, () => {
    const results: number[][] = [];
    const order: string[] = [];
    runLibc(
      variant,
      function* (t) {
        const b = yield* pthread_barrier_new(t, 5);
        const threads: number[] = [];
        for (let i = 0; i < 5; i++) {
          const [, th] = yield* pthread_create(
            t,
            null,
            function* (t2) {
              const mine: number[] = [];
              for (let cycle = 0; cycle < 3; cycle++) {
                yield t2.compute(1000 * (i + 1));
                order.push(`arrive${cycle}`);
                mine.push(yield* pthread_barrier_wait(t2, b));
                order.push(`leave${cycle}`);
              }
              return mine;
            },
            null,
          );
          threads.push(th);
        }
        for (const th of threads) results.push((yield* pthread_join(t, th))[1] as number[]);
      },
      { cpus: 4 },
    );
    for (let cycle = 0; cycle < 3; cycle++) {
      const serial = results.filter((r) => r[cycle] === PTHREAD_BARRIER_SERIAL_THREAD).length;
      const zero = results.filter((r) => r[cycle] === 0).length;
      assert.deepEqual([serial, zero], [1, 4], `cycle ${cycle}`);
      const lastArrive = order.lastIndexOf(`arrive${cycle}`);
      assert.ok(
        order.indexOf(`leave${cycle}`) > lastArrive,
        `cycle ${cycle}: a thread left before all arrived`,
      );
    }
  });
}

/**
 * glibc's nptl/tst-barrier4 at a small size: 4 threads, 3 rounds over two barriers; the serial
 * thread of each barrier's cycle destroys it and initialises it again as soon as its wait
 * returns, while the others may still be leaving. The second barrier keeps anyone from entering
 * the first again before its re-init, so the program is correct. Records what each thread's
 * waits returned and the serial threads' destroy/init results.
 */
function* destroyAndReinit(t: Guest, results: number[][], calls: number[]): Program<void> {
  const barriers = [yield* pthread_barrier_new(t, 4), yield* pthread_barrier_new(t, 4)];
  const threads: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [, th] = yield* pthread_create(
      t,
      null,
      function* (c) {
        const mine: number[] = [];
        for (let round = 0; round < 3; round++) {
          for (const b of barriers) {
            yield c.compute(1000 * (i + 1));
            const r = yield* pthread_barrier_wait(c, b);
            mine.push(r);
            if (r === PTHREAD_BARRIER_SERIAL_THREAD) {
              calls.push(yield* pthread_barrier_destroy(c, b), pthread_barrier_init(c, b, null, 4));
            }
          }
        }
        return mine;
      },
      null,
    );
    threads.push(th);
  }
  for (const th of threads) results.push((yield* pthread_join(t, th))[1] as number[]);
}

test('improved: the serial thread may destroy and re-initialise the barrier at once: destroy waits for the others to leave (glibc)', () => {
  const results: number[][] = [];
  const calls: number[] = [];
  runLibc('improved', (t) => destroyAndReinit(t, results, calls), { cpus: 4 });
  assert.equal(results.length, 4);
  for (let cycle = 0; cycle < 6; cycle++) {
    const serial = results.filter((r) => r[cycle] === PTHREAD_BARRIER_SERIAL_THREAD).length;
    const zero = results.filter((r) => r[cycle] === 0).length;
    assert.deepEqual([serial, zero], [1, 3], `cycle ${cycle}`);
  }
  assert.deepEqual(calls, new Array(12).fill(0), 'destroy and init return 0 in each of the 6 cycles');
});

test('relibc: its destroy is a no-op, so the re-init resets the generation under the waiters and the run deadlocks', () => {
  const results: number[][] = [];
  const calls: number[] = [];
  const run = runGuest(
    function* (t) {
      yield* destroyAndReinit(t, results, calls);
      return 0;
    },
    null,
    { cpus: 4, libc: 'relibc', futex: { mode: 'redox', shards: 1 } },
  );
  assert.match(String(run.kernel.stopReason), /^deadlock/);
  // The first cycle's serial thread destroyed and re-initialised the first barrier; its three
  // others never left it, so the second barrier's cycle never completes.
  assert.deepEqual(calls, [0, 0]);
  assert.deepEqual(results, []);
});

test('a count of 0 or an uninitialised attr is EINVAL; pshared takes 0 and 1', () => {
  const out: number[] = [];
  runLibc('improved', function* (t) {
    const b = yield* malloc(t, 32);
    out.push(pthread_barrier_init(t, b, null, 0), pthread_barrier_init(t, b, new pthread_barrierattr_t(), 2));
    const a = new pthread_barrierattr_t();
    pthread_barrierattr_init(a);
    out.push(pthread_barrierattr_setpshared(a, 2), pthread_barrierattr_setpshared(a, 1));
    out.push(pthread_barrier_init(t, b, a, 1), yield* pthread_barrier_wait(t, b));
  });
  assert.deepEqual(out, [EINVAL, EINVAL, EINVAL, 0, 0, PTHREAD_BARRIER_SERIAL_THREAD]);
});
