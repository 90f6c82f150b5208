// Pipes (kernel/fd/pipe.ts): 64 KiB capacity, EOF, EAGAIN, EPIPE, blocking readers and writers
// woken across processes and CPUs, and where the baseline (Redox src/scheme/pipe.rs) and the
// improved kernel (Linux fs/pipe.c) differ: PIPE_BUF atomicity, long blocking writes, SIGPIPE.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import { EAGAIN, EBADF, EINVAL, EPIPE } from '../../../src/abi/errno.ts';
import { O_CLOEXEC, O_NONBLOCK, PIPE_CAPACITY_BYTES, S_IFIFO, STAT_MODE } from '../../../src/abi/fd.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import { SIGPIPE } from '../../../src/abi/signal.ts';
import { WIFSIGNALED, WTERMSIG } from '../../../src/abi/syscalls.ts';
import { errno } from '../../../src/libc/errno.ts';
import { fork } from '../../../src/libc/fork.ts';
import { close, fstat, pipe, pipe2, read, write } from '../../../src/libc/io.ts';
import { getBytes, putBytes } from '../../../src/libc/io-bytes.ts';
import { waitpid } from '../../../src/libc/process.ts';
import { mmap_anonymous } from '../../../src/libc/sys.ts';
import { runGuest } from '../../support/guest.ts';

const LINUX = { futex: { mode: 'linux', shards: 64 } } as const;
const CPUS = 4;

function* r(t: Guest, call: Program<number>): Program<number> {
  const v = yield* call;
  return v === -1 ? -errno(t) : v;
}

function* fds(t: Guest, flags = 0): Program<[number, number, number]> {
  const buf = yield* mmap_anonymous(t, 256 * 1024);
  const rc = flags === 0 ? yield* pipe(t, buf) : yield* pipe2(t, buf, flags);
  assert.equal(rc, 0);
  return [t.load32(buf), t.load32(buf + 4), buf + 4096];
}

test('pipe: numbers, FIFO mode, bytes in order, EOF once the writer closes, EBADF on the wrong end', () => {
  const seen: (number | string)[] = [];
  runGuest(function* (t) {
    const [rd, wr, buf] = yield* fds(t);
    seen.push(rd, wr);
    yield* fstat(t, rd, buf);
    seen.push(t.load32(buf + STAT_MODE) & 0o170000);
    putBytes(t, buf, new TextEncoder().encode('abcdef'));
    seen.push(yield* r(t, write(t, wr, buf, 6)));
    seen.push(yield* r(t, read(t, rd, buf + 64, 4)));
    seen.push(new TextDecoder().decode(getBytes(t, buf + 64, 4)));
    seen.push(yield* r(t, read(t, wr, buf, 1)), yield* r(t, write(t, rd, buf, 1)));
    yield* close(t, wr);
    seen.push(yield* r(t, read(t, rd, buf + 64, 10)));
    seen.push(new TextDecoder().decode(getBytes(t, buf + 64, 2)));
    seen.push(yield* r(t, read(t, rd, buf + 64, 10))); // EOF
    seen.push(yield* r(t, pipe2(t, buf, 0o1)));
    return 0;
  }, null);
  assert.deepEqual(seen, [0, 1, S_IFIFO, 6, 4, 'abcd', -EBADF, -EBADF, 2, 'ef', 0, -EINVAL]);
});

test('O_NONBLOCK: EAGAIN on an empty pipe and on a full one; a big write fills exactly 64 KiB', () => {
  for (const options of [{}, LINUX]) {
    const seen: number[] = [];
    runGuest(
      function* (t) {
        const [rd, wr, buf] = yield* fds(t, O_NONBLOCK);
        seen.push(yield* r(t, read(t, rd, buf, 10)));
        seen.push(yield* r(t, write(t, wr, buf, 70000)));
        seen.push(yield* r(t, write(t, wr, buf, 1)));
        return 0;
      },
      null,
      options,
    );
    assert.deepEqual(seen, [-EAGAIN, PIPE_CAPACITY_BYTES, -EAGAIN]);
  }
});

test('PIPE_BUF: Linux refuses a small write that does not fit whole; Redox writes what fits', () => {
  const got: Record<string, number[]> = {};
  for (const [name, options] of [
    ['redox', {}],
    ['linux', LINUX],
  ] as const) {
    const seen: number[] = [];
    runGuest(
      function* (t) {
        const [rd, wr, buf] = yield* fds(t, O_NONBLOCK);
        seen.push(yield* r(t, write(t, wr, buf, PIPE_CAPACITY_BYTES - 100)));
        seen.push(yield* r(t, write(t, wr, buf, 200))); // <= PIPE_BUF
        seen.push(yield* r(t, read(t, rd, buf, 50)));
        seen.push(yield* r(t, write(t, wr, buf, 5000))); // > PIPE_BUF: partial on both
        return 0;
      },
      null,
      options,
    );
    got[name] = seen;
  }
  assert.deepEqual(got.redox, [PIPE_CAPACITY_BYTES - 100, 100, 50, 50]);
  assert.deepEqual(got.linux, [PIPE_CAPACITY_BYTES - 100, -EAGAIN, 50, 150]);
});

/**
 * A child writes `bytes` (a counting pattern) in one blocking write through an inherited pipe;
 * the parent reads it all in 4096-byte reads, then EOF once the child has exited (its exit
 * closes its descriptors). Returns [the child's write result, bytes read, pattern intact].
 */
function bigWrite(options: object, bytes: number): [number, number, boolean] {
  let result: [number, number, boolean] = [0, 0, false];
  runGuest(
    function* (t) {
      const [rd, wr, buf] = yield* fds(t);
      const shared = yield* mmap_anonymous(t, 4096, 0x01); // MAP_SHARED: the child's result
      const pattern = new Uint8Array(bytes).map((_, i) => i & 0xff);
      putBytes(t, buf, pattern);
      const pid = yield* fork(t, function* (c) {
        yield* close(c, rd);
        c.store32(shared, (yield* r(c, write(c, wr, buf, bytes))) >>> 0);
        return 0;
      });
      yield* close(t, wr);
      let total = 0;
      const got: number[] = [];
      for (;;) {
        const n = yield* read(t, rd, buf + 128 * 1024, 4096);
        if (n <= 0) break;
        got.push(...getBytes(t, buf + 128 * 1024, n));
        total += n;
      }
      yield* waitpid(t, pid);
      const sent = t.load32(shared) | 0;
      result = [sent, total, got.every((b, i) => b === (i & 0xff))];
      return 0;
    },
    null,
    { ...options, cpus: CPUS },
  );
  return result;
}

test('a blocking write larger than the pipe: Linux writes it all; Redox returns what fit', () => {
  assert.deepEqual(bigWrite(LINUX, 100_000), [100_000, 100_000, true]);
  assert.deepEqual(bigWrite({}, 100_000), [PIPE_CAPACITY_BYTES, PIPE_CAPACITY_BYTES, true]);
});

/**
 * A child writes to a pipe whose read end is closed everywhere, first 0 bytes then 10:
 * [the zero-length write's answer, the 10-byte write's answer, the child's status].
 */
function writeToClosed(options: object): [number, number, number] {
  let out: [number, number, number] = [0, 0, 0];
  runGuest(
    function* (t) {
      const [rd, wr, buf] = yield* fds(t);
      const shared = yield* mmap_anonymous(t, 4096, 0x01);
      t.store32(shared, 12345);
      t.store32(shared + 4, 12345);
      yield* close(t, rd);
      const pid = yield* fork(t, function* (c) {
        c.store32(shared + 4, (yield* r(c, write(c, wr, buf, 0))) >>> 0);
        c.store32(shared, (yield* r(c, write(c, wr, buf, 10))) >>> 0);
        return 0;
      });
      const [, status] = yield* waitpid(t, pid);
      out = [t.load32(shared + 4) | 0, t.load32(shared) | 0, status];
      return 0;
    },
    null,
    options,
  );
  return out;
}

test('no reader: EPIPE on Redox (no signal, even for 0 bytes); SIGPIPE kills the writer on Linux', () => {
  assert.deepEqual(writeToClosed({}), [-EPIPE, -EPIPE, 0]);
  const [zero, value, status] = writeToClosed(LINUX);
  assert.equal(zero, 0); // pipe_write: a zero-length write returns 0 before looking at readers
  assert.equal(value, 12345); // killed before its store
  assert.ok(WIFSIGNALED(status));
  assert.equal(WTERMSIG(status), SIGPIPE);
});

test('pipe2(O_CLOEXEC) marks both ends FD_CLOEXEC', async () => {
  const { fcntl } = await import('../../../src/libc/io.ts');
  const seen: number[] = [];
  runGuest(function* (t) {
    const [rd, wr] = yield* fds(t, O_CLOEXEC);
    seen.push(yield* fcntl(t, rd, 1), yield* fcntl(t, wr, 1), yield* fcntl(t, wr, 3));
    return 0;
  }, null);
  assert.deepEqual(seen, [1, 1, 1]);
});
