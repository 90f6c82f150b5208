/**
 * The descriptor system calls (Linux x86-64 numbers, abi/syscalls.ts): open, openat, read,
 * write, close, fstat, lseek, pipe, pipe2, dup, dup2, fcntl, mkdir, rmdir, unlink, getdents64.
 * Each finds the descriptor (EBADF), checks the access mode (EBADF: read on O_WRONLY, write on
 * O_RDONLY, as fs/read_write.c), and hands the call to the open file's scheme. Paths are
 * strings (as the proc and shm calls take them); `name:path` picks a scheme (scheme.ts).
 * A new file's mode is masked with the default umask 022 (no umask call is modelled).
 */
import { EBADF, EFAULT, EINVAL, EMFILE, ENODEV, ENOENT, ENOTDIR, ENOTSUP, ESPIPE } from '../../abi/errno.ts';
import {
  AT_FDCWD,
  F_DUPFD,
  F_DUPFD_CLOEXEC,
  F_GETFD,
  F_GETFL,
  F_SETFD,
  F_SETFL,
  FD_CLOEXEC,
  O_ACCMODE,
  O_APPEND,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDONLY,
  O_WRONLY,
  SETFL_MASK,
} from '../../abi/fd.ts';
import {
  SYS_CLOSE,
  SYS_DUP,
  SYS_DUP2,
  SYS_FCNTL,
  SYS_GETDENTS64,
  SYS_LSEEK,
  SYS_MKDIR,
  SYS_OPEN,
  SYS_OPENAT,
  SYS_READ,
  SYS_RMDIR,
  SYS_UNLINK,
  SYS_WRITE,
} from '../../abi/syscalls.ts';
import { TraceKind } from '../../abi/trace.ts';
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { argNum, type SyscallTable } from '../syscall-types.ts';
import type { Thread } from '../thread.ts';
import './file-scheme.ts';
import './scheme-server.ts';
import { fdMode } from './mode.ts';
import { OpenFile, releaseFile } from './open-file.ts';
import { PIPE_SYSCALLS } from './pipe-syscalls.ts';
import { SOCKET_SYSCALLS } from './socket-syscalls.ts';
import { POLL_SYSCALLS } from './poll.ts';
import { fdsOf } from './process-fds.ts';
import { type KernelScheme, type SchemeFile, schemesOf, splitSchemePath } from './scheme.ts';
import { FSTAT_SYSCALLS } from './stat-syscalls.ts';

const UMASK = 0o022;
/** The flags an open file description keeps (f_flags without the creation flags). */
const KEPT_FLAGS = O_ACCMODE | O_APPEND | O_NONBLOCK;

/** The scheme a path names and the path it serves, or -errno for an unknown scheme. */
function schemeFor(k: Kernel, path: string): [KernelScheme, string] | number {
  const [name, rest] = splitSchemePath(path);
  const scheme = schemesOf(k).get(name);
  if (scheme === undefined) return fdMode(k) === 'redox' ? -ENODEV : -ENOENT;
  return [scheme, rest];
}

/** The directory an *at call's relative path starts from: null for AT_FDCWD or an absolute path. */
function dirOf(t: Thread, dirfd: number, path: string): SchemeFile | null | number {
  if (path.startsWith('/') || dirfd === AT_FDCWD) return null;
  const slot = fdsOf(t.process).get(dirfd);
  return slot === undefined ? -EBADF : slot.file.file;
}

function* sysOpenat(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  dirfd: number,
  path: unknown,
  flags: number,
  mode: number,
): KernelGen<number> {
  if (typeof path !== 'string') return -EFAULT;
  const table = fdsOf(t.process);
  if (table.lowestFree() < 0) return -EMFILE; // get_unused_fd_flags comes before the lookup
  const target = schemeFor(k, path);
  if (typeof target === 'number') return target;
  const [scheme, rest] = target;
  const dir = dirOf(t, dirfd, rest);
  if (typeof dir === 'number') return dir;
  const opened = yield* scheme.open(k, cpu, t, rest, flags, mode & ~UMASK & 0o7777, dir);
  if (typeof opened === 'number') return opened;
  const fd = table.install(new OpenFile(opened, flags & KEPT_FLAGS), (flags & O_CLOEXEC) !== 0);
  k.board.trace.mix(TraceKind.FdOpen, t.process.pid, fd);
  return fd;
}

/** The open file behind `fd` if its access mode allows `write` (or reading), else -EBADF. */
function fileFor(t: Thread, fd: number, write: boolean): OpenFile | number {
  const slot = fdsOf(t.process).get(fd);
  if (slot === undefined) return -EBADF;
  const access = slot.file.flags & O_ACCMODE;
  if (write ? access === O_RDONLY : access === O_WRONLY) return -EBADF;
  return slot.file;
}

function* sysRead(k: Kernel, cpu: Cpu, t: Thread, fd: number, addr: number, len: number): KernelGen<number> {
  const file = fileFor(t, fd, false);
  if (typeof file === 'number') return file;
  if (!(len >= 0)) return -EINVAL;
  return yield* file.file.read(k, cpu, t, file, addr, len);
}

function* sysWrite(k: Kernel, cpu: Cpu, t: Thread, fd: number, addr: number, len: number): KernelGen<number> {
  const file = fileFor(t, fd, true);
  if (typeof file === 'number') return file;
  if (!(len >= 0)) return -EINVAL;
  return yield* file.file.write(k, cpu, t, file, addr, len);
}

function* sysClose(k: Kernel, cpu: Cpu, t: Thread, fd: number): KernelGen<number> {
  const file = fdsOf(t.process).remove(fd);
  if (file === undefined) return -EBADF;
  yield* releaseFile(k, cpu, file);
  return 0;
}

function* sysLseek(t: Thread, fd: number, offset: number, whence: number): KernelGen<number> {
  const slot = fdsOf(t.process).get(fd);
  if (slot === undefined) return -EBADF;
  const file = slot.file;
  return file.file.seek === undefined ? -ESPIPE : file.file.seek(file, offset, whence);
}

/** dup and F_DUPFD: the lowest free number at or above `minFd`, sharing the description. */
function dupFrom(k: Kernel, t: Thread, fd: number, minFd: number, cloexec: boolean): number {
  const table = fdsOf(t.process);
  const slot = table.get(fd);
  if (slot === undefined) return -EBADF;
  const to = table.install(slot.file, cloexec, minFd);
  if (to < 0) return -EMFILE;
  slot.file.refs++;
  k.board.trace.mix(TraceKind.FdOpen, t.process.pid, to);
  return to;
}

/** dup2: `newFd` becomes a copy of `oldFd` (closing what it was), FD_CLOEXEC clear. */
function* sysDup2(k: Kernel, cpu: Cpu, t: Thread, oldFd: number, newFd: number): KernelGen<number> {
  const table = fdsOf(t.process);
  const slot = table.get(oldFd);
  if (slot === undefined) return -EBADF;
  if (!Number.isInteger(newFd) || newFd < 0 || newFd >= table.limit) return -EBADF;
  if (oldFd === newFd) return newFd;
  slot.file.refs++;
  const replaced = table.installAt(newFd, slot.file, false);
  if (replaced !== undefined) yield* releaseFile(k, cpu, replaced);
  return newFd;
}

function* sysFcntl(k: Kernel, t: Thread, fd: number, cmd: number, arg: number): KernelGen<number> {
  const table = fdsOf(t.process);
  const slot = table.get(fd);
  if (slot === undefined) return -EBADF;
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
      if (!Number.isInteger(arg) || arg < 0 || arg >= table.limit) return -EINVAL;
      return dupFrom(k, t, fd, arg, cmd === F_DUPFD_CLOEXEC);
    case F_GETFD:
      return slot.cloexec ? FD_CLOEXEC : 0;
    case F_SETFD:
      slot.cloexec = (arg & FD_CLOEXEC) !== 0;
      return 0;
    case F_GETFL:
      return slot.file.flags;
    case F_SETFL:
      slot.file.flags = (slot.file.flags & ~SETFL_MASK) | (arg & SETFL_MASK);
      return 0;
    default:
      return -EINVAL;
  }
}

type NameOp = 'mkdir' | 'rmdir' | 'unlink';

/** mkdir, rmdir, unlink: the path's scheme changes its namespace (ENOTSUP if it has none). */
function* sysNameOp(k: Kernel, t: Thread, op: NameOp, path: unknown, mode: number): KernelGen<number> {
  if (typeof path !== 'string') return -EFAULT;
  const target = schemeFor(k, path);
  if (typeof target === 'number') return target;
  const [scheme, rest] = target;
  if (op === 'mkdir')
    return scheme.mkdir === undefined ? -ENOTSUP : yield* scheme.mkdir(k, t, rest, mode & ~UMASK, null);
  if (op === 'rmdir') return scheme.rmdir === undefined ? -ENOTSUP : yield* scheme.rmdir(k, t, rest, null);
  return scheme.unlink === undefined ? -ENOTSUP : yield* scheme.unlink(k, t, rest, null);
}

function* sysGetdents64(k: Kernel, t: Thread, fd: number, addr: number, len: number): KernelGen<number> {
  const slot = fdsOf(t.process).get(fd);
  if (slot === undefined) return -EBADF;
  const file = slot.file;
  if (file.file.getdents === undefined) return -ENOTDIR;
  return yield* file.file.getdents(k, t, file, addr, len);
}

const num = argNum;

export const FD_SYSCALLS: SyscallTable = {
  [SYS_OPEN]: (k, cpu, t, a) => sysOpenat(k, cpu, t, AT_FDCWD, a[0], num(a[1]), num(a[2])),
  [SYS_OPENAT]: (k, cpu, t, a) => sysOpenat(k, cpu, t, num(a[0], -1), a[1], num(a[2]), num(a[3])),
  [SYS_READ]: (k, cpu, t, a) => sysRead(k, cpu, t, num(a[0], -1), num(a[1]), num(a[2], -1)),
  [SYS_WRITE]: (k, cpu, t, a) => sysWrite(k, cpu, t, num(a[0], -1), num(a[1]), num(a[2], -1)),
  [SYS_CLOSE]: (k, cpu, t, a) => sysClose(k, cpu, t, num(a[0], -1)),
  [SYS_LSEEK]: (_k, _cpu, t, a) => sysLseek(t, num(a[0], -1), num(a[1]), num(a[2], -1)),
  [SYS_DUP]: function* (k, _cpu, t, a) {
    return dupFrom(k, t, num(a[0], -1), 0, false);
  },
  [SYS_DUP2]: (k, cpu, t, a) => sysDup2(k, cpu, t, num(a[0], -1), num(a[1], -1)),
  [SYS_FCNTL]: (k, _cpu, t, a) => sysFcntl(k, t, num(a[0], -1), num(a[1], -1), num(a[2])),
  [SYS_MKDIR]: (k, _cpu, t, a) => sysNameOp(k, t, 'mkdir', a[0], num(a[1], 0o777)),
  [SYS_RMDIR]: (k, _cpu, t, a) => sysNameOp(k, t, 'rmdir', a[0], 0),
  [SYS_UNLINK]: (k, _cpu, t, a) => sysNameOp(k, t, 'unlink', a[0], 0),
  [SYS_GETDENTS64]: (k, _cpu, t, a) => sysGetdents64(k, t, num(a[0], -1), num(a[1]), num(a[2], -1)),
  ...PIPE_SYSCALLS,
  ...SOCKET_SYSCALLS,
  ...FSTAT_SYSCALLS,
  ...POLL_SYSCALLS,
};
