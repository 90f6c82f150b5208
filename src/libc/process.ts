/** Process creation and reaping: spawn (fork-then-exec of a guest program) and waitpid. */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import {
  PR_GET_CHILD_SUBREAPER,
  SYS_EXECVE,
  SYS_GETPGID,
  SYS_GETPPID,
  SYS_PRCTL,
  SYS_SETPGID,
  SYS_SPAWN,
  SYS_WAIT4,
} from '../abi/syscalls.ts';
import { threadScratch } from './scratch.ts';
import { syscall } from './sys.ts';

/** Starts `image.main(arg)` in a new process; returns its pid or -errno. */
export function spawn(t: Guest, image: ProgramImage, arg: unknown): Program<number> {
  return syscall(t, SYS_SPAWN, image, arg);
}

/**
 * Waits for a child (-1: any); returns [pid, status] or [-errno, 0]. With `options` WNOHANG:
 * [0, 0] when children exist but none has exited (POSIX waitpid).
 */
export function* waitpid(t: Guest, pid: number, options = 0): Program<[number, number]> {
  const statusAddr = yield* threadScratch(t);
  const result = yield* syscall(t, SYS_WAIT4, pid, statusAddr, options);
  if (result <= 0) return [result, 0];
  return [result, t.load32(statusAddr)];
}

/** setpgid(pid, pgid): 0 or -errno (ESRCH, EPERM, EINVAL). */
export function setpgid(t: Guest, pid: number, pgid: number): Program<number> {
  return syscall(t, SYS_SETPGID, pid, pgid);
}

/** getpgid(pid): the process group, or -errno (ESRCH). */
export function getpgid(t: Guest, pid: number): Program<number> {
  return syscall(t, SYS_GETPGID, pid);
}

/** execve(path, arg): replaces this process's program (kernel/exec.ts); returns only on failure, -errno. */
export function execve(t: Guest, path: string, arg: unknown): Program<number> {
  return syscall(t, SYS_EXECVE, path, arg);
}

/** getppid(): the parent's pid; after the parent's exit, the pid of the process that adopted this one. */
export function getppid(t: Guest): Program<number> {
  return syscall(t, SYS_GETPPID);
}

/**
 * prctl(option, arg2): 0 or -errno (EINVAL for an option other than the child-subreaper ones,
 * ENOSYS on the Redox kernel). PR_GET_CHILD_SUBREAPER goes through `prctl_get_child_subreaper`.
 */
export function prctl(t: Guest, option: number, arg2: number): Program<number> {
  return syscall(t, SYS_PRCTL, option, arg2);
}

/** prctl(PR_GET_CHILD_SUBREAPER): [0, 0 or 1], or [-errno, 0]. */
export function* prctl_get_child_subreaper(t: Guest): Program<[number, number]> {
  const word = yield* threadScratch(t);
  const r = yield* syscall(t, SYS_PRCTL, PR_GET_CHILD_SUBREAPER, word);
  return r < 0 ? [r, 0] : [0, t.load32(word)];
}
