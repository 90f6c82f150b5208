/**
 * posix_spawn's RESETIDS and SETSCHEDPARAM attributes, and the scheduling check made with the
 * parent's effective uid (issue 24), in both libcs on both spawn paths. glibc's __spawni_child
 * (sysdeps/unix/sysv/linux/spawni.c) applies SETSCHEDULER or else SETSCHEDPARAM before
 * RESETIDS, and RESETIDS is seteuid(getuid()): a child of a root process that dropped its
 * effective uid to 1000 runs as 1000 unless RESETIDS gives it back the real uid 0.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { ECHILD, EINVAL, EPERM } from '../../src/abi/errno.ts';
import type { Guest, ProgramImage } from '../../src/abi/guest.ts';
import { SCHED_FIFO, SCHED_OTHER } from '../../src/abi/sched.ts';
import { WEXITSTATUS, WIFEXITED } from '../../src/abi/syscalls.ts';
import type { ProcOptions } from '../../src/kernel/proc-options.ts';
import { geteuid, getuid, seteuid } from '../../src/libc/proc-handles.ts';
import { waitpid } from '../../src/libc/process.ts';
import { sched_getscheduler } from '../../src/libc/sched.ts';
import {
  POSIX_SPAWN_RESETIDS,
  POSIX_SPAWN_SETSCHEDPARAM,
  POSIX_SPAWN_SETSCHEDULER,
  posix_spawn,
  posix_spawnattr_init,
  posix_spawnattr_setflags,
  posix_spawnattr_setschedparam,
  posix_spawnattr_setschedpolicy,
  posix_spawnattr_t,
} from '../../src/libc/spawn.ts';
import { runLibc, VARIANTS } from '../support/libc.ts';

const UID_USER = 1000;

/** Exit status: 1 when the program runs with effective uid 1000 and real 0; else its policy. */
const REPORT: ProgramImage = {
  name: 'report',
  main: function* (t: Guest, raw: unknown): Program<number> {
    if (raw === 'euid') {
      const [real, eff] = [yield* getuid(t), yield* geteuid(t)];
      return real === 0 && eff === UID_USER ? 1 : real === 0 && eff === 0 ? 0 : 99;
    }
    return yield* sched_getscheduler(t, 0);
  },
};

function attr(flags: number, policy: number | null, priority: number): posix_spawnattr_t {
  const a = new posix_spawnattr_t();
  posix_spawnattr_init(a);
  assert.equal(posix_spawnattr_setflags(a, flags), 0);
  if (policy !== null) assert.equal(posix_spawnattr_setschedpolicy(a, policy), 0);
  assert.equal(posix_spawnattr_setschedparam(a, { sched_priority: priority }), 0);
  return a;
}

/** [posix_spawn's errno, the child's exit status or -1 when there was no child]. */
function* spawned(t: Guest, a: posix_spawnattr_t | null, q: string): Program<[number, number]> {
  const [err, child] = yield* posix_spawn(t, '/bin/report', null, a, q);
  if (err !== 0) {
    assert.equal((yield* waitpid(t, -1))[0], -ECHILD, 'a failed spawn leaves no child to reap');
    return [err, -1];
  }
  const [pid, status] = yield* waitpid(t, child);
  assert.equal(pid, child);
  assert.ok(WIFEXITED(status));
  return [0, WEXITSTATUS(status)];
}

function* scenario(t: Guest, out: unknown[]) {
  out.push(yield* spawned(t, attr(POSIX_SPAWN_SETSCHEDPARAM, null, 0), 'policy'));
  out.push(yield* spawned(t, attr(POSIX_SPAWN_SETSCHEDPARAM, null, 5), 'policy'));
  out.push(yield* spawned(t, attr(POSIX_SPAWN_RESETIDS, null, 0), 'euid'));
  out.push(yield* seteuid(t, UID_USER), yield* getuid(t), yield* geteuid(t));
  out.push(yield* spawned(t, null, 'euid'));
  out.push(yield* spawned(t, attr(POSIX_SPAWN_RESETIDS, null, 0), 'euid'));
  const fifo = POSIX_SPAWN_SETSCHEDULER | POSIX_SPAWN_RESETIDS;
  out.push(yield* spawned(t, attr(fifo, SCHED_FIFO, 10), 'policy'));
  out.push(yield* seteuid(t, 0), yield* geteuid(t), yield* seteuid(t, 7));
}

function expected(vfork: boolean): unknown[] {
  const fail = (errno: number) => (vfork ? [errno, -1] : [0, 127]);
  return [
    [0, SCHED_OTHER], // SETSCHEDPARAM alone keeps the parent's policy; priority 0 is OTHER's
    fail(EINVAL), // priority 5 with SCHED_OTHER
    [0, 0], // RESETIDS with real = effective = 0 changes nothing
    0, // seteuid(1000) as root
    0, // getuid: the real uid stays 0
    UID_USER,
    [0, 1], // the child inherits real 0, effective 1000
    [0, 0], // RESETIDS: effective back to the real 0
    fail(EPERM), // SETSCHEDULER is checked before RESETIDS, with the effective uid 1000
    0, // seteuid(0): back to the real uid is allowed
    0,
    0, // root again: seteuid(7) is allowed
  ];
}

const KERNELS: readonly { name: string; proc: ProcOptions | undefined }[] = [
  { name: 'fork-exec kernel', proc: undefined },
  { name: 'vfork kernel', proc: { vforkSpawn: true } },
];

for (const variant of VARIANTS) {
  for (const kernel of KERNELS) {
    const vfork = variant === 'improved' && kernel.proc !== undefined;
    test(`${variant} on the ${kernel.name}: RESETIDS, SETSCHEDPARAM and the effective uid's checks`, () => {
      const out: unknown[] = [];
      runLibc(variant, (t) => scenario(t, out), {
        executables: { '/bin/report': REPORT },
        ...(kernel.proc === undefined ? {} : { proc: kernel.proc }),
      });
      assert.deepEqual(out, expected(vfork));
    });
  }
}
