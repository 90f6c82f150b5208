/**
 * CPU hotplug for guests (kernel/hotplug.ts): cpu_set_online(cpu, online) is what writing "0"
 * or "1" to /sys/devices/system/cpu/cpuN/online does on Linux. 0 on success; -1 and errno
 * (EPERM: the BSP or not root; EBUSY: the last online CPU; EINVAL: no such CPU; ENOSPC: its
 * vectors fit nowhere; EOPNOTSUPP: the kernel has no hotplug, the Redox baseline).
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { SYS_CPU_SET_ONLINE } from '../abi/syscalls.ts';
import { failWith } from './errno.ts';
import { syscall } from './sys.ts';

export function* cpu_set_online(t: Guest, cpuId: number, online: boolean): Program<number> {
  const r = yield* syscall(t, SYS_CPU_SET_ONLINE, cpuId, online ? 1 : 0, 0);
  return r < 0 ? failWith(t, -r) : r;
}
