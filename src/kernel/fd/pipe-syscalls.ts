/**
 * pipe(fds) and pipe2(fds, flags): a new pipe (pipe.ts), its read end at the lowest free
 * descriptor and its write end at the next, stored as two 32-bit ints at `fds`. Flags:
 * O_CLOEXEC and O_NONBLOCK, anything else EINVAL (fs/pipe.c do_pipe2); two free numbers are
 * needed (EMFILE); a bad `fds` is EFAULT with no descriptor left open.
 */
import { EFAULT, EINVAL, EMFILE } from '../../abi/errno.ts';
import { O_CLOEXEC, O_NONBLOCK, O_RDONLY, O_WRONLY } from '../../abi/fd.ts';
import { SYS_PIPE, SYS_PIPE2 } from '../../abi/syscalls.ts';
import { TraceKind } from '../../abi/trace.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { argNum, type SyscallTable } from '../syscall-types.ts';
import type { Thread } from '../thread.ts';
import { accessOk, putUser32 } from '../uaccess.ts';
import { OpenFile } from './open-file.ts';
import { makePipe } from './pipe.ts';
import { fdsOf } from './process-fds.ts';

function* sysPipe2(k: Kernel, _cpu: Cpu, t: Thread, fdsAddr: number, flags: number): KernelGen<number> {
  yield spend(k.board.costs.pipeCallNs);
  if ((flags & ~(O_CLOEXEC | O_NONBLOCK)) !== 0) return -EINVAL;
  if (!accessOk(t, fdsAddr, 8, true)) return -EFAULT;
  const table = fdsOf(t.process);
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const readFd = table.lowestFree();
  const writeFd = readFd < 0 ? -1 : table.lowestFree(readFd + 1);
  if (writeFd < 0) return -EMFILE;
  const [readEnd, writeEnd] = makePipe(k);
  table.install(new OpenFile(readEnd, O_RDONLY | (flags & O_NONBLOCK)), cloexec);
  table.install(new OpenFile(writeEnd, O_WRONLY | (flags & O_NONBLOCK)), cloexec);
  putUser32(t, fdsAddr, readFd);
  putUser32(t, fdsAddr + 4, writeFd);
  k.board.trace.mix(TraceKind.FdOpen, t.process.pid, readFd);
  k.board.trace.mix(TraceKind.FdOpen, t.process.pid, writeFd);
  return 0;
}

export const PIPE_SYSCALLS: SyscallTable = {
  [SYS_PIPE]: (k, cpu, t, a) => sysPipe2(k, cpu, t, argNum(a[0]), 0),
  [SYS_PIPE2]: (k, cpu, t, a) => sysPipe2(k, cpu, t, argNum(a[0]), argNum(a[1], -1)),
};
