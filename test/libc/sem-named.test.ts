/**
 * Named semaphores (LIBC-4): sem_open's flags, mode and value and their errno values, the same
 * name giving the same sem_t in one process and the same semaphore across processes, sem_close
 * and sem_unlink with the object living until its last close; relibc lacks them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { EACCES, EEXIST, EINVAL, ENAMETOOLONG, ENOENT } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { O_CREAT, O_EXCL, WEXITSTATUS, WIFSIGNALED, WTERMSIG } from '../../src/abi/syscalls.ts';
import { SIGABRT } from '../../src/abi/signal.ts';
import { shmNames } from '../../src/kernel/shm.ts';
import { errno } from '../../src/libc/errno.ts';
import { fork } from '../../src/libc/fork.ts';
import { SEM_VALUE_MAX } from '../../src/libc/layout.ts';
import { spawn, waitpid } from '../../src/libc/process.ts';
import { setuid } from '../../src/libc/proc-handles.ts';
import { SEM_FAILED, sem_close, sem_open, sem_unlink } from '../../src/libc/sem-named.ts';
import { sem_getvalue, sem_post, sem_trywait, sem_wait } from '../../src/libc/sem.ts';
import { sleep_ns } from '../../src/libc/time.ts';
import { runGuest } from '../support/guest.ts';
import { runLibc } from '../support/libc.ts';

test('sem_open: flags, value and name checks with their errno values', () => {
  const out: unknown[] = [];
  const run = runLibc('improved', function* (t) {
    const fail = function* (p: Program<number>) {
      const s = yield* p;
      out.push(s === SEM_FAILED ? errno(t) : 'opened');
    };
    yield* fail(sem_open(t, '/missing', 0));
    yield* fail(sem_open(t, '/big', O_CREAT, 0o600, SEM_VALUE_MAX + 1));
    yield* fail(sem_open(t, '/', O_CREAT, 0o600, 1));
    yield* fail(sem_open(t, '/a/b', O_CREAT, 0o600, 1));
    yield* fail(sem_open(t, `/${'n'.repeat(252)}`, O_CREAT, 0o600, 1));
    const s = yield* sem_open(t, '/s', O_CREAT | O_EXCL, 0o600, 3);
    out.push((yield* sem_getvalue(t, s))[1]);
    yield* fail(sem_open(t, '/s', O_CREAT | O_EXCL, 0o600, 1));
    const again = yield* sem_open(t, 's', O_CREAT, 0o600, 9); // exists: value unused; leading / optional
    out.push(again === s ? 'same sem_t' : 'another sem_t', (yield* sem_getvalue(t, again))[1]);
    out.push(yield* sem_close(t, s), yield* sem_trywait(t, again), (yield* sem_getvalue(t, s))[1]);
    out.push(yield* sem_close(t, again), yield* sem_close(t, again), errno(t));
    out.push(yield* sem_unlink(t, '/s'), yield* sem_unlink(t, '/s'), errno(t));
    out.push(yield* sem_unlink(t, '/x/y'), errno(t));
  });
  assert.deepEqual(out, [
    ENOENT,
    EINVAL,
    EINVAL,
    EINVAL,
    ENAMETOOLONG,
    3,
    EEXIST,
    'same sem_t',
    3,
    0,
    0,
    2,
    0,
    -1,
    EINVAL,
    0,
    -1,
    ENOENT,
    -1,
    EINVAL,
  ]);
  assert.deepEqual(shmNames(run.kernel), []);
});

function* poster(t: Guest): Program<number> {
  const s = yield* sem_open(t, '/ping', 0);
  if (s === SEM_FAILED) return 100 + errno(t);
  yield* sleep_ns(t, 2_000_000);
  yield* sem_post(t, s);
  return (yield* sem_close(t, s)) === 0 ? 7 : 1;
}

test('two processes opening one name share the semaphore: a post in one wakes a waiter in the other', () => {
  const out: number[] = [];
  const run = runLibc('improved', function* (t) {
    const s = yield* sem_open(t, '/ping', O_CREAT, 0o600, 0);
    const pid = yield* spawn(t, { name: 'poster', main: poster }, null);
    out.push(yield* sem_wait(t, s)); // blocks until the other process posts
    const [, status] = yield* waitpid(t, pid);
    out.push(WEXITSTATUS(status), (yield* sem_getvalue(t, s))[1]);
    out.push(yield* sem_close(t, s), yield* sem_unlink(t, '/ping'));
  });
  assert.deepEqual(out, [0, 7, 0, 0, 0]);
  assert.equal(run.kernel.futex.counts.woken, 1, 'the wait slept and the post woke it: one futex wake');
});

test('an unlinked semaphore lives on for the processes that have it open, until the last close', () => {
  const out: number[] = [];
  runLibc('improved', function* (t) {
    const s = yield* sem_open(t, '/keep', O_CREAT, 0o600, 1);
    const pid = yield* fork(t, function* (c) {
      yield* sem_wait(c, s); // the semaphore the parent opened, inherited through the fork
      yield* sleep_ns(c, 3_000_000);
      yield* sem_post(c, s);
      yield* sem_post(c, s);
      return 0;
    });
    yield* sleep_ns(t, 1_000_000);
    out.push(yield* sem_unlink(t, '/keep'));
    out.push((yield* sem_open(t, '/keep', 0)) === SEM_FAILED ? errno(t) : 0);
    out.push(yield* sem_wait(t, s)); // woken by the child's post through the unlinked object
    yield* waitpid(t, pid);
    out.push((yield* sem_getvalue(t, s))[1], yield* sem_close(t, s));
    // A new semaphore under the old name is another object.
    const fresh = yield* sem_open(t, '/keep', O_CREAT | O_EXCL, 0o600, 5);
    out.push((yield* sem_getvalue(t, fresh))[1]);
  });
  assert.deepEqual(out, [0, ENOENT, 0, 1, 0, 5]);
});

test("sem_open: EACCES when the mode does not let another user's process read and write it", () => {
  const out: number[] = [];
  function* stranger(t: Guest): Program<number> {
    yield* setuid(t, 1000);
    const s = yield* sem_open(t, '/mine', 0);
    const unlinked = yield* sem_unlink(t, '/mine');
    return s === SEM_FAILED && unlinked === -1 ? errno(t) : 0;
  }
  runLibc('improved', function* (t) {
    yield* sem_open(t, '/mine', O_CREAT, 0o600, 1);
    const [, status] = yield* waitpid(t, yield* spawn(t, { name: 'stranger', main: stranger }, null));
    out.push(WEXITSTATUS(status));
  });
  assert.deepEqual(out, [EACCES]);
});

test('relibc: sem_open, sem_close and sem_unlink are todo!(): the process aborts', () => {
  const out: number[] = [];
  runGuest(
    function* (t) {
      for (const call of [
        (c: Guest) => sem_open(c, '/x', O_CREAT, 0o600, 1),
        (c: Guest) => sem_close(c, 0x1000),
        (c: Guest) => sem_unlink(c, '/x'),
      ]) {
        const pid = yield* spawn(t, { name: 'named', main: (c) => call(c) }, null);
        const [, status] = yield* waitpid(t, pid);
        out.push(WIFSIGNALED(status) ? WTERMSIG(status) : 0);
      }
      return 0;
    },
    null,
    {
      libc: 'relibc',
      expectFaults: [
        { signal: 'SIGABRT', message: /relibc: sem_open is not implemented/ },
        { signal: 'SIGABRT', message: /relibc: sem_close is not implemented/ },
        { signal: 'SIGABRT', message: /relibc: sem_unlink is not implemented/ },
      ],
    },
  );
  assert.deepEqual(out, [SIGABRT, SIGABRT, SIGABRT]);
});
