// Processes and threads as their guests see them: faults become signals, exit codes reach
// waitpid, and a machine where every thread blocks forever reports a deadlock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import type { Guest, ProgramImage } from '../../src/abi/guest.ts';
import { pthread_create, pthread_join, pthread_self, type pthread_t } from '../../src/libc/pthread.ts';
import { spawn, waitpid } from '../../src/libc/process.ts';
import { ThreadState } from '../../src/kernel/thread.ts';
import { futex_wait, mmap_anonymous } from '../../src/libc/sys.ts';
import type { ExpectedFaults } from '../support/guest-faults.ts';
import { runGuest } from '../support/guest.ts';

const SIGABRT = 6;
const SIGSEGV = 11;
const ECHILD = 10;
const EDEADLK = 35;

function image(name: string, main: (t: Guest) => Program<number>): ProgramImage {
  return { name, main: (t) => main(t) };
}

/** Spawns `child`, reaps it, and returns what the parent saw: [reaped === pid, status]. */
function spawnAndReap(
  child: ProgramImage,
  expectFaults: ExpectedFaults = [],
): { parentSaw: number[]; run: ReturnType<typeof runGuest> } {
  const parentSaw: number[] = [];
  const run = runGuest(
    function* (t) {
      const pid = yield* spawn(t, child, null);
      const [reaped, status] = yield* waitpid(t, pid);
      parentSaw.push(reaped === pid ? 1 : 0, status);
      parentSaw.push(777); // the parent carries on after its child died
      return 0;
    },
    null,
    { expectFaults },
  );
  assert.equal(run.kernel.finished, true, 'the root process exited');
  return { parentSaw, run };
}

test('a guest program that throws kills its process with SIGABRT and the parent continues', () => {
  const { parentSaw, run } = spawnAndReap(
    image('thrower', function* (t) {
      yield t.compute(1000);
      throw new Error('guest bug');
    }),
    [{ signal: 'SIGABRT', message: 'guest bug' }],
  );
  const [reapedOk, status, after] = parentSaw;
  assert.equal(reapedOk, 1);
  assert.equal(status! & 0x7f, SIGABRT);
  assert.equal(after, 777);
  assert.equal(run.kernel.stats.processesKilled, 1);
});

test('a store to unmapped memory kills its process with SIGSEGV', () => {
  const { parentSaw } = spawnAndReap(
    image('segv', function* (t) {
      t.store32(0x20000, 1);
      return 0;
    }),
    [{ signal: 'SIGSEGV', message: /unmapped memory at 0x20000/ }],
  );
  assert.equal(parentSaw[1]! & 0x7f, SIGSEGV);
  assert.equal(parentSaw[2], 777);
});

test('a fault in one thread kills every thread of its process', () => {
  let steps = 0;
  function* spinner(t: Guest): Program<number> {
    for (let i = 0; i < 100; i++) {
      yield t.compute(3_000_000); // 1 ms per step, 100 ms in all
      steps++;
    }
    return 0;
  }
  const { parentSaw, run } = spawnAndReap(
    image('two-threads', function* (t) {
      yield* pthread_create(t, null, spinner, null);
      // 20 ms of its own work, time-sliced with the sibling, then a fault.
      for (let i = 0; i < 20; i++) yield t.compute(3_000_000);
      t.load32(0x20000);
      return 0;
    }),
    [{ signal: 'SIGSEGV', message: /unmapped memory at 0x20000/ }],
  );
  assert.equal(parentSaw[1]! & 0x7f, SIGSEGV);
  assert.ok(steps > 0 && steps < 100, `the sibling ran and was cut short after ${steps} steps`);
  const victim = run.kernel.processes.get(2)!;
  // The leader stays until the process is released; the sibling left at its last switch.
  assert.deepEqual(
    [...victim.threads].map((th) => th.state),
    [ThreadState.Dead],
  );
  const released = [...run.kernel.releasedThreads.values()].filter((r) => r.pid === victim.pid);
  assert.equal(released.length, 1);
  assert.ok(released[0]!.cpuTimeNs > 0, 'the sibling ran before it was killed');
});

test("a process's exit code reaches waitpid in bits 8..15 of the status", () => {
  const { parentSaw } = spawnAndReap(
    image('exit42', function* (t) {
      yield t.compute(1000);
      return 42;
    }),
  );
  assert.equal(parentSaw[1]! & 0x7f, 0, 'exited, not signalled');
  assert.equal((parentSaw[1]! >> 8) & 0xff, 42);
});

test('waitpid with no children returns -ECHILD', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    const [result, status] = yield* waitpid(t, -1);
    seen.push(result, status);
    return 0;
  }, null);
  assert.deepEqual(seen, [-ECHILD, 0]);
});

test('pthread_join of the calling thread itself returns EDEADLK', () => {
  const seen: number[] = [];
  function* selfJoiner(t: Guest): Program<number> {
    const [err] = yield* pthread_join(t, pthread_self(t));
    seen.push(err);
    return 0;
  }
  runGuest(function* (t) {
    const [, th] = yield* pthread_create(t, null, selfJoiner, null);
    const [err] = yield* pthread_join(t, th);
    seen.push(err);
    return 0;
  }, null);
  assert.deepEqual(seen, [EDEADLK, 0]);
});

test('two threads that futex_wait forever end the run with a deadlock report naming both', () => {
  const tids: number[] = [];
  function* stuck(t: Guest, arg: unknown): Program<number> {
    tids.push(t.tid);
    yield* futex_wait(t, arg as number, 0);
    return 0;
  }
  const run = runGuest(
    function* (t) {
      const word = yield* mmap_anonymous(t, 4096);
      const threads: pthread_t[] = [];
      for (let i = 0; i < 2; i++) threads.push((yield* pthread_create(t, null, stuck, word))[1]);
      for (const th of threads) yield* pthread_join(t, th);
      return 0;
    },
    null,
    { cpus: 2 },
  );
  assert.equal(run.kernel.finished, false);
  assert.equal(run.reason, 'stopped');
  const report = run.kernel.stopReason ?? '';
  assert.ok(report.startsWith('deadlock'), report);
  assert.equal(tids.length, 2);
  for (const tid of tids) assert.match(report, new RegExp(`tid ${tid} \\(pid 1 test\\) waits on futex 0x`));
});
