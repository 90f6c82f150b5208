/**
 * Condition-variable wakeups on the real libc: `condvar-fixed` runs relibc's pthread mutex and
 * condvar (src/libc/relibc/*.ts, the code the simulator's guests run) unchanged on the
 * explorer, its atomics and futex calls as explored steps; `condvar-improved` the improved
 * libc's. `condvar-lost-wakeup` replaces only the waiter's sleep with one that does not
 * re-check the word (the waiter read the sequence under the mutex, unlocked, and sleeps
 * unconditionally): a signal between the unlock and the sleep is lost, and the waiter sleeps
 * forever on a word that has moved (the lost-wakeup check). N-1 waiters wait for a flag the
 * last thread sets under the mutex before signalling.
 */
import { AtomicOp, MemOrder } from '../../abi/effects.ts';
import { pthread_cond_signal, pthread_cond_wait } from '../../libc/cond.ts';
import { pthread_mutex_lock, pthread_mutex_unlock } from '../../libc/mutex.ts';
import { libcEnv } from '../../libc/variant.ts';
import type { Model, XProgram } from '../model.ts';
import type { XThread } from '../xthread.ts';

const MUTEX = 0x1000;
const COND = 0x1100;
const COND_CUR = COND;
const COND_PREV = COND + 4;
const READY = 0x1200;

type Variant = 'lost-wakeup' | 'relibc' | 'improved';

/** The broken wait: relibc's, but sleeping without the kernel's compare of the word. */
function* brokenWait(t: XThread): XProgram<void> {
  const seen = (yield t.atomic(AtomicOp.Load, COND_CUR)) as number;
  yield t.atomic(AtomicOp.Store, COND_PREV, seen);
  yield* pthread_mutex_unlock(t, MUTEX);
  yield t.sleep(COND_CUR, seen);
  yield* pthread_mutex_lock(t, MUTEX);
}

function* waiter(t: XThread, v: Variant): XProgram<void> {
  yield* pthread_mutex_lock(t, MUTEX);
  while ((yield t.load(READY, MemOrder.Plain)) === 0) {
    if (v === 'lost-wakeup') yield* brokenWait(t);
    else yield* pthread_cond_wait(t, COND, MUTEX);
  }
  yield* pthread_mutex_unlock(t, MUTEX);
}

/** Sets the flag and signals once per waiter (the improved libc's signal wakes one). */
function* signaller(t: XThread, waiters: number): XProgram<void> {
  yield* pthread_mutex_lock(t, MUTEX);
  yield t.store(READY, 1, MemOrder.Plain);
  for (let i = 0; i < waiters; i++) yield* pthread_cond_signal(t, COND);
  yield* pthread_mutex_unlock(t, MUTEX);
}

function condvar(v: Variant): Model {
  const name =
    v === 'lost-wakeup' ? 'condvar-lost-wakeup' : v === 'relibc' ? 'condvar-fixed' : 'condvar-improved';
  return {
    name,
    description:
      v === 'lost-wakeup'
        ? 'a condvar wait that sleeps without re-checking the word: a signal before the sleep is lost'
        : `the ${v} libc's pthread_cond_wait/signal and mutex, unchanged: no wakeup is lost`,
    claims: 'LIBC-3, lost wakeup',
    buggy: v === 'lost-wakeup',
    memory: 'sc',
    cpus: 2,
    cpusMin: 2,
    cpusMax: 3,
    source:
      v === 'lost-wakeup'
        ? 'src/libc/relibc (mutex, signal) with a broken wait'
        : `src/libc (${v} variant), real code`,
    build: (cpus) => ({
      threads: [
        ...Array.from({ length: cpus - 1 }, (_, i) => ({
          name: `waiter${i + 1}`,
          run: (t: XThread) => waiter(t, v),
        })),
        { name: 'signaller', run: (t: XThread) => signaller(t, cpus - 1) },
      ],
      locks: [MUTEX],
      env: libcEnv(v === 'improved' ? 'improved' : 'relibc'),
      names: new Map([
        [MUTEX, 'mutex'],
        [COND_CUR, 'cond.cur'],
        [COND_PREV, 'cond.prev'],
        [READY, 'ready'],
      ]),
    }),
  };
}

export const CONDVAR_MODELS: Model[] = [condvar('lost-wakeup'), condvar('relibc'), condvar('improved')];
