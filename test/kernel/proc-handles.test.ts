// Per-thread proc handles (SCHED-11): /proc/<tid>/name, sched-policy, priority and
// sched-affinity through the proc-handle system calls and the libc wrappers over them, with
// the permission checks between users.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { EINVAL, ENOENT, EPERM, ERANGE, ESRCH } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { SCHED_FIFO, SCHED_OTHER, SCHED_RR } from '../../src/abi/sched.ts';
import { SYS_PROC_HANDLE_OPEN } from '../../src/abi/syscalls.ts';
import { waitpid } from '../../src/libc/process.ts';
import {
  getuid,
  proc_get_priority,
  proc_get_sched_policy,
  proc_set_priority,
  proc_set_sched_policy,
  proc_get_affinity,
  proc_get_name,
  proc_set_affinity,
  proc_set_name,
  setuid,
  spawn_as,
} from '../../src/libc/proc-handles.ts';
import { syscall } from '../../src/libc/sys.ts';
import { runGuest } from '../support/guest.ts';

test('a thread names itself; names are cut at 15 bytes by the kernel and refused past 15 by libc', () => {
  const seen: unknown[] = [];
  const run = runGuest(function* (t) {
    seen.push(yield* proc_get_name(t, t.tid, 16)); // the program's name
    seen.push(yield* proc_set_name(t, t.tid, 'worker-0'));
    seen.push(yield* proc_get_name(t, t.tid, 16));
    seen.push(yield* proc_get_name(t, t.tid, 15)); // glibc: buffer below TASK_COMM_LEN
    seen.push(yield* proc_set_name(t, t.tid, '0123456789abcdef')); // 16 bytes
    seen.push(yield* proc_set_name(t, t.tid, '0123456789abcde')); // 15 bytes
    seen.push(yield* proc_get_name(t, t.tid, 16));
    return 0;
  }, null);
  assert.equal(run.kernel.finished, true);
  assert.deepEqual(seen, [[0, 'test'], 0, [0, 'worker-0'], [ERANGE, ''], ERANGE, 0, [0, '0123456789abcde']]);
});

test('sched-policy and priority set the thread fields through setThreadSched; bad values are EINVAL', () => {
  const seen: unknown[] = [];
  const run = runGuest(function* (t) {
    seen.push(yield* proc_get_sched_policy(t, t.tid));
    seen.push(yield* proc_set_sched_policy(t, t.tid, SCHED_RR, 50));
    seen.push(yield* proc_get_sched_policy(t, t.tid));
    seen.push(yield* proc_set_sched_policy(t, t.tid, SCHED_FIFO, 0)); // RT priorities are 1..99
    seen.push(yield* proc_set_sched_policy(t, t.tid, SCHED_OTHER, 0));
    seen.push(yield* proc_set_priority(t, t.tid, 25));
    seen.push(yield* proc_get_priority(t, t.tid));
    seen.push(yield* proc_set_priority(t, t.tid, 77)); // Red Bear clamps to 39
    seen.push(yield* proc_get_priority(t, t.tid));
    return 0;
  }, null);
  assert.equal(run.kernel.finished, true);
  assert.deepEqual(seen, [[0, SCHED_OTHER, 0], 0, [0, SCHED_RR, 50], EINVAL, 0, 0, [0, 25], 0, [0, 39]]);
  const root = run.kernel.threads.get(1)!;
  assert.equal(root.policy, SCHED_OTHER);
  assert.equal(root.prio, 39);
});

test('sched-affinity round-trips; a mask with no online CPU is EINVAL; the thread then runs only there', () => {
  const seen: unknown[] = [];
  const run = runGuest(
    function* (t) {
      seen.push(yield* proc_get_affinity(t, t.tid));
      seen.push(yield* proc_set_affinity(t, t.tid, [5])); // a 4-CPU machine has no CPU 5
      seen.push(yield* proc_set_affinity(t, t.tid, [2]));
      seen.push(yield* proc_get_affinity(t, t.tid));
      for (let i = 0; i < 20; i++) yield t.compute(3_000_000);
      return 0;
    },
    null,
    { policy: 'dwrr', cpus: 4 },
  );
  assert.equal(run.kernel.finished, true);
  assert.deepEqual(seen, [[0, [0, 1, 2, 3]], EINVAL, 0, [0, [2]]]);
  assert.equal(run.kernel.threads.get(1)!.lastCpu, 2);
});

test('bad paths and dead threads: ENOENT and ESRCH', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    seen.push(yield* syscall(t, SYS_PROC_HANDLE_OPEN, `/proc/${t.tid}/nice`));
    seen.push(yield* syscall(t, SYS_PROC_HANDLE_OPEN, '/proc/999/name'));
    return 0;
  }, null);
  assert.deepEqual(seen, [-ENOENT, -ESRCH]);
});

test("another user's process may read but not change a thread; root may; setuid is root's alone", () => {
  const parentSeen: unknown[] = [];
  const childSeen: unknown[] = [];
  function* child(t: Guest, arg: unknown): Program<number> {
    const { tid } = arg as { tid: number };
    childSeen.push(yield* getuid(t));
    childSeen.push(yield* proc_get_priority(t, tid)); // reading is open to all
    childSeen.push(yield* proc_set_priority(t, tid, 30));
    childSeen.push(yield* proc_set_sched_policy(t, tid, SCHED_OTHER, 0));
    childSeen.push(yield* proc_set_affinity(t, t.tid, [0])); // its own thread: allowed
    childSeen.push(yield* proc_set_sched_policy(t, t.tid, SCHED_FIFO, 10)); // RT needs root
    childSeen.push(yield* proc_set_priority(t, t.tid, 10)); // raising priority needs root
    childSeen.push(yield* proc_set_priority(t, t.tid, 30)); // lowering it does not
    childSeen.push(yield* setuid(t, 0));
    return 0;
  }
  const run = runGuest(function* (t) {
    parentSeen.push(yield* getuid(t));
    const pid = yield* spawn_as(t, 1000, { name: 'child', main: child }, { tid: t.tid });
    parentSeen.push((yield* waitpid(t, pid))[1]);
    parentSeen.push(yield* proc_get_priority(t, t.tid));
    return 0;
  }, null);
  assert.equal(run.kernel.finished, true);
  assert.deepEqual(childSeen, [1000, [0, 20], EPERM, EPERM, 0, EPERM, EPERM, 0, EPERM]);
  assert.deepEqual(parentSeen, [0, 0, [0, 20]]);
});
