/**
 * Credentials, as far as scheduling needs them: a process's uid, where 0 (root) carries the
 * privilege Linux calls CAP_SYS_NICE (RT and deadline classes, lowering nice; SCHED-7). The root
 * process runs as uid 0 and children inherit their parent's uid; setuid(2) to another id drops
 * the privilege for good, as it drops a root process's capabilities on Linux. An unprivileged
 * process may only "change" to the uid it has (Linux lets it pick its real or saved uid; this
 * model keeps one uid per process).
 */
import { EINVAL, EPERM } from '../abi/errno.ts';
import { SYS_SETUID } from '../abi/syscalls.ts';
import type { KernelGen } from '../hw/effects.ts';
import { argNum, type SyscallTable } from './syscall-types.ts';
import type { Thread } from './thread.ts';

function* sysSetuid(t: Thread, uid: number): KernelGen<number> {
  if (!Number.isInteger(uid) || uid < 0 || uid > 0xfffffffe) return -EINVAL;
  const p = t.process;
  if (p.uid !== 0 && uid !== p.uid) return -EPERM;
  p.uid = uid;
  return 0;
}

export const CRED_SYSCALLS: SyscallTable = {
  [SYS_SETUID]: (_k, _cpu, t, a) => sysSetuid(t, argNum(a[0], -1)),
};
