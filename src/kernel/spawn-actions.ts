/**
 * posix_spawn's file actions in the vfork-style child (issue 24), as glibc's __spawni_child
 * applies them (sysdeps/unix/sysv/linux/spawni.c), in order, through the descriptor calls
 * (kernel/fd/syscalls.ts) run as the child's thread:
 * - open: open(path, oflag, mode); when the descriptor it got is not `fd`, dup2 it there and
 *   close the one it got;
 * - close: close(fd); EBADF for a descriptor that is not open is not an error (glibc signals
 *   errors only for a descriptor out of range, which addclose already refused);
 * - dup2: dup2(fd, newfd); when they are the same descriptor, its FD_CLOEXEC is cleared instead
 *   (glibc 2.29 and POSIX issue 8), so it survives the exec.
 * Returns 0, or the -errno of the first action that failed.
 */
import { EBADF } from '../abi/errno.ts';
import { F_GETFD, F_SETFD, FD_CLOEXEC } from '../abi/fd.ts';
import type { SpawnFileAction } from '../abi/spawn.ts';
import { SYS_CLOSE, SYS_DUP2, SYS_FCNTL, SYS_OPEN } from '../abi/syscalls.ts';
import type { Cpu } from '../hw/cpu.ts';
import type { KernelGen } from '../hw/effects.ts';
import { FD_SYSCALLS } from './fd/syscalls.ts';
import type { Kernel } from './kernel.ts';
import type { Thread } from './thread.ts';

function* call(k: Kernel, cpu: Cpu, t: Thread, nr: number, ...args: unknown[]): KernelGen<number> {
  const handler = FD_SYSCALLS[nr];
  if (handler === undefined) throw new Error(`spawn: no descriptor call ${nr}`);
  return (yield* handler(k, cpu, t, args)) as number;
}

function* applyOne(k: Kernel, cpu: Cpu, child: Thread, action: SpawnFileAction): KernelGen<number> {
  switch (action.kind) {
    case 'open': {
      const got = yield* call(k, cpu, child, SYS_OPEN, action.path, action.oflag, action.mode);
      if (got < 0 || got === action.fd) return Math.min(got, 0);
      const moved = yield* call(k, cpu, child, SYS_DUP2, got, action.fd);
      yield* call(k, cpu, child, SYS_CLOSE, got);
      return Math.min(moved, 0);
    }
    case 'close': {
      const r = yield* call(k, cpu, child, SYS_CLOSE, action.fd);
      return r === -EBADF ? 0 : Math.min(r, 0);
    }
    case 'dup2': {
      if (action.fd !== action.newFd)
        return Math.min(yield* call(k, cpu, child, SYS_DUP2, action.fd, action.newFd), 0);
      const flags = yield* call(k, cpu, child, SYS_FCNTL, action.fd, F_GETFD, 0);
      if (flags < 0) return flags;
      return Math.min(yield* call(k, cpu, child, SYS_FCNTL, action.fd, F_SETFD, flags & ~FD_CLOEXEC), 0);
    }
  }
}

export function* applyFileActions(
  k: Kernel,
  cpu: Cpu,
  child: Thread,
  actions: readonly SpawnFileAction[],
): KernelGen<number> {
  for (const action of actions) {
    const r = yield* applyOne(k, cpu, child, action);
    if (r < 0) return r;
  }
  return 0;
}

/** Whether `value` is a list of file actions the libc could have built. */
export function validFileActions(value: unknown): value is SpawnFileAction[] {
  if (!Array.isArray(value)) return false;
  return value.every((a) => {
    if (a === null || typeof a !== 'object' || !Number.isInteger(a.fd)) return false;
    if (a.kind === 'close') return true;
    if (a.kind === 'dup2') return Number.isInteger(a.newFd);
    return (
      a.kind === 'open' && typeof a.path === 'string' && Number.isInteger(a.oflag) && Number.isInteger(a.mode)
    );
  });
}
