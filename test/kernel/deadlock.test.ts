// Deadlock detection (kernel/deadlock.ts; issue 13): a run stops as deadlocked only when every
// CPU halts with every live thread blocked without a timeout, and its report lists what each
// live thread waits on.
import { timespec_ns } from '../../src/libc/time.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { deadlockReport, waitForGraph } from '../../src/kernel/deadlock.ts';
import { pthread_create, pthread_join } from '../../src/libc/pthread.ts';
import { futex_wait, mmap_anonymous } from '../../src/libc/sys.ts';
import { atTime, bootGuest, runGuest } from '../support/guest.ts';

const ETIMEDOUT = 110;

/** Main joins one thread that waits on a futex word nobody wakes, for `timeoutNs` (-1: forever). */
function stuck(timeoutNs: number) {
  function* waiter(t: Guest, word: unknown): Program<number> {
    const timeout = timeoutNs < 0 ? 0 : yield* timespec_ns(t, timeoutNs); // 0: no timeout
    return yield* futex_wait(t, word as number, 0, timeout);
  }
  return function* main(t: Guest): Program<number> {
    const word = yield* mmap_anonymous(t, 4096);
    const [, th] = yield* pthread_create(t, null, waiter, word);
    return (yield* pthread_join(t, th))[1] === -ETIMEDOUT ? 0 : 1;
  };
}

test('every thread blocked with no timeout stops the run with the wait-for report', () => {
  const run = runGuest(stuck(-1), null, { cpus: 2 });
  assert.equal(run.reason, 'stopped');
  assert.equal(run.kernel.finished, false);
  const lines = (run.kernel.stopReason ?? '').split('\n');
  assert.equal(lines[0], 'deadlock: every thread is blocked with no timeout');
  // The main thread in its join, the waiter on the word: two live threads, one line each.
  assert.equal(lines.length, 3);
  assert.match(lines[1]!, /^ {2}tid 1 \(pid 1 test\) waits on futex 0x[0-9a-f]+ pid 1$/);
  assert.match(lines[2]!, /^ {2}tid 2 \(pid 1 test\) waits on futex 0x[0-9a-f]+ pid 1$/);
  assert.equal(waitForGraph(run.kernel), lines.slice(1).join('\n'));
});

test('a blocked thread with a timeout is no deadlock: the run goes on and finishes', () => {
  const run = runGuest(stuck(50_000_000), null, { cpus: 2 });
  assert.equal(run.kernel.stopReason, null);
  assert.equal(run.kernel.finished, true);
});

test('no report while a CPU is awake or a thread is runnable', () => {
  const machine = bootGuest(stuck(-1), null, { cpus: 2 });
  let probed = false;
  atTime(machine, 1_000, () => {
    // Still starting up: the main thread is runnable or running, and CPU 0 is awake.
    assert.equal(deadlockReport(machine.kernel, machine.board.cpus[1]!), null);
    probed = true;
  });
  machine.board.engine.run({ simNsMax: 1_000_000_000, eventsMax: 100_000 });
  assert.equal(probed, true);
  assert.match(machine.kernel.stopReason ?? '', /^deadlock/);
});
