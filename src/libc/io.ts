/**
 * POSIX descriptor calls: open, openat, read, write, close, dup, dup2, pipe, pipe2, lseek,
 * fstat, fcntl, mkdir, rmdir, unlink, getdents64 and a readdir over it. As glibc's wrappers
 * (sysdeps/unix/sysv/linux/sysdep.h INLINE_SYSCALL): a negative kernel answer becomes -1 with
 * errno set to it; anything else is returned unchanged. The code is the variant's `io` group
 * (io-calls.ts, the same in both). Buffers are addresses in this process's memory.
 */
import type { Program } from '../abi/effects.ts';
import {
  AT_FDCWD,
  DIRENT_INO,
  DIRENT_NAME,
  DIRENT_RECLEN,
  DIRENT_TYPE,
  POLLFD_BYTES,
  POLLFD_EVENTS,
  POLLFD_FD,
} from '../abi/fd.ts';
import type { Guest } from '../abi/guest.ts';
import { setErrno } from './errno.ts';
import { getBytes } from './io-bytes.ts';
import { libcOf } from './select.ts';

function* checked(t: Guest, call: Program<number>): Program<number> {
  const r = yield* call;
  if (r >= 0) return r;
  setErrno(t, -r);
  return -1;
}

const io = (t: Guest) => libcOf(t).io;

export function open(t: Guest, path: string, flags: number, mode = 0): Program<number> {
  return checked(t, io(t).openat(t, AT_FDCWD, path, flags, mode));
}
export function openat(t: Guest, dirfd: number, path: string, flags: number, mode = 0): Program<number> {
  return checked(t, io(t).openat(t, dirfd, path, flags, mode));
}
export function read(t: Guest, fd: number, buf: number, len: number): Program<number> {
  return checked(t, io(t).read(t, fd, buf, len));
}
export function write(t: Guest, fd: number, buf: number, len: number): Program<number> {
  return checked(t, io(t).write(t, fd, buf, len));
}
export function close(t: Guest, fd: number): Program<number> {
  return checked(t, io(t).close(t, fd));
}
export function dup(t: Guest, fd: number): Program<number> {
  return checked(t, io(t).dup(t, fd));
}
export function dup2(t: Guest, oldFd: number, newFd: number): Program<number> {
  return checked(t, io(t).dup2(t, oldFd, newFd));
}
/** pipe(fds): fds[0] the read end, fds[1] the write end, as two 32-bit ints at `fdsAddr`. */
export function pipe(t: Guest, fdsAddr: number): Program<number> {
  return checked(t, io(t).pipe2(t, fdsAddr, 0));
}
export function pipe2(t: Guest, fdsAddr: number, flags: number): Program<number> {
  return checked(t, io(t).pipe2(t, fdsAddr, flags));
}
export function lseek(t: Guest, fd: number, offset: number, whence: number): Program<number> {
  return checked(t, io(t).lseek(t, fd, offset, whence));
}
/** fstat(fd, statAddr): a 144-byte `struct stat` at `statAddr` (abi/fd.ts offsets). */
export function fstat(t: Guest, fd: number, statAddr: number): Program<number> {
  return checked(t, io(t).fstat(t, fd, statAddr));
}
export function fcntl(t: Guest, fd: number, cmd: number, arg = 0): Program<number> {
  return checked(t, io(t).fcntl(t, fd, cmd, arg));
}
export function mkdir(t: Guest, path: string, mode = 0o777): Program<number> {
  return checked(t, io(t).mkdir(t, path, mode));
}
export function rmdir(t: Guest, path: string): Program<number> {
  return checked(t, io(t).rmdir(t, path));
}
export function unlink(t: Guest, path: string): Program<number> {
  return checked(t, io(t).unlink(t, path));
}
export function getdents64(t: Guest, fd: number, buf: number, len: number): Program<number> {
  return checked(t, io(t).getdents64(t, fd, buf, len));
}

/** poll(fds, nfds, timeoutMs): `struct pollfd` entries at `fdsAddr` (abi/fd.ts POLLFD_*). */
export function poll(t: Guest, fdsAddr: number, nfds: number, timeoutMs: number): Program<number> {
  return checked(t, io(t).poll(t, fdsAddr, nfds, timeoutMs));
}

/**
 * poll over `entries` through the buffer at `buf` (8 bytes an entry): each entry's revents,
 * or null with errno set. A timeout gives all zeros.
 */
export function* pollEntries(
  t: Guest,
  buf: number,
  entries: readonly { fd: number; events: number }[],
  timeoutMs: number,
): Program<number[] | null> {
  entries.forEach((e, i) => {
    t.store32(buf + i * POLLFD_BYTES + POLLFD_FD, e.fd >>> 0);
    t.store32(buf + i * POLLFD_BYTES + POLLFD_EVENTS, e.events & 0xffff);
  });
  const n = yield* poll(t, buf, entries.length, timeoutMs);
  if (n < 0) return null;
  return entries.map((_, i) => t.load32(buf + i * POLLFD_BYTES + POLLFD_EVENTS) >>> 16);
}

export interface DirEntry {
  ino: number;
  type: number;
  name: string;
}

/**
 * Every entry of the open directory `fd` (`.` and `..` included), read with getdents64 through
 * the `len`-byte buffer at `buf`, as readdir does; null with errno set on an error.
 */
export function* readdirAll(t: Guest, fd: number, buf: number, len: number): Program<DirEntry[] | null> {
  const out: DirEntry[] = [];
  for (;;) {
    const n = yield* getdents64(t, fd, buf, len);
    if (n < 0) return null;
    if (n === 0) return out;
    const bytes = getBytes(t, buf, n);
    const view = new DataView(bytes.buffer);
    for (let at = 0; at < n; at += view.getUint16(at + DIRENT_RECLEN, true)) {
      const nameStart = at + DIRENT_NAME;
      const nameEnd = bytes.indexOf(0, nameStart);
      out.push({
        ino: Number(view.getBigUint64(at + DIRENT_INO, true)),
        type: bytes[at + DIRENT_TYPE]!,
        name: new TextDecoder().decode(bytes.subarray(nameStart, nameEnd)),
      });
    }
  }
}
