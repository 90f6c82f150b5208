/**
 * User ids (issue 24: posix_spawn's RESETIDS needs a real uid apart from the effective one).
 * A process has a real (`ruid`), effective (`uid`, what every permission check reads) and saved
 * (`suid`) user id, as Linux's struct cred. The rules are Linux's kernel/sys.c without
 * capabilities other than root's:
 * - setuid(u): an effective root sets all three; anyone else may set the effective id to its
 *   real or saved id (__sys_setuid), else EPERM.
 * - setresuid(r, e, s), -1 leaving one unchanged: root may set any; anyone else each only to
 *   one of its current real, effective or saved ids (__sys_setresuid), else EPERM.
 * glibc's seteuid(e) is setresuid(-1, e, -1) (sysdeps/unix/sysv/linux/seteuid.c).
 */
import { EINVAL, EPERM } from '../abi/errno.ts';
import { SYS_GETEUID, SYS_GETUID, SYS_SETRESUID, SYS_SETUID } from '../abi/syscalls.ts';
import { type KernelGen, spend } from '../hw/effects.ts';
import type { Kernel } from './kernel.ts';
import type { Process } from './process.ts';
import { argNum, type SyscallTable } from './syscall-types.ts';
import type { Thread } from './thread.ts';

const validUid = (u: number) => Number.isInteger(u) && u >= 0;

function* sysSetuid(k: Kernel, t: Thread, uid: number): KernelGen<number> {
  yield spend(k.board.costs.schemeCallNs);
  if (!validUid(uid)) return -EINVAL;
  const p = t.process;
  if (p.uid === 0) {
    p.ruid = uid;
    p.uid = uid;
    p.suid = uid;
    return 0;
  }
  if (uid !== p.ruid && uid !== p.suid) return -EPERM;
  p.uid = uid;
  return 0;
}

/** The id one field of setresuid asks for: itself for -1, -EINVAL or -EPERM when refused. */
function resId(p: Process, asked: number, current: number): number {
  if (asked === -1) return current;
  if (!validUid(asked)) return -EINVAL;
  if (p.uid === 0 || asked === p.ruid || asked === p.uid || asked === p.suid) return asked;
  return -EPERM;
}

function* sysSetresuid(k: Kernel, t: Thread, r: number, e: number, s: number): KernelGen<number> {
  yield spend(k.board.costs.schemeCallNs);
  const p = t.process;
  const ids = [resId(p, r, p.ruid), resId(p, e, p.uid), resId(p, s, p.suid)];
  const bad = ids.find((id) => id < 0);
  if (bad !== undefined) return bad;
  [p.ruid, p.uid, p.suid] = ids as [number, number, number];
  return 0;
}

export const UID_SYSCALLS: SyscallTable = {
  [SYS_GETUID]: function* (_k, _cpu, t) {
    return t.process.ruid;
  },
  [SYS_GETEUID]: function* (_k, _cpu, t) {
    return t.process.uid;
  },
  [SYS_SETUID]: (k, _cpu, t, a) => sysSetuid(k, t, argNum(a[0], -1)),
  [SYS_SETRESUID]: (k, _cpu, t, a) =>
    sysSetresuid(k, t, argNum(a[0], -2), argNum(a[1], -2), argNum(a[2], -2)),
};
