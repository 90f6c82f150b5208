/**
 * The descriptor calls' code, one object both libc variants use (relibc/index.ts and
 * improved/index.ts put it under `io`): relibc's and glibc's wrappers are the same thin
 * system calls here, and where Redox and Linux differ (an unknown scheme's errno, pipe
 * atomicity, SIGPIPE) the difference is the kernel's (kernel/fd/mode.ts). Each member returns
 * the kernel's answer (a result or -errno); io.ts sets errno from it.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import {
  SYS_CLOSE,
  SYS_DUP,
  SYS_DUP2,
  SYS_FCNTL,
  SYS_FSTAT,
  SYS_GETDENTS64,
  SYS_LSEEK,
  SYS_MKDIR,
  SYS_OPENAT,
  SYS_POLL,
  SYS_PIPE2,
  SYS_READ,
  SYS_RMDIR,
  SYS_UNLINK,
  SYS_WRITE,
} from '../abi/syscalls.ts';
import type { LibcIo } from './libc.ts';
import { syscall } from './sys.ts';

export const IO_CALLS: LibcIo = {
  // glibc's open is openat(AT_FDCWD, ...) (sysdeps/unix/sysv/linux/open64.c); relibc's too.
  openat: (t: Guest, dirfd: number, path: string, flags: number, mode: number): Program<number> =>
    syscall(t, SYS_OPENAT, dirfd, path, flags, mode),
  read: (t, fd, buf, len) => syscall(t, SYS_READ, fd, buf, len),
  write: (t, fd, buf, len) => syscall(t, SYS_WRITE, fd, buf, len),
  close: (t, fd) => syscall(t, SYS_CLOSE, fd),
  dup: (t, fd) => syscall(t, SYS_DUP, fd),
  dup2: (t, oldFd, newFd) => syscall(t, SYS_DUP2, oldFd, newFd),
  // glibc's pipe is pipe2(fds, 0) (sysdeps/unix/sysv/linux/pipe.c).
  pipe2: (t, fdsAddr, flags) => syscall(t, SYS_PIPE2, fdsAddr, flags),
  lseek: (t, fd, offset, whence) => syscall(t, SYS_LSEEK, fd, offset, whence),
  fstat: (t, fd, statAddr) => syscall(t, SYS_FSTAT, fd, statAddr),
  fcntl: (t, fd, cmd, arg) => syscall(t, SYS_FCNTL, fd, cmd, arg),
  mkdir: (t, path, mode) => syscall(t, SYS_MKDIR, path, mode),
  rmdir: (t, path) => syscall(t, SYS_RMDIR, path),
  unlink: (t, path) => syscall(t, SYS_UNLINK, path),
  getdents64: (t, fd, buf, len) => syscall(t, SYS_GETDENTS64, fd, buf, len),
  // relibc builds poll over Redox's event: scheme; here both make the one call (kernel/fd/poll.ts).
  poll: (t, fdsAddr, nfds, timeoutMs) => syscall(t, SYS_POLL, fdsAddr, nfds, timeoutMs),
};
