/**
 * The capring personality's trap in the system-call table (SYS_CAP_ENTER, the 1300 range). A
 * kernel configured with `abi = "redox"` answers it ENOSYS, as it answers any call it lacks.
 */
import { SYS_CAP_ENTER } from '../../abi/capring.ts';
import { ENOSYS } from '../../abi/errno.ts';
import { argNum, type SyscallTable } from '../syscall-types.ts';
import { sysCapEnter } from './enter.ts';

export const CAPRING_SYSCALLS: SyscallTable = {
  [SYS_CAP_ENTER]: function* (k, cpu, t, a) {
    if (k.options.abi !== 'capring') return -ENOSYS;
    return yield* sysCapEnter(k, cpu, t, argNum(a[0]), argNum(a[1], -1), argNum(a[2], -1));
  },
};
