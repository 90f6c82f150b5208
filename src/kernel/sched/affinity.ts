/**
 * CPU-affinity system calls (SCHED-8): sched_setaffinity and sched_getaffinity with Linux's ABI
 * (kernel/sched/core.c). The mask is a bitmap in guest memory, CPU n at bit n % 8 of byte n / 8
 * (little-endian `unsigned long` words, as Linux's cpumask); its kernel size is
 * BITS_TO_LONGS(nr_cpu_ids) longs. Errors come in Linux's order: EFAULT (the mask cannot be
 * read), ESRCH (no such thread; 0 means the caller), EINVAL (no online CPU in the mask, or a
 * getaffinity buffer too small or not a whole number of longs). getaffinity returns the bytes
 * it wrote, as the raw syscall does (glibc's wrapper turns that into 0).
 */
import { EFAULT, EINVAL, EPERM, ESRCH } from '../../abi/errno.ts';
import { SYS_GETCPU, SYS_SCHED_GETAFFINITY, SYS_SCHED_SETAFFINITY } from '../../abi/syscalls.ts';
import { assert } from '../../engine/assert.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, sendIpi, spend } from '../../hw/effects.ts';
import { VEC_IPI_SWITCH } from '../../hw/vectors.ts';
import type { Kernel } from '../kernel.ts';
import { argNum, type SyscallTable } from '../syscall-types.ts';
import { type Thread, ThreadState } from '../thread.ts';
import { copyin, copyout, putUser32, wordOk } from '../uaccess.ts';
import { findThread } from './syscalls.ts';

const LONG_BYTES = 8;

/** cpumask_size(): the kernel's mask in bytes, whole longs covering every CPU. */
export function cpumaskBytes(cpus: number): number {
  return Math.ceil(cpus / (8 * LONG_BYTES)) * LONG_BYTES;
}

/** `t`'s CPU mask as the ABI carries it: bit i of byte i/8 is CPU i, in `bytes` bytes. */
export function affinityMask(t: Thread, cpus: number, bytes = cpumaskBytes(cpus)): Uint8Array {
  assert(bytes * 8 >= cpus, 'affinity: a cpumask too short for the CPUs');
  const mask = new Uint8Array(bytes);
  for (let id = 0; id < cpus; id++) if (t.allowedOn(id)) mask[id >> 3]! |= 1 << (id & 7);
  return mask;
}

/** sched_setaffinity(pid, len, mask): the thread may run only on the mask's online CPUs. */
export function* sysSchedSetaffinity(
  k: Kernel,
  cpu: Cpu,
  caller: Thread,
  pid: number,
  len: number,
  maskAddr: number,
): KernelGen<number> {
  yield spend(k.board.costs.schedPickNs);
  const cpus = k.cpus.length;
  // get_user_cpu_mask: at most cpumask_size() bytes are read; a shorter mask is zero-extended.
  const bytes = Math.min(Math.max(len, 0), cpumaskBytes(cpus));
  const allowed = new Uint8Array(cpus);
  let any = false;
  const mask = copyin(caller, maskAddr, bytes);
  if (mask === null) return -EFAULT;
  for (let i = 0; i < bytes; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const id = i * 8 + bit;
      if (id < cpus && (mask[i]! >> bit) & 1) {
        allowed[id] = 1;
        any = true;
      }
    }
  }
  const t = findThread(k, caller, pid);
  if (t === null) return -ESRCH;
  // check_same_owner: another user's thread needs CAP_SYS_NICE (here uid 0).
  if (caller.process.uid !== 0 && caller.process.uid !== t.process.uid) return -EPERM;
  if (!any) return -EINVAL; // __set_cpus_allowed_ptr: no active CPU in the mask
  yield* setThreadAffinity(k, cpu, t, allowed);
  return 0;
}

/**
 * Gives `t` the CPU mask `allowed` (indexed by CPU id, at least one online CPU), for
 * sched_setaffinity and the proc scheme's `sched-affinity` handle alike. A policy that keeps
 * per-CPU queues writes it under its locks and moves `t` itself (`setAffinity`); otherwise the
 * mask is stored at once, and a running `t` its new mask excludes is made to switch, so the next
 * pick (which checks masks) moves it.
 */
export function* setThreadAffinity(k: Kernel, cpu: Cpu, t: Thread, allowed: Uint8Array): KernelGen<void> {
  assert(allowed.length === k.cpus.length, 'affinity: a mask not indexed by CPU id');
  assert(allowed.indexOf(1) >= 0, 'affinity: a mask with no CPU in it'); // callers answer EINVAL first
  const mask = allowed.every((bit) => bit === 1) ? null : allowed;
  if (k.policy.setAffinity !== undefined) {
    yield* k.policy.setAffinity(cpu, t, mask);
    return;
  }
  t.affinity = mask;
  // Until that switch (or a pick made before the write lands) it may still run where it was.
  if (t.state === ThreadState.Runnable || t.running) t.affinityMovePending = true;
  if (t.running && !t.allowedOn(t.lastCpu)) {
    if (t.lastCpu === cpu.id) k.needResched[cpu.id] = 1;
    else yield sendIpi(t.lastCpu, VEC_IPI_SWITCH);
  }
}

/** sched_getaffinity(pid, len, mask): writes the thread's mask; returns the bytes written. */
export function* sysSchedGetaffinity(
  k: Kernel,
  _cpu: Cpu,
  caller: Thread,
  pid: number,
  len: number,
  maskAddr: number,
): KernelGen<number> {
  yield spend(k.board.costs.schedPickNs);
  const cpus = k.cpus.length;
  if (len * 8 < cpus || len % LONG_BYTES !== 0) return -EINVAL;
  const t = findThread(k, caller, pid);
  if (t === null) return -ESRCH;
  const mask = affinityMask(t, cpus, Math.min(len, cpumaskBytes(cpus)));
  return copyout(caller, maskAddr, mask) ? mask.length : -EFAULT;
}

/**
 * getcpu(cpu, node, tcache): the CPU the caller runs on. Linux stores it (and the node) through
 * the pointers; this ABI also returns the CPU id, as clock_gettime returns its value. A pointer
 * that cannot be written is EFAULT.
 */
export function* sysGetcpu(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  cpuAddr: number,
  nodeAddr: number,
): KernelGen<number> {
  if (cpuAddr !== 0) {
    if (!wordOk(t, cpuAddr, true)) return -EFAULT;
    putUser32(t, cpuAddr, cpu.id);
  }
  if (nodeAddr !== 0) {
    if (!wordOk(t, nodeAddr, true)) return -EFAULT;
    putUser32(t, nodeAddr, k.topology.nodeOf(cpu.id));
  }
  return cpu.id;
}

export const AFFINITY_SYSCALLS: SyscallTable = {
  [SYS_GETCPU]: (k, cpu, t, a) => sysGetcpu(k, cpu, t, argNum(a[0]), argNum(a[1])),
  [SYS_SCHED_SETAFFINITY]: (k, cpu, t, a) =>
    sysSchedSetaffinity(k, cpu, t, argNum(a[0], -1), argNum(a[1]), argNum(a[2])),
  [SYS_SCHED_GETAFFINITY]: (k, cpu, t, a) =>
    sysSchedGetaffinity(k, cpu, t, argNum(a[0], -1), argNum(a[1]), argNum(a[2])),
};
