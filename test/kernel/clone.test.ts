// fork (LIBC-9) and set_tid_address (LIBC-1) as raw system calls: what the child gets (a copy
// of private memory, the same shared frames, the data segment, dispositions, the caller's
// thread), what it does not (pending signals, the clear-tid word), and what a fork costs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { EAGAIN, EFAULT, EINVAL } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { SIG_IGN, SIGSEGV, SIGUSR1, SIGUSR2, sigBit } from '../../src/abi/signal.ts';
import {
  CLOCK_MONOTONIC,
  MAP_SHARED,
  PROT_NONE,
  SYS_FORK,
  SYS_GETPID,
  SYS_GETTID,
  SYS_KILL,
  SYS_RT_SIGPENDING,
  SYS_SET_TID_ADDRESS,
  WEXITSTATUS,
  WIFSIGNALED,
  WTERMSIG,
} from '../../src/abi/syscalls.ts';
import { copyDataSegment } from '../../src/kernel/clone.ts';
import { ProcessState } from '../../src/kernel/process.ts';
import { waitpid } from '../../src/libc/process.ts';
import { sigaction } from '../../src/libc/signal.ts';
import { threadScratch } from '../../src/libc/scratch.ts';
import { futex_wait, mmap_anonymous, mprotect, syscall } from '../../src/libc/sys.ts';
import { clock_gettime_ns, sleep_ns } from '../../src/libc/time.ts';
import { runGuest } from '../support/guest.ts';

/** The raw fork call: the child runs `child` and exits with what it returns. */
function rawFork(t: Guest, child: (t: Guest) => Program<number>): Program<number> {
  return syscall(t, SYS_FORK, (c: Guest) => child(c), null);
}

test('fork: the child gets a copy of private memory and the same frames of MAP_SHARED memory', () => {
  const seen: number[] = [];
  const run = runGuest(function* (t) {
    const priv = yield* mmap_anonymous(t, 4096);
    const shared = yield* mmap_anonymous(t, 4096, MAP_SHARED);
    t.store32(priv, 11);
    t.store32(shared, 22);
    const parentPid = t.pid;
    const pid = yield* rawFork(t, function* (c) {
      seen.push(c.pid === parentPid ? 0 : 1, c.load32(priv), c.load32(shared));
      c.store32(priv, 33); // the parent's copy stays 11
      c.store32(shared, 44); // the parent sees this
      return 5;
    });
    const [reaped, status] = yield* waitpid(t, pid);
    seen.push(reaped === pid ? 1 : 0, WEXITSTATUS(status), t.load32(priv), t.load32(shared));
    return 0;
  }, null);
  assert.equal(run.kernel.finished, true);
  assert.deepEqual(seen, [1, 11, 22, 1, 5, 11, 44]);
});

test("fork: the child runs on a copy of the caller's stack; its guard page still faults", () => {
  const seen: number[] = [];
  runGuest(
    function* (t) {
      const guard = yield* mmap_anonymous(t, 8192);
      yield* mprotect(t, guard, 4096, PROT_NONE);
      const top = t.stackTop;
      t.store32(top - 64, 1234); // a local on the stack
      const pid = yield* rawFork(t, function* (c) {
        seen.push(c.stackTop === top ? 1 : 0, c.load32(top - 64));
        c.store32(guard, 1); // PROT_NONE in the child too
        return 0;
      });
      const [, status] = yield* waitpid(t, pid);
      seen.push(WIFSIGNALED(status) ? WTERMSIG(status) : 0);
      return 0;
    },
    null,
    { expectFaults: [{ signal: 'SIGSEGV', message: /^write to protected memory at 0x/ }] },
  );
  assert.deepEqual(seen, [1, 1234, SIGSEGV]);
});

test('fork: dispositions and the signal mask are inherited, pending signals are not', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    yield* sigaction(t, SIGUSR2, { handler: SIG_IGN, mask: 0, flags: 0 });
    const word = yield* mmap_anonymous(t, 4096);
    t.store32(word, sigBit(SIGUSR1));
    yield* syscall(t, 14 /* rt_sigprocmask */, 0 /* SIG_BLOCK */, word, 0);
    yield* syscall(t, SYS_KILL, yield* syscall(t, SYS_GETPID), SIGUSR1); // pending, blocked
    const pid = yield* rawFork(t, function* (c) {
      yield* syscall(c, SYS_RT_SIGPENDING, word);
      seen.push(c.load32(word));
      // SIGUSR2 is ignored here too: the child survives sending it to itself.
      yield* syscall(c, SYS_KILL, c.pid, SIGUSR2);
      return 9;
    });
    const [, status] = yield* waitpid(t, pid);
    seen.push(WEXITSTATUS(status));
    yield* syscall(t, SYS_RT_SIGPENDING, word);
    seen.push(t.load32(word));
    return 0;
  }, null);
  assert.deepEqual(seen, [0, 9, sigBit(SIGUSR1)]);
});

test('fork: the data segment is copied deeply, keeping prototypes, sharing and code', () => {
  class Box {
    constructor(public n: number) {}
    twice(): number {
      return this.n * 2;
    }
  }
  const inner = { k: [1, 2] };
  const fn = () => 7;
  const data: Record<string, unknown> = {
    box: new Box(3),
    map: new Map([[1, inner]]),
    set: new Set([inner]),
    again: inner,
    words: Int32Array.of(5, 6),
    fn,
  };
  data.self = data;
  const copy = copyDataSegment(data);
  const box = copy.box as Box;
  assert.ok(box instanceof Box && box !== data.box && box.twice() === 6);
  const copiedInner = (copy.map as Map<number, typeof inner>).get(1)!;
  assert.notEqual(copiedInner, inner);
  assert.deepEqual(copiedInner, inner);
  assert.equal(copy.again, copiedInner, 'two references to one object stay one object');
  assert.ok((copy.set as Set<unknown>).has(copiedInner));
  assert.deepEqual([...(copy.words as Int32Array)], [5, 6]);
  assert.notEqual(copy.words, data.words);
  assert.equal(copy.fn, fn, 'code is shared');
  assert.equal(copy.self, copy);
  function* gen(): Generator<number> {
    yield 1;
  }
  assert.throws(() => copyDataSegment({ g: gen() }), /running generator/);
});

test("fork: libc data set before the fork is the child's own copy", () => {
  const seen: unknown[] = [];
  runGuest(function* (t) {
    t.data.list = [1];
    const pid = yield* rawFork(t, function* (c) {
      (c.data.list as number[]).push(2);
      seen.push([...(c.data.list as number[])]);
      return 0;
    });
    yield* waitpid(t, pid);
    seen.push([...(t.data.list as number[])]);
    return 0;
  }, null);
  assert.deepEqual(seen, [[1, 2], [1]]);
});

test('fork: the cost is processForkNs plus a copy and a map for each private page', () => {
  const took: number[] = [];
  const costs = { computeJitterPpm: 0, processForkNs: 25_000, pageCopyNs: 400, pageMapNs: 100 };
  const run = runGuest(
    function* (t) {
      yield* threadScratch(t); // waitpid's buffer: its arena is mapped before the first fork
      for (const extraPages of [0, 10]) {
        if (extraPages > 0) yield* mmap_anonymous(t, extraPages * 4096);
        const before = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
        const pid = yield* rawFork(t, function* () {
          return 0;
        });
        took.push((yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - before);
        yield* waitpid(t, pid);
      }
      return 0;
    },
    null,
    { cpus: 2, costs },
  );
  assert.equal(run.kernel.finished, true);
  assert.equal(took[1]! - took[0]!, 10 * (400 + 100), 'ten more private pages, ten more copies');
  assert.ok(took[0]! > 25_000, `the base cost is charged (${took[0]} ns)`);
});

test('fork: a forked child is reaped by wait4; a fork past the thread limit is EAGAIN; a bad entry EINVAL', () => {
  const seen: number[] = [];
  const run = runGuest(
    function* (t) {
      seen.push(yield* syscall(t, SYS_FORK, 42, null));
      seen.push(
        yield* rawFork(t, function* () {
          return 0;
        }),
      );
      return 0;
    },
    null,
    { threadsMax: 1 },
  );
  assert.deepEqual(seen, [-EINVAL, -EAGAIN]);
  assert.equal(run.kernel.processes.size, 1, 'the half-made child was taken back');
  const seen2: number[] = [];
  const run2 = runGuest(function* (t) {
    const pid = yield* rawFork(t, function* () {
      return 3;
    });
    const [reaped, status] = yield* waitpid(t, -1);
    seen2.push(reaped === pid ? 1 : 0, WEXITSTATUS(status));
    return 0;
  }, null);
  assert.deepEqual(seen2, [1, 3]);
  assert.equal([...run2.kernel.processes.values()][1]!.state, ProcessState.Reaped);
});

test('set_tid_address: returns the tid; the word is cleared and futex-woken when the thread exits', () => {
  const seen: number[] = [];
  runGuest(
    function* (t) {
      const word = yield* mmap_anonymous(t, 4096);
      seen.push(yield* syscall(t, SYS_SET_TID_ADDRESS, 0x20000)); // unmapped: refused
      const pid = yield* rawFork(t, function* (c) {
        const tid = yield* syscall(c, SYS_SET_TID_ADDRESS, word + 4);
        seen.push(tid === (yield* syscall(c, SYS_GETTID)) ? 1 : 0);
        return 0;
      });
      yield* waitpid(t, pid);
      // A child registers a word in shared memory and exits: the parent's waiter is woken.
      const shared = yield* mmap_anonymous(t, 4096, MAP_SHARED);
      const pid2 = yield* rawFork(t, function* (c) {
        const tid = yield* syscall(c, SYS_SET_TID_ADDRESS, shared);
        c.store32(shared, tid);
        yield* sleep_ns(c, 2_000_000);
        return 0;
      });
      while (t.load32(shared) === 0) yield* sleep_ns(t, 100_000);
      const r = yield* futex_wait(t, shared, t.load32(shared));
      seen.push(r, t.load32(shared));
      yield* waitpid(t, pid2);
      return 0;
    },
    null,
    { futex: { mode: 'linux', shards: 64 } },
  );
  assert.deepEqual(seen, [-EFAULT, 1, 0, 0]);
});
