/** Threads (LIBC-1, LIBC-8): attributes, create, join, detach, exit, self, keys, once, guard pages. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { EAGAIN, EDEADLK, EINVAL, ESRCH } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { SIGSEGV, WEXITSTATUS, WIFEXITED, WIFSIGNALED, WTERMSIG } from '../../src/abi/syscalls.ts';
import {
  pthread_getspecific,
  pthread_key_create,
  pthread_key_delete,
  pthread_setspecific,
} from '../../src/libc/key.ts';
import {
  PTHREAD_CREATE_DETACHED,
  PTHREAD_CREATE_JOINABLE,
  PTHREAD_KEYS_MAX,
  PTHREAD_STACK_DEFAULT,
  PTHREAD_STACK_MIN,
} from '../../src/libc/layout.ts';
import { malloc } from '../../src/libc/malloc.ts';
import { pthread_once } from '../../src/libc/once.ts';
import { spawn, waitpid } from '../../src/libc/process.ts';
import {
  pthread_attr_getdetachstate,
  pthread_attr_getguardsize,
  pthread_attr_getstacksize,
  pthread_attr_init,
  pthread_attr_setdetachstate,
  pthread_attr_setguardsize,
  pthread_attr_setstacksize,
  pthread_attr_t,
  pthread_create,
  pthread_detach,
  pthread_equal,
  pthread_exit,
  pthread_join,
  pthread_self,
} from '../../src/libc/pthread.ts';
import { stack_enter, stack_leave } from '../../src/libc/stack.ts';
import { sleep_ns } from '../../src/libc/time.ts';
import { runLibc, VARIANTS } from '../support/libc.ts';

test('attribute setters check their values and getters return them', () => {
  const a = new pthread_attr_t();
  assert.equal(pthread_attr_setstacksize(a, 65536), EINVAL, 'not initialised');
  assert.equal(pthread_attr_init(a), 0);
  assert.deepEqual(pthread_attr_getdetachstate(a), [0, PTHREAD_CREATE_JOINABLE]);
  assert.deepEqual(pthread_attr_getstacksize(a), [0, PTHREAD_STACK_DEFAULT]);
  assert.deepEqual(pthread_attr_getguardsize(a), [0, 4096]);
  assert.equal(pthread_attr_setdetachstate(a, 7), EINVAL);
  assert.equal(pthread_attr_setdetachstate(a, PTHREAD_CREATE_DETACHED), 0);
  assert.deepEqual(pthread_attr_getdetachstate(a), [0, PTHREAD_CREATE_DETACHED]);
  assert.equal(pthread_attr_setstacksize(a, PTHREAD_STACK_MIN - 1), EINVAL);
  assert.equal(pthread_attr_setstacksize(a, PTHREAD_STACK_MIN), 0);
  assert.deepEqual(pthread_attr_getstacksize(a), [0, PTHREAD_STACK_MIN]);
  assert.equal(pthread_attr_setguardsize(a, -1), EINVAL);
  assert.equal(pthread_attr_setguardsize(a, 0), 0);
  assert.deepEqual(pthread_attr_getguardsize(a), [0, 0]);
});

function* returnsArg(_t: Guest, arg: unknown): Program<unknown> {
  return arg;
}

function* exitsEarly(t: Guest, arg: unknown): Program<unknown> {
  return yield* pthread_exit(t, { early: arg });
}

for (const variant of VARIANTS) {
  test(`create, join with the value, join errors EDEADLK, EINVAL, ESRCH (${variant})`, () => {
    const seen: unknown[] = [];
    runLibc(variant, function* (t) {
      const [e1, a] = yield* pthread_create(t, null, returnsArg, 'value-a');
      const [e2, b] = yield* pthread_create(t, null, exitsEarly, 7);
      seen.push(e1, e2, yield* pthread_join(t, a), yield* pthread_join(t, b));
      seen.push((yield* pthread_join(t, a))[0]); // already joined: gone
      seen.push((yield* pthread_join(t, 0x1234))[0]); // never a thread
      seen.push((yield* pthread_join(t, pthread_self(t)))[0]);
      const attr = new pthread_attr_t();
      pthread_attr_init(attr);
      pthread_attr_setdetachstate(attr, PTHREAD_CREATE_DETACHED);
      const [e3, d] = yield* pthread_create(t, attr, returnsArg, 1);
      seen.push(e3, (yield* pthread_join(t, d))[0], pthread_detach(t, d));
      const [, j] = yield* pthread_create(t, null, returnsArg, 2);
      seen.push(pthread_detach(t, j), pthread_detach(t, j));
      seen.push(pthread_equal(pthread_self(t), pthread_self(t)), pthread_equal(a, b));
      seen.push((yield* pthread_create(t, new pthread_attr_t(), returnsArg, 0))[0]);
    });
    assert.deepEqual(seen, [
      0,
      0,
      [0, 'value-a'],
      [0, { early: 7 }],
      ESRCH,
      ESRCH,
      EDEADLK,
      0,
      EINVAL,
      EINVAL,
      0,
      EINVAL,
      1,
      0,
      EINVAL,
    ]);
  });
}

test('a thread joining itself gets EDEADLK, and pthread_self names the created handle', () => {
  const seen: unknown[] = [];
  runLibc('improved', function* (t) {
    const box = { handle: 0 };
    const [, th] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        seen.push(pthread_self(t2) === box.handle || box.handle === 0);
        seen.push((yield* pthread_join(t2, pthread_self(t2)))[0]);
        return 0;
      },
      null,
    );
    box.handle = th;
    yield* pthread_join(t, th);
  });
  assert.deepEqual(seen, [true, EDEADLK]);
});

test('key destructors run at exit, again for values they set, at most 4 rounds', () => {
  const calls: string[] = [];
  runLibc('improved', function* (t) {
    const keys: number[] = [];
    const [e, k] = pthread_key_create(t, function* (t2, value) {
      calls.push(`k:${String(value)}`);
      const n = Number(value);
      if (n < 10) pthread_setspecific(t2, keys[0]!, n + 1); // sets itself again, forever
    });
    assert.equal(e, 0);
    keys.push(k);
    const [, plain] = pthread_key_create(t, function* (_t2, value) {
      calls.push(`p:${String(value)}`);
    });
    const [, th] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        pthread_setspecific(t2, k, 1);
        pthread_setspecific(t2, plain, 'x');
        assert.equal(pthread_getspecific(t2, k), 1);
        return 0;
      },
      null,
    );
    yield* pthread_join(t, th);
    assert.equal(pthread_getspecific(t, k), null, 'another thread sees its own (null) value');
    assert.equal(pthread_key_delete(t, plain), 0);
    assert.equal(pthread_key_delete(t, plain), EINVAL);
    assert.equal(pthread_setspecific(t, plain, 1), EINVAL);
  });
  assert.deepEqual(calls, ['k:1', 'p:x', 'k:2', 'k:3', 'k:4']);
});

test('PTHREAD_KEYS_MAX keys can exist, the next create is EAGAIN, a deleted slot is reused', () => {
  runLibc('relibc', function* (t) {
    for (let i = 0; i < PTHREAD_KEYS_MAX; i++) assert.equal(pthread_key_create(t, null)[0], 0);
    assert.deepEqual(pthread_key_create(t, null), [EAGAIN, 0]);
    assert.equal(pthread_key_delete(t, 17), 0);
    assert.deepEqual(pthread_key_create(t, null), [0, 17]);
  });
});

for (const variant of VARIANTS) {
  test(`pthread_once runs its routine once among 4 threads (${variant})`, () => {
    let runs = 0;
    let after = 0;
    runLibc(
      variant,
      function* (t) {
        const once = yield* malloc(t, 4);
        const init = function* (t2: Guest): Program<void> {
          runs++;
          yield t2.compute(300_000); // long enough that the others arrive while it runs
        };
        const threads: number[] = [];
        for (let i = 0; i < 4; i++) {
          const [, th] = yield* pthread_create(
            t,
            null,
            function* (t2) {
              const r = yield* pthread_once(t2, once, init);
              if (r === 0 && runs === 1) after++;
              return r;
            },
            null,
          );
          threads.push(th);
        }
        for (const th of threads) yield* pthread_join(t, th);
      },
      { cpus: 4 },
    );
    assert.equal(runs, 1);
    assert.equal(after, 4, 'every caller returned after the routine finished');
  });
}

/** Recursion with a 512-byte frame per call, bounded only by `depth`. */
function* recurse(t: Guest, depth: number): Program<number> {
  if (depth === 0) return 0;
  stack_enter(t, 512);
  yield t.compute(10);
  const r = yield* recurse(t, depth - 1);
  stack_leave(t, 512);
  return r + 1;
}

test('a stack overflow touches the guard page: SIGSEGV for its process only (LIBC-8)', () => {
  const statuses: number[] = [];
  const overflow = {
    name: 'overflow',
    *main(t: Guest): Program<number> {
      const [, th] = yield* pthread_create(t, null, (t2) => recurse(t2, 1_000_000), null);
      yield* pthread_join(t, th);
      return 0;
    },
  };
  const sibling = {
    name: 'sibling',
    *main(t: Guest): Program<number> {
      // 100 frames of 512 bytes fit a 64 KiB stack; it outlives the overflow.
      const [, th] = yield* pthread_create(t, null, (t2) => recurse(t2, 100), null);
      const [, value] = yield* pthread_join(t, th);
      yield* sleep_ns(t, 2_000_000);
      return value as number; // the exit status carries the depth reached
    },
  };
  const run = runLibc('improved', function* (t) {
    const p1 = yield* spawn(t, overflow, null);
    const p2 = yield* spawn(t, sibling, null);
    statuses.push((yield* waitpid(t, p1))[1], (yield* waitpid(t, p2))[1]);
  });
  assert.equal(WIFSIGNALED(statuses[0]!), true);
  assert.equal(WTERMSIG(statuses[0]!), SIGSEGV);
  assert.equal(WIFEXITED(statuses[1]!), true, 'the sibling exited normally');
  assert.equal(WEXITSTATUS(statuses[1]!), 100);
  assert.equal(run.kernel.faults.length, 1);
  assert.match(run.kernel.faults[0]!.message, /^write to protected memory at 0x/);
});

test("joining a process's initial thread after its pthread_exit gets its value (set_tid_address)", () => {
  for (const variant of VARIANTS) {
    const out: unknown[] = [];
    const run = runLibc(variant, function* (t) {
      const main = pthread_self(t);
      yield* pthread_create(
        t,
        null,
        function* (t2) {
          out.push(yield* pthread_join(t2, main));
        },
        null,
      );
      yield* sleep_ns(t, 1_000_000);
      yield* pthread_exit(t, 'main is done');
    });
    assert.deepEqual(out, [[0, 'main is done']], variant);
    assert.equal(run.kernel.stopReason, null, variant);
  }
});
