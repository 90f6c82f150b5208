/**
 * fstat(fd, statAddr): the open file's scheme says what it is (StatInfo); the kernel lays it
 * out as x86-64 `struct stat` (144 bytes, abi/fd.ts offsets; times are 0, st_blksize 4096,
 * st_blocks in 512-byte units) and copies it out (EFAULT with nothing written on a bad buffer).
 */
import { EBADF, EFAULT } from '../../abi/errno.ts';
import { STAT_BYTES } from '../../abi/fd.ts';
import { SYS_FSTAT } from '../../abi/syscalls.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { argNum, type SyscallTable } from '../syscall-types.ts';
import type { Thread } from '../thread.ts';
import { accessOk, copyout } from '../uaccess.ts';
import { fdsOf } from './process-fds.ts';
import { statBytes } from '../../abi/stat-bytes.ts';

function* sysFstat(k: Kernel, t: Thread, fd: number, statAddr: number): KernelGen<number> {
  const slot = fdsOf(t.process).get(fd);
  if (slot === undefined) return -EBADF;
  if (!accessOk(t, statAddr, STAT_BYTES, true)) return -EFAULT;
  const info = yield* slot.file.file.fstat(k, t);
  if (typeof info === 'number') return info;
  return copyout(t, statAddr, statBytes(info)) ? 0 : -EFAULT;
}

export const FSTAT_SYSCALLS: SyscallTable = {
  [SYS_FSTAT]: (k, _cpu, t, a) => sysFstat(k, t, argNum(a[0], -1), argNum(a[1])),
};
