// The descriptor table (kernel/fd/table.ts, syscalls.ts): lowest free numbers, dup, dup2,
// fcntl (F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD/F_SETFD, F_GETFL/F_SETFL), one offset shared by
// dup and fork, FD_CLOEXEC dropped by spawn (exec) and kept by fork, EMFILE at 1024, and
// every descriptor closed at exit (a pipe's reader sees EOF when its last writer exits).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import { EBADF, EINVAL, EMFILE } from '../../../src/abi/errno.ts';
import {
  F_DUPFD,
  F_DUPFD_CLOEXEC,
  F_GETFD,
  F_GETFL,
  F_SETFD,
  F_SETFL,
  FD_CLOEXEC,
  FD_LIMIT,
  O_APPEND,
  O_CLOEXEC,
  O_CREAT,
  O_NONBLOCK,
  O_RDWR,
  SEEK_CUR,
} from '../../../src/abi/fd.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import { errno } from '../../../src/libc/errno.ts';
import { fork } from '../../../src/libc/fork.ts';
import { close, dup, dup2, fcntl, lseek, open, pipe, read, write } from '../../../src/libc/io.ts';
import { spawn, waitpid } from '../../../src/libc/process.ts';
import { mmap_anonymous } from '../../../src/libc/sys.ts';
import { runGuest } from '../../support/guest.ts';

function* r(t: Guest, call: Program<number>): Program<number> {
  const v = yield* call;
  return v === -1 ? -errno(t) : v;
}

test('dup, dup2 and fcntl: numbers, FD_CLOEXEC, status flags and EBADF/EINVAL', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    const a = yield* open(t, '/f', O_CREAT | O_RDWR | O_CLOEXEC, 0o600);
    seen.push(a, yield* fcntl(t, a, F_GETFD));
    seen.push(yield* dup(t, a), yield* fcntl(t, 1, F_GETFD)); // dup clears FD_CLOEXEC
    seen.push(yield* r(t, close(t, 0)), yield* dup(t, 1)); // the lowest free number again
    seen.push(yield* dup2(t, 1, 7), yield* dup2(t, 7, 7), yield* r(t, dup2(t, 5, 6)));
    seen.push(yield* r(t, dup2(t, 1, -1)), yield* r(t, dup2(t, 1, FD_LIMIT)));
    seen.push(yield* fcntl(t, 1, F_DUPFD, 3), yield* fcntl(t, 1, F_DUPFD_CLOEXEC, 3));
    seen.push(yield* fcntl(t, 4, F_GETFD), yield* r(t, fcntl(t, 1, F_DUPFD, -1)));
    seen.push(yield* fcntl(t, 1, F_SETFD, FD_CLOEXEC), yield* fcntl(t, 1, F_GETFD));
    seen.push(yield* fcntl(t, 1, F_GETFL));
    seen.push(yield* fcntl(t, 7, F_SETFL, O_APPEND | O_NONBLOCK | O_CREAT));
    seen.push(yield* fcntl(t, 0, F_GETFL)); // status flags belong to the shared description
    seen.push(yield* r(t, fcntl(t, 0, 999)), yield* r(t, fcntl(t, 42, F_GETFD)));
    seen.push(yield* r(t, close(t, 42)), yield* r(t, dup(t, 42)));
    return 0;
  }, null);
  assert.deepEqual(seen, [
    0,
    FD_CLOEXEC,
    1,
    0,
    0,
    0,
    7,
    7,
    -EBADF,
    -EBADF,
    -EBADF,
    3,
    4,
    FD_CLOEXEC,
    -EINVAL,
    0,
    FD_CLOEXEC,
    O_RDWR,
    0,
    O_RDWR | O_APPEND | O_NONBLOCK,
    -EINVAL,
    -EBADF,
    -EBADF,
    -EBADF,
  ]);
});

test('dup and fork share one offset; EMFILE past RLIMIT_NOFILE', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    const buf = yield* mmap_anonymous(t, 4096);
    const a = yield* open(t, '/f', O_CREAT | O_RDWR, 0o600);
    const b = yield* dup(t, a);
    yield* write(t, a, buf, 10);
    seen.push(yield* lseek(t, b, 0, SEEK_CUR));
    const pid = yield* fork(t, function* (c) {
      yield* write(c, b, buf, 5);
      return 0;
    });
    yield* waitpid(t, pid);
    seen.push(yield* lseek(t, a, 0, SEEK_CUR));
    let last = 0;
    let count = 0;
    for (;;) {
      last = yield* r(t, dup(t, a));
      if (last < 0) break;
      count++;
    }
    seen.push(count, last, yield* r(t, open(t, '/f', O_RDWR)));
    return 0;
  }, null);
  assert.deepEqual(seen, [10, 15, FD_LIMIT - 2, -EMFILE, -EMFILE]);
});

test('spawn (fork + exec) closes FD_CLOEXEC descriptors; fork keeps them', () => {
  const seen: number[] = [];
  const probe = {
    name: 'probe',
    *main(t: Guest, fds: unknown): Program<number> {
      const [keep, drop] = fds as [number, number];
      seen.push(yield* r(t, fcntl(t, keep, F_GETFD)), yield* r(t, fcntl(t, drop, F_GETFD)));
      return 0;
    },
  };
  runGuest(function* (t) {
    const keep = yield* open(t, '/k', O_CREAT | O_RDWR, 0o600);
    const drop = yield* open(t, '/d', O_CREAT | O_RDWR | O_CLOEXEC, 0o600);
    const pid = yield* spawn(t, probe, [keep, drop]);
    yield* waitpid(t, pid);
    const child = yield* fork(t, function* (c) {
      seen.push(yield* r(c, fcntl(c, drop, F_GETFD)));
      return 0;
    });
    yield* waitpid(t, child);
    return 0;
  }, null);
  assert.deepEqual(seen, [0, -EBADF, FD_CLOEXEC]);
});

test('exit closes every descriptor: a reader blocked on another CPU sees EOF', () => {
  const seen: number[] = [];
  runGuest(
    function* (t) {
      const buf = yield* mmap_anonymous(t, 4096);
      yield* pipe(t, buf);
      const [rd, wr] = [t.load32(buf), t.load32(buf + 4)];
      const pid = yield* fork(t, function* (c) {
        yield* write(c, wr, buf, 3);
        return 0; // exits with wr still open: exit closes it
      });
      yield* close(t, wr);
      seen.push(yield* read(t, rd, buf + 64, 100), yield* read(t, rd, buf + 64, 100));
      yield* waitpid(t, pid);
      return 0;
    },
    null,
    { cpus: 2 },
  );
  assert.deepEqual(seen, [3, 0]);
});
