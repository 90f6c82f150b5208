// poll (kernel/fd/poll.ts): a parent waits on three notify pipes whose writers (children on
// other CPUs) write at different times, as init waits for its services' readiness bytes;
// POLLIN, POLLHUP once the writers have exited, POLLOUT/POLLERR on write ends, POLLNVAL, a
// zero and a finite timeout, and a scheme descriptor readable while requests wait.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import { EINVAL } from '../../../src/abi/errno.ts';
import { O_RDWR, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT } from '../../../src/abi/fd.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import { errno } from '../../../src/libc/errno.ts';
import { fork } from '../../../src/libc/fork.ts';
import { close, open, pipe, pollEntries, read, poll } from '../../../src/libc/io.ts';
import { writeText } from '../../../src/libc/io-bytes.ts';
import { waitpid } from '../../../src/libc/process.ts';
import { scheme_register } from '../../../src/libc/scheme-server.ts';
import { mmap_anonymous } from '../../../src/libc/sys.ts';
import { CLOCK_MONOTONIC } from '../../../src/abi/syscalls.ts';
import { clock_gettime, nanosleep, timespec_load, timespec_new } from '../../../src/libc/time.ts';
import { runGuest } from '../../support/guest.ts';

function* sleepMs(t: Guest, ms: number): Program<void> {
  yield* nanosleep(t, yield* timespec_new(t, 0, ms * 1_000_000), 0);
}

function* nowNs(t: Guest, at: number): Program<number> {
  yield* clock_gettime(t, CLOCK_MONOTONIC, at);
  const ts = timespec_load(t, at);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

function* pipeFds(t: Guest, buf: number): Program<[number, number]> {
  yield* pipe(t, buf);
  return [t.load32(buf), t.load32(buf + 4)];
}

test('poll on three notify pipes: each readiness byte as it comes, then POLLHUP', () => {
  const order: string[] = [];
  const CHILD_DELAYS_MS = [3, 1, 2];
  runGuest(
    function* (t) {
      const buf = yield* mmap_anonymous(t, 4096);
      const reads: number[] = [];
      const pids: number[] = [];
      for (const [i, delayMs] of CHILD_DELAYS_MS.entries()) {
        const [rd, wr] = yield* pipeFds(t, buf);
        pids.push(
          yield* fork(t, function* (c) {
            yield* sleepMs(c, delayMs);
            yield* writeText(c, wr, buf + 512, String(i));
            return 0;
          }),
        );
        yield* close(t, wr);
        reads.push(rd);
      }
      const ready = new Set<number>();
      while (ready.size < 3) {
        const revents = yield* pollEntries(
          t,
          buf + 1024,
          reads.map((fd) => ({ fd, events: POLLIN })),
          -1,
        );
        assert.ok(revents !== null);
        revents.forEach((ev, i) => {
          if ((ev & POLLIN) !== 0 && !ready.has(i)) {
            ready.add(i);
            order.push(`${i}:${ev & (POLLIN | POLLHUP)}`);
          }
        });
        for (const i of ready) if ((revents[i]! & POLLIN) !== 0) yield* read(t, reads[i]!, buf + 2048, 1);
      }
      for (const pid of pids) yield* waitpid(t, pid);
      const after = yield* pollEntries(
        t,
        buf + 1024,
        reads.map((fd) => ({ fd, events: POLLIN })),
        0,
      );
      order.push(`after:${after!.join(',')}`);
      return 0;
    },
    null,
    { cpus: 4 },
  );
  // The byte arrives before its writer exits, so POLLHUP is not yet set when POLLIN is seen.
  assert.deepEqual(order, [
    `1:${POLLIN}`,
    `2:${POLLIN}`,
    `0:${POLLIN}`,
    `after:${POLLHUP},${POLLHUP},${POLLHUP}`,
  ]);
});

test('poll: POLLOUT and POLLERR on write ends, POLLNVAL, skipped negative fds, timeouts, EINVAL', () => {
  const seen: (number | string)[] = [];
  let waitedNs = 0;
  runGuest(function* (t) {
    const buf = yield* mmap_anonymous(t, 4096);
    const [rd, wr] = yield* pipeFds(t, buf);
    const entries = [
      { fd: wr, events: POLLOUT },
      { fd: rd, events: POLLIN },
      { fd: 77, events: POLLIN },
      { fd: -1, events: POLLIN },
    ];
    seen.push((yield* pollEntries(t, buf + 1024, entries, 0))!.join(','));
    yield* close(t, rd);
    seen.push((yield* pollEntries(t, buf + 1024, [{ fd: wr, events: 0 }], 0))!.join(','));
    const [rd2] = yield* pipeFds(t, buf);
    const before = yield* nowNs(t, buf + 3000);
    seen.push((yield* pollEntries(t, buf + 1024, [{ fd: rd2, events: POLLIN }], 5))!.join(','));
    waitedNs = (yield* nowNs(t, buf + 3000)) - before;
    const bad = yield* poll(t, buf, 100_000, 0);
    seen.push(bad === -1 ? `-${errno(t)}` : String(bad));
    const file = yield* open(t, '/f', 0o100 | O_RDWR, 0o600);
    seen.push((yield* pollEntries(t, buf + 1024, [{ fd: file, events: POLLIN | POLLOUT }], 0))!.join(','));
    return 0;
  }, null);
  assert.deepEqual(seen, [
    `${POLLOUT},0,${POLLNVAL},0`,
    `${POLLERR}`,
    '0',
    `-${EINVAL}`,
    `${POLLIN | POLLOUT}`,
  ]);
  assert.ok(waitedNs >= 5_000_000 && waitedNs < 5_200_000, `waited ${waitedNs} ns`); // hrtimers: 5 ms plus slack
});

test('a scheme descriptor polls readable while a request waits', () => {
  const seen: number[] = [];
  runGuest(
    function* (t) {
      const buf = yield* mmap_anonymous(t, 4096);
      const fd = yield* scheme_register(t, 'p');
      seen.push((yield* pollEntries(t, buf, [{ fd, events: POLLIN }], 0))![0]!);
      const client = yield* fork(t, function* (c) {
        yield* open(c, 'p:x', O_RDWR); // blocks: never answered until the server exits
        return 0;
      });
      seen.push((yield* pollEntries(t, buf, [{ fd, events: POLLIN }], -1))![0]!);
      yield* close(t, fd);
      yield* waitpid(t, client);
      return 0;
    },
    null,
    { cpus: 2, futex: { mode: 'linux', shards: 64 } },
  );
  assert.deepEqual(seen, [0, POLLIN]);
});
