/**
 * posix_spawn and posix_spawnp with their attributes (issue 24, SCHED-12).
 *
 * improved, on a kernel that offers it (`[kernel] spawn = "vfork"`): glibc's Linux path
 * (sysdeps/unix/sysv/linux/spawni.c, __spawnix), a CLONE_VM | CLONE_VFORK child that applies
 * the attributes and execs without copying the parent's memory; the child's failure (an
 * attribute it could not apply, a program not found) is posix_spawn's return value and leaves
 * no child behind. Here that is one system call, proc:spawn-vfork (kernel/spawn-vfork.ts).
 *
 * Otherwise, and always in relibc: the baseline's fork-equivalent then exec. The child, a full
 * copy of the parent, applies the attributes through system calls in glibc's order and execs;
 * when a step fails it exits with status 127, and posix_spawn has already returned 0 with its
 * pid (as glibc's before 2.24, whose fork-based spawn could not report an exec error; POSIX
 * allows either). relibc does ship posix_spawn and posix_spawnp (src/header/spawn/mod.rs:
 * posix_spawnp searches PATH itself and returns ENOENT before creating anything; the rest is
 * its platform's Sys::spawn, whose Redox side was not read): here relibc gets the fork path.
 * relibc's spawn_attr.rs numbers the flags 1..6 rather than as bits (SETSIGDEF = 3 =
 * RESETIDS | SETPGROUP); the model uses glibc's bit values for both libcs.
 *
 * posix_spawnp searches `PATH` (abi/spawn.ts PATH_DEFAULT when unset) for a name without a
 * slash, as execvp: each directory in order, the first program found runs.
 *
 * File actions (posix_spawn_file_actions_addopen / addclose / adddup2) run in the child in the
 * order added, before SETSIGMASK and the exec, as glibc's __spawni_child (kernel/spawn-actions.ts
 * says how each is applied); the add calls refuse a descriptor out of range with EBADF
 * (posix/spawn_faction_add*.c, __spawn_valid_fd). Signal sets are 32-bit masks (bit sig-1).
 */
import type { Program } from '../abi/effects.ts';
import { EINVAL } from '../abi/errno.ts';
import type { Guest } from '../abi/guest.ts';
import { SCHED_FIFO, SCHED_OTHER, SCHED_RR } from '../abi/sched.ts';
import { SIG_DFL, SIG_SETMASK } from '../abi/signal.ts';
import {
  PATH_DEFAULT,
  POSIX_SPAWN_FLAGS_ALL,
  POSIX_SPAWN_RESETIDS,
  POSIX_SPAWN_SETPGROUP,
  POSIX_SPAWN_SETSCHEDPARAM,
  POSIX_SPAWN_SETSCHEDULER,
  POSIX_SPAWN_SETSIGDEF,
  POSIX_SPAWN_SETSIGMASK,
  type SpawnAttrs,
} from '../abi/spawn.ts';
import { SYS_EXECVE, SYS_PROC_SPAWN_VFORK, SYS_SETPGID } from '../abi/syscalls.ts';
import { EBADF } from '../abi/errno.ts';
import { F_GETFD, F_SETFD, FD_CLOEXEC, FD_LIMIT } from '../abi/fd.ts';
import type { SpawnFileAction } from '../abi/spawn.ts';
import { close, dup2, fcntl, open } from './io.ts';
import { errno } from './errno.ts';
import { fork } from './fork.ts';
import { procFeature } from './proc-features.ts';
import { getuid, seteuid } from './proc-handles.ts';
import { sched_setparam, sched_setscheduler } from './sched.ts';
import { libcOf } from './select.ts';
import { pthread_sigmask, sigaction } from './signal.ts';
import { syscall } from './sys.ts';

export {
  POSIX_SPAWN_RESETIDS,
  POSIX_SPAWN_SETPGROUP,
  POSIX_SPAWN_SETSCHEDPARAM,
  POSIX_SPAWN_SETSCHEDULER,
  POSIX_SPAWN_SETSIGDEF,
  POSIX_SPAWN_SETSIGMASK,
} from '../abi/spawn.ts';

/** The child's exit status when its exec (or an attribute) failed after a fork (glibc SPAWN_ERROR). */
export const SPAWN_ERROR_STATUS = 127;

export class posix_spawnattr_t implements SpawnAttrs {
  initialized = false;
  flags = 0;
  pgroup = 0;
  sigmask = 0;
  sigdefault = 0;
  policy = SCHED_OTHER;
  priority = 0;
}

export function posix_spawnattr_init(attr: posix_spawnattr_t): number {
  Object.assign(attr, new posix_spawnattr_t());
  attr.initialized = true;
  return 0;
}

export function posix_spawnattr_destroy(attr: posix_spawnattr_t): number {
  attr.initialized = false;
  return 0;
}

/** EINVAL for a flag glibc does not know (posix/spawnattr_setflags.c). */
export function posix_spawnattr_setflags(attr: posix_spawnattr_t, flags: number): number {
  if (!Number.isInteger(flags) || (flags & ~POSIX_SPAWN_FLAGS_ALL) !== 0) return EINVAL;
  attr.flags = flags;
  return 0;
}

export function posix_spawnattr_getflags(attr: posix_spawnattr_t): [number, number] {
  return [0, attr.flags];
}

export function posix_spawnattr_setpgroup(attr: posix_spawnattr_t, pgroup: number): number {
  attr.pgroup = pgroup;
  return 0;
}

export function posix_spawnattr_setsigmask(attr: posix_spawnattr_t, set: number): number {
  attr.sigmask = set >>> 0;
  return 0;
}

export function posix_spawnattr_setsigdefault(attr: posix_spawnattr_t, set: number): number {
  attr.sigdefault = set >>> 0;
  return 0;
}

/** EINVAL unless SCHED_OTHER, SCHED_FIFO or SCHED_RR (posix/spawnattr_setschedpolicy.c). */
export function posix_spawnattr_setschedpolicy(attr: posix_spawnattr_t, policy: number): number {
  if (policy !== SCHED_OTHER && policy !== SCHED_FIFO && policy !== SCHED_RR) return EINVAL;
  attr.policy = policy;
  return 0;
}

export function posix_spawnattr_setschedparam(
  attr: posix_spawnattr_t,
  param: { sched_priority: number },
): number {
  attr.priority = param.sched_priority;
  return 0;
}

export class posix_spawn_file_actions_t {
  initialized = false;
  actions: SpawnFileAction[] = [];
}

export function posix_spawn_file_actions_init(fa: posix_spawn_file_actions_t): number {
  fa.initialized = true;
  fa.actions = [];
  return 0;
}

export function posix_spawn_file_actions_destroy(fa: posix_spawn_file_actions_t): number {
  fa.initialized = false;
  fa.actions = [];
  return 0;
}

const validFd = (fd: number) => Number.isInteger(fd) && fd >= 0 && fd < FD_LIMIT;

export function posix_spawn_file_actions_addopen(
  fa: posix_spawn_file_actions_t,
  fd: number,
  path: string,
  oflag: number,
  mode: number,
): number {
  if (!validFd(fd)) return EBADF;
  fa.actions.push({ kind: 'open', fd, path, oflag, mode });
  return 0;
}

export function posix_spawn_file_actions_addclose(fa: posix_spawn_file_actions_t, fd: number): number {
  if (!validFd(fd)) return EBADF;
  fa.actions.push({ kind: 'close', fd });
  return 0;
}

export function posix_spawn_file_actions_adddup2(
  fa: posix_spawn_file_actions_t,
  fd: number,
  newFd: number,
): number {
  if (!validFd(fd) || !validFd(newFd)) return EBADF;
  fa.actions.push({ kind: 'dup2', fd, newFd });
  return 0;
}

/** posix_spawn(path, file_actions, attr, arg): [0, pid] or [errno, 0]. */
export function posix_spawn(
  t: Guest,
  path: string,
  fileActions: posix_spawn_file_actions_t | null,
  attr: posix_spawnattr_t | null,
  arg: unknown,
): Program<[number, number]> {
  return spawnAny(t, [path], fileActions, attr, arg);
}

/** posix_spawnp: as posix_spawn, with `file` searched for in PATH when it has no slash. */
export function posix_spawnp(
  t: Guest,
  file: string,
  fileActions: posix_spawn_file_actions_t | null,
  attr: posix_spawnattr_t | null,
  arg: unknown,
): Program<[number, number]> {
  if (file.includes('/')) return spawnAny(t, [file], fileActions, attr, arg);
  const dirs = (t.env.PATH ?? PATH_DEFAULT).split(':').map((d) => (d === '' ? '.' : d));
  return spawnAny(t, file === '' ? [''] : dirs.map((d) => `${d}/${file}`), fileActions, attr, arg);
}

function* spawnAny(
  t: Guest,
  candidates: string[],
  fileActions: posix_spawn_file_actions_t | null,
  attr: posix_spawnattr_t | null,
  arg: unknown,
): Program<[number, number]> {
  if (attr !== null && !attr.initialized) return [EINVAL, 0];
  if (fileActions !== null && !fileActions.initialized) return [EINVAL, 0];
  const attrs: SpawnAttrs = attr ?? new posix_spawnattr_t();
  const actions = fileActions === null ? [] : fileActions.actions.map((a) => ({ ...a }));
  if (libcOf(t).thread.spawnVfork && procFeature(t, 'vfork')) {
    const r = yield* syscall(t, SYS_PROC_SPAWN_VFORK, candidates, arg, { ...attrs }, actions);
    return r < 0 ? [-r, 0] : [0, r];
  }
  const pid = yield* fork(t, (c) => spawnChild(c, candidates, attrs, actions, arg));
  return pid < 0 ? [errno(t), 0] : [0, pid];
}

/** The fork child's part: the attributes in glibc's order, then each candidate's exec. */
function* spawnChild(
  c: Guest,
  candidates: string[],
  attrs: SpawnAttrs,
  actions: readonly SpawnFileAction[],
  arg: unknown,
): Program<number> {
  const f = attrs.flags;
  if ((f & POSIX_SPAWN_SETSIGDEF) !== 0) {
    for (let sig = 1; sig <= 32; sig++) {
      if (((attrs.sigdefault >>> (sig - 1)) & 1) === 0) continue;
      yield* sigaction(c, sig, { handler: SIG_DFL, mask: 0, flags: 0 });
    }
  }
  const param = { sched_priority: attrs.priority };
  if ((f & POSIX_SPAWN_SETSCHEDULER) !== 0) {
    if ((yield* sched_setscheduler(c, 0, attrs.policy, param)) < 0) return SPAWN_ERROR_STATUS;
  } else if ((f & POSIX_SPAWN_SETSCHEDPARAM) !== 0) {
    if ((yield* sched_setparam(c, 0, param)) < 0) return SPAWN_ERROR_STATUS;
  }
  if ((f & POSIX_SPAWN_SETPGROUP) !== 0 && (yield* syscall(c, SYS_SETPGID, 0, attrs.pgroup)) < 0) {
    return SPAWN_ERROR_STATUS;
  }
  // glibc's local_seteuid(__getuid()) (sysdeps/unix/sysv/linux/spawni.c): the effective id back to the real one.
  if ((f & POSIX_SPAWN_RESETIDS) !== 0 && (yield* seteuid(c, yield* getuid(c))) !== 0)
    return SPAWN_ERROR_STATUS;
  for (const action of actions) if (!(yield* applyAction(c, action))) return SPAWN_ERROR_STATUS;
  if ((f & POSIX_SPAWN_SETSIGMASK) !== 0) yield* pthread_sigmask(c, SIG_SETMASK, attrs.sigmask);
  for (const path of candidates) yield* syscall(c, SYS_EXECVE, path, arg); // returns only on failure
  return SPAWN_ERROR_STATUS;
}

/** One file action in the fork child, as kernel/spawn-actions.ts applies it; false when it failed. */
function* applyAction(c: Guest, action: SpawnFileAction): Program<boolean> {
  switch (action.kind) {
    case 'open': {
      const got = yield* open(c, action.path, action.oflag, action.mode);
      if (got < 0) return false;
      if (got === action.fd) return true;
      const moved = yield* dup2(c, got, action.fd);
      yield* close(c, got);
      return moved >= 0;
    }
    case 'close':
      return (yield* close(c, action.fd)) >= 0 || errno(c) === EBADF;
    case 'dup2': {
      if (action.fd !== action.newFd) return (yield* dup2(c, action.fd, action.newFd)) >= 0;
      const flags = yield* fcntl(c, action.fd, F_GETFD);
      return flags >= 0 && (yield* fcntl(c, action.fd, F_SETFD, flags & ~FD_CLOEXEC)) >= 0;
    }
  }
}
