/**
 * File descriptors, as guest and kernel share them: open(2) and fcntl(2) flags
 * (asm-generic/fcntl.h), lseek whences, st_mode bits (uapi/linux/stat.h), the layouts of
 * `struct stat` (x86-64, arch/x86/include/uapi/asm/stat.h) and `struct linux_dirent64`
 * (include/linux/dirent.h), and the pipe constants (include/linux/pipe_fs_i.h PIPE_DEF_BUFFERS,
 * include/uapi/linux/limits.h PIPE_BUF). Paths are passed to the kernel as strings, as the proc
 * and shm calls take them; data moves through guest buffers (uaccess).
 */
export { O_CREAT, O_EXCL, O_RDONLY, O_RDWR } from './syscalls.ts';

export const O_WRONLY = 1;
export const O_ACCMODE = 3;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DIRECTORY = 0o200000;
export const O_CLOEXEC = 0o2000000;
/** The flags F_SETFL may change (fs/fcntl.c SETFL_MASK, the part modelled here). */
export const SETFL_MASK = O_APPEND | O_NONBLOCK;

/** openat's "relative to the working directory" (uapi/linux/fcntl.h). */
export const AT_FDCWD = -100;

export const F_DUPFD = 0;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const F_DUPFD_CLOEXEC = 1030;
export const FD_CLOEXEC = 1;

export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;

export const S_IFMT = 0o170000;
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;

/** d_type values (include/linux/fs_types.h DT_*). */
export const DT_FIFO = 1;
export const DT_DIR = 4;
export const DT_REG = 8;

/** Linux's default pipe capacity: 16 pages (PIPE_DEF_BUFFERS), 64 KiB; also Redox's MAX_QUEUE_SIZE. */
export const PIPE_CAPACITY_BYTES = 65536;
/** Writes of at most this many bytes are atomic on Linux (POSIX PIPE_BUF). */
export const PIPE_BUF = 4096;
/** RLIMIT_NOFILE's usual soft limit: open fails with EMFILE past it. */
export const FD_LIMIT = 1024;

/** poll(2) events (uapi/asm-generic/poll.h) and `struct pollfd` { int fd; short events; short revents; }. */
export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
export const POLLFD_BYTES = 8;
export const POLLFD_FD = 0;
export const POLLFD_EVENTS = 4;
export const POLLFD_REVENTS = 6;

/** `struct stat` on x86-64: 144 bytes; offsets of the fields the kernel fills. */
export const STAT_BYTES = 144;
export const STAT_DEV = 0;
export const STAT_INO = 8;
export const STAT_NLINK = 16;
export const STAT_MODE = 24;
export const STAT_UID = 28;
export const STAT_GID = 32;
export const STAT_SIZE = 48;
export const STAT_BLKSIZE = 56;
export const STAT_BLOCKS = 64;

/** `struct linux_dirent64`: d_ino u64, d_off s64, d_reclen u16, d_type u8, then the name and a NUL. */
export const DIRENT_INO = 0;
export const DIRENT_OFF = 8;
export const DIRENT_RECLEN = 16;
export const DIRENT_TYPE = 18;
export const DIRENT_NAME = 19;

/** A record's length: the header, the name and its NUL, rounded up to 8 (fs/readdir.c). */
export function direntReclen(nameBytes: number): number {
  return (DIRENT_NAME + nameBytes + 1 + 7) & ~7;
}

/** What fstat reports, before the kernel lays it out as `struct stat`. */
export interface StatInfo {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  size: number;
}
