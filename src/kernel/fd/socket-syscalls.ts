/**
 * socketpair(domain, type, protocol, sv) (net/socket.c __sys_socketpair): a connected AF_UNIX
 * SOCK_STREAM pair (unix-stream.ts) at the two lowest free descriptors, stored as two 32-bit
 * ints at `sv`. `type` may carry SOCK_NONBLOCK and SOCK_CLOEXEC; any other flag bit is EINVAL;
 * protocol must be 0 (or PF_UNIX's only one, 0: EPROTONOSUPPORT otherwise). A domain other
 * than AF_UNIX is EAFNOSUPPORT (Linux supports socketpair only there); SOCK_DGRAM and
 * SOCK_SEQPACKET are not modelled and answer ESOCKTNOSUPPORT. The baseline kernel has no
 * sockets (Redox's are a userspace scheme, unix-stream.ts): EAFNOSUPPORT for every domain.
 */
import { EAFNOSUPPORT, EFAULT, EINVAL, EMFILE, EPROTONOSUPPORT, ESOCKTNOSUPPORT } from '../../abi/errno.ts';
import { O_NONBLOCK, O_RDWR } from '../../abi/fd.ts';
import { AF_UNIX, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_STREAM, SOCK_TYPE_MASK } from '../../abi/socket.ts';
import { SYS_SOCKETPAIR } from '../../abi/syscalls.ts';
import { TraceKind } from '../../abi/trace.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { argNum, type SyscallTable } from '../syscall-types.ts';
import type { Thread } from '../thread.ts';
import { accessOk, putUser32 } from '../uaccess.ts';
import { fdMode } from './mode.ts';
import { OpenFile } from './open-file.ts';
import { fdsOf } from './process-fds.ts';
import { makeUnixStreamPair } from './unix-stream.ts';

/** The errno a socketpair request gets before any descriptor is made, or 0 when it is served. */
export function socketpairRefusal(k: Kernel, domain: number, type: number, protocol: number): number {
  if (fdMode(k) === 'redox' || domain !== AF_UNIX) return EAFNOSUPPORT;
  if ((type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC)) !== 0) return EINVAL;
  if ((type & SOCK_TYPE_MASK) !== SOCK_STREAM) return ESOCKTNOSUPPORT;
  if (protocol !== 0) return EPROTONOSUPPORT;
  return 0;
}

function* sysSocketpair(
  k: Kernel,
  _cpu: Cpu,
  t: Thread,
  domain: number,
  type: number,
  protocol: number,
  svAddr: number,
): KernelGen<number> {
  yield spend(k.board.costs.pipeCallNs);
  const refused = socketpairRefusal(k, domain, type, protocol);
  if (refused !== 0) return -refused;
  if (!accessOk(t, svAddr, 8, true)) return -EFAULT;
  const table = fdsOf(t.process);
  const fd0 = table.lowestFree();
  const fd1 = fd0 < 0 ? -1 : table.lowestFree(fd0 + 1);
  if (fd1 < 0) return -EMFILE;
  const cloexec = (type & SOCK_CLOEXEC) !== 0;
  const flags = O_RDWR | (type & SOCK_NONBLOCK ? O_NONBLOCK : 0);
  const [end0, end1] = makeUnixStreamPair(k);
  table.install(new OpenFile(end0, flags), cloexec);
  table.install(new OpenFile(end1, flags), cloexec);
  putUser32(t, svAddr, fd0);
  putUser32(t, svAddr + 4, fd1);
  k.board.trace.mix(TraceKind.FdOpen, t.process.pid, fd0);
  k.board.trace.mix(TraceKind.FdOpen, t.process.pid, fd1);
  return 0;
}

export const SOCKET_SYSCALLS: SyscallTable = {
  [SYS_SOCKETPAIR]: (k, cpu, t, a) =>
    sysSocketpair(k, cpu, t, argNum(a[0], -1), argNum(a[1], -1), argNum(a[2], -1), argNum(a[3])),
};
