/**
 * The proc handle `/proc/cpu/<n>/online` (kernel/hotplug.ts), as Linux's
 * /sys/devices/system/cpu/cpuN/online (drivers/base/cpu.c, drivers/base/core.c online_store):
 * a read gives "1\n" or "0\n"; a write of "0"/"1" (or kstrtobool's n/y) takes the CPU offline or
 * brings it back, root only. Only a kernel that can offline CPUs serves it (Redox's proc scheme
 * has no per-CPU handle: ENOENT), and only for a present CPU.
 */
import { EFAULT, EINVAL, EPERM } from '../abi/errno.ts';
import type { Cpu } from '../hw/cpu.ts';
import type { KernelGen } from '../hw/effects.ts';
import { cpuOffline, cpuOnline } from './hotplug.ts';
import type { Kernel } from './kernel.ts';
import type { Thread } from './thread.ts';
import { copyin, copyout } from './uaccess.ts';

/** The CPU a `/proc/cpu/<n>/online` path names on this kernel, or -1 (ENOENT). */
export function onlineHandleCpu(k: Kernel, path: string): number {
  const match = /^\/proc\/cpu\/(\d+)\/online$/.exec(path);
  if (match === null || k.policy.cpuOffline === undefined) return -1;
  const cpuId = Number(match[1]);
  return cpuId < k.cpus.length && k.topology.cpus[cpuId]!.present ? cpuId : -1;
}

/** read: "1\n" online, "0\n" offline; the buffer must hold both bytes. */
export function readOnline(k: Kernel, t: Thread, cpuId: number, addr: number, len: number): number {
  if (len < 2) return -EINVAL;
  const value = Uint8Array.of(k.hotplug.online[cpuId] === 1 ? 0x31 : 0x30, 0x0a);
  return copyout(t, addr, value) ? 2 : -EFAULT;
}

/** kstrtobool's first byte: 1/y/Y true, 0/n/N false, else -1. */
function boolByte(byte: number | undefined): number {
  if (byte === 0x31 || byte === 0x79 || byte === 0x59) return 1;
  if (byte === 0x30 || byte === 0x6e || byte === 0x4e) return 0;
  return -1;
}

/** write: "0" offlines, "1" onlines; returns the bytes taken or a negative errno. */
export function* writeOnline(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  cpuId: number,
  addr: number,
  len: number,
): KernelGen<number> {
  if (t.process.uid !== 0) return -EPERM;
  if (!(len >= 1)) return -EINVAL;
  const bytes = copyin(t, addr, len);
  if (bytes === null) return -EFAULT;
  const value = boolByte(bytes[0]);
  if (value < 0) return -EINVAL;
  const r = value === 1 ? yield* cpuOnline(k, cpu, cpuId) : yield* cpuOffline(k, cpu, cpuId);
  return r < 0 ? r : len;
}
