/**
 * fork and pthread_atfork (LIBC-9) in both variants: the child's code and exit status, the
 * forking thread as the child's only thread, handler order (improved: prepare reversed;
 * relibc: in order, and per thread), a lock another thread held across the fork, and what a
 * failed fork runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { EAGAIN, EPERM, ETIMEDOUT } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { CLOCK_REALTIME, MAP_SHARED, SYS_GETTID, WEXITSTATUS } from '../../src/abi/syscalls.ts';
import { errno, setErrno } from '../../src/libc/errno.ts';
import { type AtforkHandler, fork, pthread_atfork } from '../../src/libc/fork.ts';
import { pthread_getspecific, pthread_key_create, pthread_setspecific } from '../../src/libc/key.ts';
import {
  pthread_mutex_lock,
  pthread_mutex_new,
  pthread_mutex_timedlock,
  pthread_mutex_unlock,
  pthread_mutexattr_init,
  pthread_mutexattr_settype,
  pthread_mutexattr_t,
} from '../../src/libc/mutex.ts';
import { PTHREAD_MUTEX_ERRORCHECK } from '../../src/libc/layout.ts';
import { waitpid } from '../../src/libc/process.ts';
import { pthread_create, pthread_join, pthread_self } from '../../src/libc/pthread.ts';
import { mmap_anonymous, syscall } from '../../src/libc/sys.ts';
import { deadline_after, sleep_ns } from '../../src/libc/time.ts';
import { runLibc, VARIANTS } from '../support/libc.ts';

const MS = 1_000_000;

test('fork: the parent gets the pid, the child runs its code as the only thread and exits with its value', () => {
  for (const variant of VARIANTS) {
    const out: unknown[] = [];
    runLibc(variant, function* (t) {
      const shared = yield* mmap_anonymous(t, 4096, MAP_SHARED);
      const [, key] = pthread_key_create(t, null);
      const [, other] = yield* pthread_create(
        t,
        null,
        function* (t2) {
          pthread_setspecific(t2, key, 'other');
          yield* sleep_ns(t2, 5 * MS);
        },
        null,
      );
      const [, forker] = yield* pthread_create(
        t,
        null,
        function* (t2) {
          pthread_setspecific(t2, key, 'forker');
          setErrno(t2, 99);
          const self = pthread_self(t2);
          const pid = yield* fork(t2, function* (c) {
            const tid = yield* syscall(c, SYS_GETTID);
            // The forking thread's descriptor, now naming the child's tid; its errno and keys.
            c.store32(shared, pthread_self(c) === self && c.load32(self) === tid ? 1 : 0);
            c.store32(shared + 4, errno(c));
            c.store32(shared + 8, pthread_getspecific(c, key) === 'forker' ? 1 : 0);
            // The other thread does not exist here: joining it is ESRCH.
            c.store32(shared + 12, (yield* pthread_join(c, other))[0]);
            return 7;
          });
          const [reaped, status] = yield* waitpid(t2, pid);
          out.push(reaped === pid ? 1 : 0, WEXITSTATUS(status));
        },
        null,
      );
      yield* pthread_join(t, forker);
      yield* pthread_join(t, other);
      out.push(t.load32(shared), t.load32(shared + 4), t.load32(shared + 8), t.load32(shared + 12));
    });
    assert.deepEqual(out, [1, 7, 1, 99, 1, 3 /* ESRCH */], variant);
  }
});

function recordingHandlers(log: string[]): [AtforkHandler, AtforkHandler, AtforkHandler][] {
  const make = (i: number): [AtforkHandler, AtforkHandler, AtforkHandler] => [
    function* () {
      log.push(`prepare${i}`);
    },
    function* () {
      log.push(`parent${i}`);
    },
    function* () {
      log.push(`child${i}`);
    },
  ];
  return [make(1), make(2), make(3)];
}

test('pthread_atfork: improved runs prepare in reverse, parent and child in order; relibc runs prepare in order', () => {
  const expected = {
    improved: [
      'prepare3',
      'prepare2',
      'prepare1',
      'child1',
      'child2',
      'child3',
      'parent1',
      'parent2',
      'parent3',
    ],
    relibc: [
      'prepare1',
      'prepare2',
      'prepare3',
      'child1',
      'child2',
      'child3',
      'parent1',
      'parent2',
      'parent3',
    ],
  };
  for (const variant of VARIANTS) {
    const log: string[] = [];
    runLibc(variant, function* (t) {
      for (const [p, q, c] of recordingHandlers(log)) assert.equal(pthread_atfork(t, p, q, c), 0);
      const pid = yield* fork(t, function* () {
        return 0;
      });
      yield* waitpid(t, pid);
    });
    // Child and parent handlers run in two processes at once: compare each side's own order.
    const prepare = log.filter((s) => s.startsWith('prepare'));
    const child = log.filter((s) => s.startsWith('child'));
    const parent = log.filter((s) => s.startsWith('parent'));
    assert.deepEqual([...prepare, ...child, ...parent], expected[variant], variant);
    assert.deepEqual(log.slice(0, 3), prepare, `${variant}: prepare runs before the fork`);
  }
});

test("pthread_atfork: relibc's handlers belong to the thread that registered them; improved's to the process", () => {
  for (const variant of VARIANTS) {
    const log: string[] = [];
    runLibc(variant, function* (t) {
      pthread_atfork(
        t,
        function* () {
          log.push('prepare');
        },
        null,
        function* () {
          log.push('child');
        },
      );
      const [, th] = yield* pthread_create(
        t,
        null,
        function* (t2) {
          yield* waitpid(
            t2,
            yield* fork(t2, function* () {
              return 0;
            }),
          );
        },
        null,
      );
      yield* pthread_join(t, th);
    });
    assert.deepEqual(log, variant === 'relibc' ? [] : ['prepare', 'child'], variant);
  }
});

/**
 * A thread holds `m` across the fork; the child then tries to take it for 20 ms. Returns the
 * child's answer (0 or ETIMEDOUT) and whether the parent could still lock it afterwards.
 */
function* lockAcrossFork(t: Guest, withHandlers: boolean): Program<number[]> {
  const m = yield* pthread_mutex_new(t);
  const held = yield* mmap_anonymous(t, 4096, MAP_SHARED);
  if (withHandlers) {
    const lock: AtforkHandler = function* (h) {
      yield* pthread_mutex_lock(h, m);
    };
    const unlock: AtforkHandler = function* (h) {
      yield* pthread_mutex_unlock(h, m);
    };
    pthread_atfork(t, lock, unlock, unlock);
  }
  const [, holder] = yield* pthread_create(
    t,
    null,
    function* (t2) {
      yield* pthread_mutex_lock(t2, m);
      t2.store32(held, 1);
      yield* sleep_ns(t2, 10 * MS);
      yield* pthread_mutex_unlock(t2, m);
    },
    null,
  );
  while (t.load32(held) === 0) yield* sleep_ns(t, 100_000);
  const pid = yield* fork(t, function* (c) {
    return yield* pthread_mutex_timedlock(c, m, yield* deadline_after(c, CLOCK_REALTIME, 20 * MS));
  });
  const [, status] = yield* waitpid(t, pid);
  yield* pthread_join(t, holder);
  return [WEXITSTATUS(status), yield* pthread_mutex_lock(t, m)];
}

test('a lock another thread holds at fork time: the atfork handlers make it usable in the child', () => {
  for (const variant of VARIANTS) {
    const out: number[][] = [];
    runLibc(variant, function* (t) {
      out.push(yield* lockAcrossFork(t, true));
    });
    runLibc(variant, function* (t) {
      out.push(yield* lockAcrossFork(t, false));
    });
    assert.deepEqual(
      out,
      [
        [0, 0],
        [ETIMEDOUT, 0],
      ],
      variant,
    );
  }
});

test('a failed fork: -1 with EAGAIN; improved runs the parent handlers, relibc does not', () => {
  for (const variant of VARIANTS) {
    const log: string[] = [];
    const out: number[] = [];
    runLibc(
      variant,
      function* (t) {
        pthread_atfork(
          t,
          function* () {
            log.push('prepare');
          },
          function* () {
            log.push('parent');
          },
          null,
        );
        out.push(
          yield* fork(t, function* () {
            return 0;
          }),
          errno(t),
        );
      },
      { threadsMax: 1 },
    );
    assert.deepEqual(out, [-1, EAGAIN], variant);
    assert.deepEqual(log, variant === 'relibc' ? ['prepare'] : ['prepare', 'parent'], variant);
  }
});

test('an errorcheck mutex locked in prepare is EPERM to unlock in the child: the child has a new tid', () => {
  for (const variant of VARIANTS) {
    const out: number[] = [];
    runLibc(variant, function* (t) {
      const attr = new pthread_mutexattr_t();
      pthread_mutexattr_init(attr);
      pthread_mutexattr_settype(attr, PTHREAD_MUTEX_ERRORCHECK);
      const m = yield* pthread_mutex_new(t, attr);
      const shared = yield* mmap_anonymous(t, 4096, MAP_SHARED);
      pthread_atfork(
        t,
        function* (h) {
          yield* pthread_mutex_lock(h, m);
        },
        function* (h) {
          out.push(yield* pthread_mutex_unlock(h, m));
        },
        function* (h) {
          h.store32(shared, yield* pthread_mutex_unlock(h, m));
        },
      );
      yield* waitpid(
        t,
        yield* fork(t, function* () {
          return 0;
        }),
      );
      out.push(t.load32(shared));
    });
    assert.deepEqual(out, [0, EPERM], variant);
  }
});
