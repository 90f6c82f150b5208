// wait4's WNOHANG (Linux kernel/exit.c do_wait, kernel_wait4): 0 while children live and none
// has exited, the pid and status once one has, -ECHILD with no children, -EINVAL for an
// unknown option bit; and sys_census (kernel/census.ts) counting what the guest made.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import type { Guest, ProgramImage } from '../../src/abi/guest.ts';
import { SYS_WAIT4, WNOHANG } from '../../src/abi/syscalls.ts';
import { takeCensus } from '../../src/kernel/census.ts';
import { spawn, waitpid } from '../../src/libc/process.ts';
import { syscall } from '../../src/libc/sys.ts';
import { sleep_ns } from '../../src/libc/time.ts';
import { census } from '../../src/services/census.ts';
import { runGuest } from '../support/guest.ts';

const ECHILD = 10;
const EINVAL = 22;
const MS = 1_000_000;

const sleeper: ProgramImage = {
  name: 'sleeper',
  main: function* (t: Guest): Program<number> {
    yield* sleep_ns(t, 5 * MS);
    return 7;
  },
};

test('WNOHANG: 0 while the child runs, then its pid and status, then -ECHILD', () => {
  const seen: number[] = [];
  const run = runGuest(function* (t) {
    seen.push((yield* waitpid(t, -1, WNOHANG))[0]);
    const pid = yield* spawn(t, sleeper, null);
    const [early, earlyStatus] = yield* waitpid(t, -1, WNOHANG);
    seen.push(early, earlyStatus);
    yield* sleep_ns(t, 20 * MS);
    const [got, status] = yield* waitpid(t, -1, WNOHANG);
    seen.push(got === pid ? 1 : 0, (status >> 8) & 0xff);
    seen.push((yield* waitpid(t, pid, WNOHANG))[0]);
    return 0;
  }, null);
  assert.equal(run.kernel.finished, true);
  assert.deepEqual(seen, [-ECHILD, 0, 0, 1, 7, -ECHILD]);
});

test('WNOHANG names one child: another child that exited is not reaped by it', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    const quick = yield* spawn(
      t,
      {
        name: 'quick',
        main: () =>
          (function* () {
            return 0;
          })(),
      },
      null,
    );
    const slow = yield* spawn(t, sleeper, null);
    yield* sleep_ns(t, 1 * MS);
    seen.push((yield* waitpid(t, slow, WNOHANG))[0]);
    seen.push((yield* waitpid(t, quick, WNOHANG))[0] === quick ? 1 : 0);
    seen.push((yield* waitpid(t, slow, 0))[0] === slow ? 1 : 0);
    return 0;
  }, null);
  assert.deepEqual(seen, [0, 1, 1]);
});

test('an unknown wait4 option bit is -EINVAL, as kernel_wait4', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    yield* spawn(t, sleeper, null);
    seen.push(yield* syscall(t, SYS_WAIT4, -1, 0, 0x40));
    seen.push(yield* syscall(t, SYS_WAIT4, -1, 0, 0));
    return 0;
  }, null);
  assert.equal(seen[0], -EINVAL);
  assert.ok(seen[1]! > 0, 'the plain wait4 then reaps it');
});

test('sys_census counts the live child, its thread and no zombie; after the reap, the child is gone', () => {
  const seen: number[][] = [];
  const run = runGuest(function* (t) {
    const before = yield* census(t);
    yield* spawn(t, sleeper, null);
    const during = yield* census(t);
    yield* sleep_ns(t, 20 * MS);
    const zombie = yield* census(t);
    yield* waitpid(t, -1);
    const after = yield* census(t);
    for (const c of [before, during, zombie, after]) seen.push([c.processes, c.threads, c.zombies]);
    return 0;
  }, null);
  const [before, during, zombie, after] = seen as [number[], number[], number[], number[]];
  assert.deepEqual(during, [before[0]! + 1, before[1]! + 1, 0]);
  assert.deepEqual(zombie, [before[0], before[1], 1]);
  assert.deepEqual(after, [before[0], before[1], 0]);
  // At the end the root process has exited too: nothing alive, no thread left.
  const end = takeCensus(run.kernel);
  assert.deepEqual([end.processes, end.threads], [0, 0]);
});
