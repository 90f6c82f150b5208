// AF_UNIX SOCK_STREAM socketpair (kernel/fd/unix-stream.ts, socket-syscalls.ts): both ends read
// what the other wrote, in order; S_IFSOCK; the 212992-byte send buffer under O_NONBLOCK; EOF
// and SIGPIPE once the peer closes; the refusals; the baseline answers EAFNOSUPPORT.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import { EAFNOSUPPORT, EAGAIN, EINVAL, EPROTONOSUPPORT, ESOCKTNOSUPPORT } from '../../../src/abi/errno.ts';
import { STAT_MODE } from '../../../src/abi/fd.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import { SIGPIPE } from '../../../src/abi/signal.ts';
import {
  AF_INET,
  AF_UNIX,
  S_IFSOCK,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  UNIX_STREAM_BUFFER_BYTES,
} from '../../../src/abi/socket.ts';
import { WIFSIGNALED, WTERMSIG } from '../../../src/abi/syscalls.ts';
import { errno } from '../../../src/libc/errno.ts';
import { fork } from '../../../src/libc/fork.ts';
import { close, fstat, read, write } from '../../../src/libc/io.ts';
import { getBytes, putBytes } from '../../../src/libc/io-bytes.ts';
import { waitpid } from '../../../src/libc/process.ts';
import { socketpair } from '../../../src/libc/socket.ts';
import { mmap_anonymous } from '../../../src/libc/sys.ts';
import { runGuest } from '../../support/guest.ts';

const LINUX = { futex: { mode: 'linux', shards: 64 } } as const;

function* r(t: Guest, call: Program<number>): Program<number> {
  const v = yield* call;
  return v === -1 ? -errno(t) : v;
}

function* pair(t: Guest, type = SOCK_STREAM): Program<[number, number, number]> {
  const buf = yield* mmap_anonymous(t, 512 * 1024);
  assert.equal(yield* socketpair(t, AF_UNIX, type, 0, buf), 0);
  return [t.load32(buf), t.load32(buf + 4), buf + 4096];
}

const text = (s: string) => new TextEncoder().encode(s);

test('socketpair: two descriptors, S_IFSOCK, each end reads what the other wrote, in order', () => {
  const seen: (number | string)[] = [];
  runGuest(
    function* (t) {
      const [a, b, buf] = yield* pair(t);
      seen.push(a, b);
      yield* fstat(t, a, buf);
      seen.push(t.load32(buf + STAT_MODE) & 0o170000);
      putBytes(t, buf, text('ping'));
      seen.push(yield* r(t, write(t, a, buf, 4)));
      putBytes(t, buf, text('pong!'));
      seen.push(yield* r(t, write(t, b, buf, 5)));
      seen.push(yield* r(t, read(t, b, buf + 64, 16)));
      seen.push(new TextDecoder().decode(getBytes(t, buf + 64, 4)));
      seen.push(yield* r(t, read(t, a, buf + 64, 16)));
      seen.push(new TextDecoder().decode(getBytes(t, buf + 64, 5)));
      return 0;
    },
    null,
    LINUX,
  );
  assert.deepEqual(seen, [0, 1, S_IFSOCK, 4, 5, 4, 'ping', 5, 'pong!']);
});

test('SOCK_NONBLOCK: EAGAIN when empty; the send buffer takes exactly 212992 bytes, then EAGAIN', () => {
  const seen: number[] = [];
  runGuest(
    function* (t) {
      const [a, b, buf] = yield* pair(t, SOCK_STREAM | SOCK_NONBLOCK);
      seen.push(yield* r(t, read(t, b, buf, 10)));
      seen.push(yield* r(t, write(t, a, buf, 300_000)));
      seen.push(yield* r(t, write(t, a, buf, 1)));
      seen.push(yield* r(t, write(t, b, buf, 1))); // the other direction has its own buffer
      return 0;
    },
    null,
    LINUX,
  );
  assert.deepEqual(seen, [-EAGAIN, UNIX_STREAM_BUFFER_BYTES, -EAGAIN, 1]);
});

test('the peer closed: read is EOF; write sends SIGPIPE, which kills a writer that did not ignore it', () => {
  const seen: number[] = [];
  runGuest(
    function* (t) {
      const [a, b, buf] = yield* pair(t);
      yield* close(t, b);
      seen.push(yield* r(t, read(t, a, buf, 10)));
      const pid = yield* fork(t, function* (c) {
        yield* write(c, a, buf, 1);
        return 0;
      });
      const [, status] = yield* waitpid(t, pid);
      seen.push(WIFSIGNALED(status) ? WTERMSIG(status) : -1);
      return 0;
    },
    null,
    { ...LINUX, cpus: 2 },
  );
  assert.deepEqual(seen, [0, SIGPIPE]);
});

test('refusals: another domain, datagrams (not modelled), stray flag bits, a protocol; the baseline has none', () => {
  const linux: number[] = [];
  const redox: number[] = [];
  for (const [seen, options] of [
    [linux, LINUX],
    [redox, {}],
  ] as const) {
    runGuest(
      function* (t) {
        const buf = yield* mmap_anonymous(t, 4096);
        seen.push(yield* r(t, socketpair(t, AF_INET, SOCK_STREAM, 0, buf)));
        seen.push(yield* r(t, socketpair(t, AF_UNIX, SOCK_DGRAM, 0, buf)));
        seen.push(yield* r(t, socketpair(t, AF_UNIX, SOCK_STREAM | 0x100, 0, buf)));
        seen.push(yield* r(t, socketpair(t, AF_UNIX, SOCK_STREAM, 6, buf)));
        seen.push(yield* r(t, socketpair(t, AF_UNIX, SOCK_STREAM, 0, buf)));
        return 0;
      },
      null,
      options,
    );
  }
  assert.deepEqual(linux, [-EAFNOSUPPORT, -ESOCKTNOSUPPORT, -EINVAL, -EPROTONOSUPPORT, 0]);
  assert.deepEqual(redox, [-EAFNOSUPPORT, -EAFNOSUPPORT, -EAFNOSUPPORT, -EAFNOSUPPORT, -EAFNOSUPPORT]);
});
