/** Barriers (LIBC-4): exactly one PTHREAD_BARRIER_SERIAL_THREAD per cycle. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EINVAL } from '../../src/abi/errno.ts';
import {
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
