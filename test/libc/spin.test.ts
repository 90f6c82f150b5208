/** Spinlocks (LIBC-4): mutual exclusion on 4 CPUs, trylock EBUSY, pshared values. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EBUSY, EINVAL } from '../../src/abi/errno.ts';
import { malloc } from '../../src/libc/malloc.ts';
import { pthread_create, pthread_join } from '../../src/libc/pthread.ts';
import {
  pthread_spin_init,
  pthread_spin_lock,
  pthread_spin_trylock,
  pthread_spin_unlock,
} from '../../src/libc/spin.ts';
import { runLibc } from '../support/libc.ts';

test('4 threads on 4 CPUs lose no increment under the spinlock; trylock and init results', () => {
  const out: number[] = [];
  runLibc(
    'improved',
    function* (t) {
      const s = yield* malloc(t, 4);
      const counter = yield* malloc(t, 4);
      out.push(pthread_spin_init(t, s, 5), pthread_spin_init(t, s, 0));
      out.push(
        yield* pthread_spin_trylock(t, s),
        yield* pthread_spin_trylock(t, s),
        yield* pthread_spin_unlock(t, s),
      );
      const threads: number[] = [];
      for (let i = 0; i < 4; i++) {
        const [, th] = yield* pthread_create(
          t,
          null,
          function* (t2) {
            for (let k = 0; k < 200; k++) {
              yield* pthread_spin_lock(t2, s);
              const v = t2.load32(counter);
              yield t2.compute(200);
              t2.store32(counter, v + 1);
              yield* pthread_spin_unlock(t2, s);
            }
            return 0;
          },
          null,
        );
        threads.push(th);
      }
      for (const th of threads) yield* pthread_join(t, th);
      out.push(t.load32(counter));
    },
    { cpus: 4 },
  );
  assert.deepEqual(out, [EINVAL, 0, 0, EBUSY, 0, 800]);
});
