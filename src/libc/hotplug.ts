/**
 * CPU hotplug for guests (kernel/hotplug.ts): cpu_set_online(cpu, online) is what writing "0"
 * or "1" to /sys/devices/system/cpu/cpuN/online does on Linux. 0 on success; -1 and errno
 * (EPERM: the BSP or not root; EBUSY: the last online CPU; EINVAL: no such CPU; ENOSPC: its
 * vectors fit nowhere; EOPNOTSUPP: the kernel has no hotplug, the Redox baseline).
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import {
  SYS_CPU_SET_ONLINE,
  SYS_PROC_HANDLE_CLOSE,
  SYS_PROC_HANDLE_OPEN,
  SYS_PROC_HANDLE_READ,
  SYS_PROC_HANDLE_WRITE,
} from '../abi/syscalls.ts';
import { failWith } from './errno.ts';
import { threadScratch } from './scratch.ts';
import { syscall } from './sys.ts';

export function* cpu_set_online(t: Guest, cpuId: number, online: boolean): Program<number> {
  const r = yield* syscall(t, SYS_CPU_SET_ONLINE, cpuId, online ? 1 : 0, 0);
  return r < 0 ? failWith(t, -r) : r;
}

/** Opens `/proc/cpu/<cpu>/online`: a descriptor, or a negative errno (ENOENT: no such handle). */
function* openOnline(t: Guest, cpuId: number): Program<number> {
  return yield* syscall(t, SYS_PROC_HANDLE_OPEN, `/proc/cpu/${cpuId}/online`);
}

/**
 * The sysfs way: writes "0" or "1" to `/proc/cpu/<cpu>/online`; returns an errno (0 = success).
 * ENOENT on a kernel without hotplug (Redox's proc scheme has no per-CPU handle).
 */
export function* proc_cpu_set_online(t: Guest, cpuId: number, online: boolean): Program<number> {
  const fd = yield* openOnline(t, cpuId);
  if (fd < 0) return -fd;
  const buf = yield* threadScratch(t);
  t.store32(buf, online ? 0x31 : 0x30);
  const n = yield* syscall(t, SYS_PROC_HANDLE_WRITE, fd, buf, 1);
  yield* syscall(t, SYS_PROC_HANDLE_CLOSE, fd);
  return n < 0 ? -n : 0;
}

/** [errno, whether `/proc/cpu/<cpu>/online` reads "1\n"]. */
export function* proc_cpu_online(t: Guest, cpuId: number): Program<[number, boolean]> {
  const fd = yield* openOnline(t, cpuId);
  if (fd < 0) return [-fd, false];
  const buf = yield* threadScratch(t);
  const n = yield* syscall(t, SYS_PROC_HANDLE_READ, fd, buf, 4);
  yield* syscall(t, SYS_PROC_HANDLE_CLOSE, fd);
  if (n < 0) return [-n, false];
  return [0, (t.load32(buf) & 0xffff) === 0x0a31];
}
