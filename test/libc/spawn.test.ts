/**
 * posix_spawn and posix_spawnp (issue 24, SCHED-12) in both libcs on both spawn paths: the
 * attributes reach the child's program, and errors come back as glibc's Linux posix_spawn
 * returns them (the vfork-style path: the errno, no child) or as the fork-then-exec path shows
 * them (posix_spawn returned 0; the child exits 127).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { EBADF, ECHILD, EINVAL, ENOENT, EPERM } from '../../src/abi/errno.ts';
import { F_GETFD, O_CLOEXEC, O_CREAT, O_RDONLY, O_WRONLY } from '../../src/abi/fd.ts';
import { close, fcntl, open } from '../../src/libc/io.ts';
import type { Guest, ProgramImage } from '../../src/abi/guest.ts';
import { SCHED_BATCH, SCHED_FIFO } from '../../src/abi/sched.ts';
import { SIG_IGN, sigBit, SIG_BLOCK, SIGUSR1, SIGUSR2 } from '../../src/abi/signal.ts';
import { WEXITSTATUS, WIFEXITED } from '../../src/abi/syscalls.ts';
import type { ProcOptions } from '../../src/kernel/proc-options.ts';
import { getpgid, waitpid } from '../../src/libc/process.ts';
import { sched_getscheduler } from '../../src/libc/sched.ts';
import { pthread_sigmask, sigaction } from '../../src/libc/signal.ts';
import {
  POSIX_SPAWN_SETPGROUP,
  POSIX_SPAWN_SETSCHEDULER,
  POSIX_SPAWN_SETSIGDEF,
  POSIX_SPAWN_SETSIGMASK,
  posix_spawn,
  posix_spawn_file_actions_addclose,
  posix_spawn_file_actions_adddup2,
  posix_spawn_file_actions_addopen,
  posix_spawn_file_actions_init,
  posix_spawn_file_actions_t,
  posix_spawnattr_init,
  posix_spawnattr_setflags,
  posix_spawnattr_setpgroup,
  posix_spawnattr_setschedparam,
  posix_spawnattr_setschedpolicy,
  posix_spawnattr_setsigdefault,
  posix_spawnattr_setsigmask,
  posix_spawnattr_t,
  posix_spawnp,
} from '../../src/libc/spawn.ts';
import { syscall } from '../../src/libc/sys.ts';
import { SYS_GETPID } from '../../src/abi/syscalls.ts';
import { runLibc, VARIANTS } from '../support/libc.ts';

/** The program the tests spawn: its exit status answers the question its argument asks. */
const REPORT: ProgramImage = {
  name: 'report',
  main: function* (t: Guest, raw: unknown): Program<number> {
    const q = raw as string | number;
    if (typeof q === 'number') return q;
    if (q === 'mask')
      return ((yield* pthread_sigmask(t, SIG_BLOCK, null))[1] & sigBit(SIGUSR1)) !== 0 ? 1 : 0;
    if (q === 'own-group') return (yield* getpgid(t, 0)) === (yield* syscall(t, SYS_GETPID)) ? 1 : 0;
    if (q === 'usr2') {
      const old = { handler: 0, mask: 0, flags: 0 } as Parameters<typeof sigaction>[3] & object;
      yield* sigaction(t, SIGUSR2, null, old);
      return old.handler === SIG_IGN ? 2 : 1;
    }
    if (q === 'policy') return yield* sched_getscheduler(t, 0);
    return 99;
  },
};

const KERNELS: readonly { name: string; proc: ProcOptions | undefined }[] = [
  { name: 'fork-exec kernel', proc: undefined },
  { name: 'vfork kernel', proc: { vforkSpawn: true } },
];

function attrWith(flags: number, edit: (a: posix_spawnattr_t) => void = () => {}): posix_spawnattr_t {
  const a = new posix_spawnattr_t();
  posix_spawnattr_init(a);
  assert.equal(posix_spawnattr_setflags(a, flags), 0);
  edit(a);
  return a;
}

/** [posix_spawn's errno, the child's exit status or -1 when there was no child]. */
function* spawnAndWait(t: Guest, r: [number, number]): Program<[number, number]> {
  if (r[0] !== 0) {
    const [none] = yield* waitpid(t, -1);
    assert.equal(none, -ECHILD, 'a failed spawn leaves no child to reap');
    return [r[0], -1];
  }
  const [pid, status] = yield* waitpid(t, r[1]);
  assert.equal(pid, r[1]);
  assert.ok(WIFEXITED(status));
  return [0, WEXITSTATUS(status)];
}

function* scenario(t: Guest, out: unknown[]) {
  yield* sigaction(t, SIGUSR2, { handler: SIG_IGN, mask: 0, flags: 0 });
  const a = new posix_spawnattr_t();
  posix_spawnattr_init(a);
  out.push(posix_spawnattr_setflags(a, 0x1000), posix_spawnattr_setschedpolicy(a, SCHED_BATCH));
  out.push(yield* spawnAndWait(t, yield* posix_spawn(t, '/bin/report', null, null, 7)));
  out.push(yield* spawnAndWait(t, yield* posix_spawnp(t, 'report', null, null, 5)));
  out.push(yield* spawnAndWait(t, yield* posix_spawn(t, '/bin/missing', null, null, 0)));
  out.push(yield* spawnAndWait(t, yield* posix_spawnp(t, 'missing', null, null, 0)));
  const mask = attrWith(POSIX_SPAWN_SETSIGMASK, (x) => posix_spawnattr_setsigmask(x, sigBit(SIGUSR1)));
  out.push(yield* spawnAndWait(t, yield* posix_spawn(t, '/bin/report', null, mask, 'mask')));
  out.push(yield* spawnAndWait(t, yield* posix_spawn(t, '/bin/report', null, null, 'mask')));
  const group = attrWith(POSIX_SPAWN_SETPGROUP, (x) => posix_spawnattr_setpgroup(x, 0));
  out.push(yield* spawnAndWait(t, yield* posix_spawn(t, '/bin/report', null, group, 'own-group')));
  const noGroup = attrWith(POSIX_SPAWN_SETPGROUP, (x) => posix_spawnattr_setpgroup(x, 4242));
  out.push(yield* spawnAndWait(t, yield* posix_spawn(t, '/bin/report', null, noGroup, 'own-group')));
  out.push(yield* spawnAndWait(t, yield* posix_spawn(t, '/bin/report', null, null, 'usr2')));
  const sigdef = attrWith(POSIX_SPAWN_SETSIGDEF, (x) => posix_spawnattr_setsigdefault(x, sigBit(SIGUSR2)));
  out.push(yield* spawnAndWait(t, yield* posix_spawn(t, '/bin/report', null, sigdef, 'usr2')));
  const fifo = attrWith(POSIX_SPAWN_SETSCHEDULER, (x) => {
    posix_spawnattr_setschedpolicy(x, SCHED_FIFO);
    posix_spawnattr_setschedparam(x, { sched_priority: 10 });
  });
  out.push(yield* spawnAndWait(t, yield* posix_spawn(t, '/bin/report', null, fifo, 'policy')));
  const badPrio = attrWith(POSIX_SPAWN_SETSCHEDULER, (x) => {
    posix_spawnattr_setschedpolicy(x, SCHED_FIFO);
    posix_spawnattr_setschedparam(x, { sched_priority: 0 });
  });
  out.push(yield* spawnAndWait(t, yield* posix_spawn(t, '/bin/report', null, badPrio, 'policy')));
}

/** What each path gives: the vfork-style path returns errors; the fork path's child exits 127. */
function expected(vfork: boolean): unknown[] {
  const fail = (errno: number) => (vfork ? [errno, -1] : [0, 127]);
  return [
    EINVAL, // an unknown flag (posix_spawnattr_setflags)
    EINVAL, // SCHED_BATCH is no posix_spawn policy (posix_spawnattr_setschedpolicy)
    [0, 7],
    [0, 5], // found in PATH's /bin
    fail(ENOENT),
    fail(ENOENT),
    [0, 1], // SETSIGMASK: the program starts with SIGUSR1 blocked
    [0, 0], // without it, with the parent's mask (none blocked)
    [0, 1], // SETPGROUP 0: a group of its own
    fail(EPERM), // a group that does not exist
    [0, 2], // SIG_IGN survives exec
    [0, 1], // SETSIGDEF puts it back to SIG_DFL
    [0, SCHED_FIFO],
    fail(EINVAL), // FIFO with priority 0
  ];
}

for (const variant of VARIANTS) {
  for (const kernel of KERNELS) {
    const vfork = variant === 'improved' && kernel.proc !== undefined;
    test(`${variant} on the ${kernel.name}: posix_spawn ${vfork ? 'returns the child errors' : 'forks, and a failing child exits 127'}`, () => {
      const out: unknown[] = [];
      runLibc(variant, (t) => scenario(t, out), {
        executables: { '/bin/report': REPORT },
        ...(kernel.proc === undefined ? {} : { proc: kernel.proc }),
      });
      assert.deepEqual(out, expected(vfork));
    });
  }
}

/** Exit status: bit i set when descriptor `fds[i]` is open in the spawned program. */
const FDCHECK: ProgramImage = {
  name: 'fdcheck',
  main: function* (t: Guest, raw: unknown): Program<number> {
    let bits = 0;
    const fds = raw as number[];
    for (let i = 0; i < fds.length; i++) if ((yield* fcntl(t, fds[i]!, F_GETFD)) >= 0) bits |= 1 << i;
    return bits;
  },
};

function* fileActionsScenario(t: Guest, out: unknown[]) {
  out.push(yield* open(t, '/a', O_CREAT | O_WRONLY, 0o666)); // 0
  out.push(yield* open(t, '/b', O_CREAT | O_WRONLY | O_CLOEXEC, 0o666)); // 1, closed by the exec
  const fa = new posix_spawn_file_actions_t();
  posix_spawn_file_actions_init(fa);
  out.push(posix_spawn_file_actions_addclose(fa, -1), posix_spawn_file_actions_adddup2(fa, 1, 5000));
  posix_spawn_file_actions_addopen(fa, 5, '/spawned', O_CREAT | O_WRONLY, 0o644);
  posix_spawn_file_actions_adddup2(fa, 5, 7);
  posix_spawn_file_actions_addclose(fa, 0);
  posix_spawn_file_actions_addclose(fa, 9); // not open: no error
  out.push(yield* spawnAndWait(t, yield* posix_spawn(t, '/bin/fdcheck', fa, null, [0, 1, 5, 7, 9])));
  // The parent's table is its own: 0 still open, 5 never was.
  out.push((yield* fcntl(t, 0, F_GETFD)) >= 0, (yield* fcntl(t, 5, F_GETFD)) >= 0);
  const keep = new posix_spawn_file_actions_t();
  posix_spawn_file_actions_init(keep);
  posix_spawn_file_actions_adddup2(keep, 1, 1); // the same descriptor: FD_CLOEXEC cleared, it survives
  out.push(yield* spawnAndWait(t, yield* posix_spawn(t, '/bin/fdcheck', keep, null, [1])));
  const bad = new posix_spawn_file_actions_t();
  posix_spawn_file_actions_init(bad);
  posix_spawn_file_actions_addopen(bad, 3, '/missing/x', O_RDONLY, 0);
  out.push(yield* spawnAndWait(t, yield* posix_spawn(t, '/bin/fdcheck', bad, null, [3])));
  out.push(yield* close(t, 0), yield* close(t, 1));
}

for (const variant of VARIANTS) {
  for (const kernel of KERNELS) {
    const vfork = variant === 'improved' && kernel.proc !== undefined;
    test(`${variant} on the ${kernel.name}: file actions run in order in the child only`, () => {
      const out: unknown[] = [];
      runLibc(variant, (t) => fileActionsScenario(t, out), {
        executables: { '/bin/fdcheck': FDCHECK },
        ...(kernel.proc === undefined ? {} : { proc: kernel.proc }),
      });
      assert.deepEqual(out, [
        0,
        1,
        EBADF,
        EBADF,
        [0, 0b01100], // 0 closed, 1 closed on exec, 5 opened, 7 its dup, 9 never open
        true,
        false,
        [0, 1],
        vfork ? [ENOENT, -1] : [0, 127],
        0,
        0,
      ]);
    });
  }
}
