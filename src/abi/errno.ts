/** errno values, with Linux's numbers (asm-generic/errno-base.h, errno.h). */

export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const E2BIG = 7;
export const EBADF = 9;
export const ECHILD = 10;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const ENOTDIR = 20;
export const EISDIR = 21;
export const EINVAL = 22;
export const EMFILE = 24;
export const ENOSPC = 28;
export const ESPIPE = 29;
export const EPIPE = 32;
export const ERANGE = 34;
export const EDEADLK = 35;
export const ENAMETOOLONG = 36;
/** No record locks available (pcid: a function's channel already open). */
export const ENOLCK = 37;
export const ENOSYS = 38;
export const ENOTEMPTY = 39;
/** io_uring_enter: a CQE was dropped (the CQ and its overflow list were full); reported once. */
export const EBADR = 53;
/** io_uring_enter's wait timed out (a timer expired). */
export const ETIME = 62;
export const EOVERFLOW = 75;
export const EPROTONOSUPPORT = 93;
export const ESOCKTNOSUPPORT = 94;
/** ENOTSUP (= EOPNOTSUPP on Linux). */
export const ENOTSUP = 95;
export const EAFNOSUPPORT = 97;
export const ETIMEDOUT = 110;
export const EOWNERDEAD = 130;
export const ENOTRECOVERABLE = 131;

export const ERRNO_NAMES: Readonly<Record<number, string>> = {
  [EPERM]: 'EPERM',
  [ENOENT]: 'ENOENT',
  [ESRCH]: 'ESRCH',
  [EINTR]: 'EINTR',
  [EIO]: 'EIO',
  [E2BIG]: 'E2BIG',
  [EBADF]: 'EBADF',
  [ECHILD]: 'ECHILD',
  [EAGAIN]: 'EAGAIN',
  [ENOMEM]: 'ENOMEM',
  [EACCES]: 'EACCES',
  [EFAULT]: 'EFAULT',
  [EBUSY]: 'EBUSY',
  [EEXIST]: 'EEXIST',
  [ENODEV]: 'ENODEV',
  [ENOTDIR]: 'ENOTDIR',
  [EISDIR]: 'EISDIR',
  [EINVAL]: 'EINVAL',
  [EMFILE]: 'EMFILE',
  [ENOSPC]: 'ENOSPC',
  [ESPIPE]: 'ESPIPE',
  [EPIPE]: 'EPIPE',
  [ERANGE]: 'ERANGE',
  [EDEADLK]: 'EDEADLK',
  [ENAMETOOLONG]: 'ENAMETOOLONG',
  [ENOLCK]: 'ENOLCK',
  [ENOSYS]: 'ENOSYS',
  [ENOTEMPTY]: 'ENOTEMPTY',
  [EBADR]: 'EBADR',
  [ETIME]: 'ETIME',
  [EOVERFLOW]: 'EOVERFLOW',
  [EPROTONOSUPPORT]: 'EPROTONOSUPPORT',
  [ESOCKTNOSUPPORT]: 'ESOCKTNOSUPPORT',
  [ENOTSUP]: 'ENOTSUP',
  [EAFNOSUPPORT]: 'EAFNOSUPPORT',
  [ETIMEDOUT]: 'ETIMEDOUT',
  [EOWNERDEAD]: 'EOWNERDEAD',
  [ENOTRECOVERABLE]: 'ENOTRECOVERABLE',
};
