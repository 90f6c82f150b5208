/**
 * socketpair(domain, type, protocol, sv): glibc's is the bare system call
 * (sysdeps/unix/sysv/linux/socketpair.c, SYSCALL_CANCEL(socketpair, ...)); relibc's is the
 * same call here, and the baseline kernel refuses it (kernel/fd/socket-syscalls.ts). -1 with
 * errno on failure; sv[0] and sv[1] as two 32-bit ints at `svAddr`.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { SYS_SOCKETPAIR } from '../abi/syscalls.ts';
import { setErrno } from './errno.ts';
import { syscall } from './sys.ts';

export function* socketpair(
  t: Guest,
  domain: number,
  type: number,
  protocol: number,
  svAddr: number,
): Program<number> {
  const r = yield* syscall(t, SYS_SOCKETPAIR, domain, type, protocol, svAddr);
  if (r >= 0) return r;
  setErrno(t, -r);
  return -1;
}
