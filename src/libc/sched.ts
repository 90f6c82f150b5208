/**
 * CPU affinity (SCHED-8): glibc's sched_setaffinity / sched_getaffinity over the raw system
 * calls, and the cpu_set_t helpers. A cpu_set_t is glibc's: 1024 bits (128 bytes) in guest
 * memory, CPU n at bit n % 8 of byte n / 8. The calls return 0 (getaffinity: 0 too, as glibc's
 * wrapper does) or a negated errno, as the rest of this libc's system-call wrappers do.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { EINVAL } from '../abi/errno.ts';
import { SYS_GETCPU, SYS_SCHED_GETAFFINITY, SYS_SCHED_SETAFFINITY } from '../abi/syscalls.ts';
import { malloc } from './malloc.ts';
import { syscall } from './sys.ts';

/** CPUs a cpu_set_t holds (glibc __CPU_SETSIZE). */
export const CPU_SETSIZE = 1024;
/** sizeof(cpu_set_t). */
export const CPU_SET_BYTES = CPU_SETSIZE / 8;

export type cpu_set_t = number;

/** A zeroed cpu_set_t in guest memory. */
export function* cpu_set_alloc(t: Guest): Program<cpu_set_t> {
  return yield* malloc(t, CPU_SET_BYTES);
}

export function CPU_ZERO(t: Guest, set: cpu_set_t): void {
  for (let i = 0; i < CPU_SET_BYTES; i += 4) t.store32(set + i, 0);
}

export function CPU_SET(t: Guest, cpu: number, set: cpu_set_t): void {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return;
  const word = set + 4 * (cpu >> 5);
  t.store32(word, t.load32(word) | (1 << (cpu & 31)));
}

export function CPU_ISSET(t: Guest, cpu: number, set: cpu_set_t): boolean {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return false;
  return ((t.load32(set + 4 * (cpu >> 5)) >>> (cpu & 31)) & 1) === 1;
}

/** sched_setaffinity(pid, cpusetsize, mask): 0 or -errno (EFAULT, ESRCH, EINVAL). */
export function sched_setaffinity(
  t: Guest,
  pid: number,
  cpusetsize: number,
  mask: cpu_set_t,
): Program<number> {
  return syscall(t, SYS_SCHED_SETAFFINITY, pid, cpusetsize, mask);
}

/** sched_getaffinity(pid, cpusetsize, mask): 0 or -errno; glibc zeroes the bytes the kernel left. */
export function* sched_getaffinity(
  t: Guest,
  pid: number,
  cpusetsize: number,
  mask: cpu_set_t,
): Program<number> {
  const written = yield* syscall(t, SYS_SCHED_GETAFFINITY, pid, cpusetsize, mask);
  if (written < 0) return written;
  for (let i = written; i + 4 <= cpusetsize; i += 4) t.store32(mask + i, 0);
  return 0;
}

/** sched_getcpu(): the CPU the caller is running on (it may move right after). */
export function sched_getcpu(t: Guest): Program<number> {
  return syscall(t, SYS_GETCPU, 0, 0, 0);
}

/** The mask as a list of CPU ids: sets a fresh cpu_set_t and calls sched_setaffinity. */
export function* sched_setaffinity_cpus(t: Guest, pid: number, cpus: readonly number[]): Program<number> {
  const set = yield* scratchSet(t);
  CPU_ZERO(t, set);
  for (const cpu of cpus) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return -EINVAL;
    CPU_SET(t, cpu, set);
  }
  return yield* sched_setaffinity(t, pid, CPU_SET_BYTES, set);
}

/** The allowed CPUs of `pid` (0: the caller) in increasing order, or -errno. */
export function* sched_getaffinity_cpus(t: Guest, pid: number): Program<number[] | number> {
  const set = yield* scratchSet(t);
  const r = yield* sched_getaffinity(t, pid, CPU_SET_BYTES, set);
  if (r < 0) return r;
  const cpus: number[] = [];
  for (let cpu = 0; cpu < CPU_SETSIZE; cpu++) if (CPU_ISSET(t, cpu, set)) cpus.push(cpu);
  return cpus;
}

/** One cpu_set_t per thread for the list-based helpers (threads of a process share `data`). */
function* scratchSet(t: Guest): Program<cpu_set_t> {
  let sets = t.data.schedScratchSets as Map<number, cpu_set_t> | undefined;
  if (sets === undefined) t.data.schedScratchSets = sets = new Map();
  let set = sets.get(t.tid);
  if (set === undefined) {
    set = yield* cpu_set_alloc(t);
    sets.set(t.tid, set);
  }
  return set;
}
