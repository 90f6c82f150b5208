/**
 * The capring personality's trap in the system-call table (SYS_CAP_ENTER, the 1300 range). A
 * kernel configured with `abi = "redox"` answers it ENOSYS, as it answers any call it lacks.
 */
import { SYS_CAP_ENTER, SYS_CAP_SQPOLL } from '../../abi/capring.ts';
import { ENOSYS } from '../../abi/errno.ts';
import { argNum, type SyscallTable } from '../syscall-types.ts';
import { sysCapEnter } from './enter.ts';
import { sysCapSqpoll } from './sqpoll.ts';
import { capringOf } from './state.ts';

export const CAPRING_SYSCALLS: SyscallTable = {
  [SYS_CAP_ENTER]: function* (k, cpu, t, a) {
    if (k.options.abi !== 'capring') return -ENOSYS;
    return yield* sysCapEnter(
      k,
      cpu,
      t,
      argNum(a[0]),
      argNum(a[1], -1),
      argNum(a[2], -1),
      argNum(a[3]),
      argNum(a[4]),
    );
  },
  // The body of a ring's SQ poller (sqpoll.ts); any other thread gets EINVAL.
  [SYS_CAP_SQPOLL]: function* (k, cpu, t) {
    if (k.options.abi !== 'capring') return -ENOSYS;
    return yield* sysCapSqpoll(k, cpu, capringOf(k), t);
  },
};
