/**
 * sched.h and the nice calls of sys/resource.h (LIBC-5): thin wrappers over the kernel's
 * sched_* and setpriority/getpriority calls (kernel/sched/syscalls.ts), passing struct
 * sched_param, struct sched_attr and struct timespec through guest memory as Linux's ABI does.
 *
 * As POSIX has them, each returns -1 and sets the calling thread's errno (libc/errno.ts) on
 * failure. Where C fills a struct through a pointer, the JS function returns [result, value]
 * (result 0 or -1). getpriority returns the nice value, and -1 both for nice -1 and for an
 * error: clear errno first to tell them apart, as POSIX says.
 */
import type { Program } from '../abi/effects.ts';
import { EACCES, EINVAL, EPERM } from '../abi/errno.ts';
import type { Guest } from '../abi/guest.ts';
import { PRIO_PROCESS, SCHED_ATTR, SCHED_ATTR_SIZE_VER1, type SchedAttr } from '../abi/sched.ts';
import {
  SYS_GETPRIORITY,
  SYS_SCHED_GET_PRIORITY_MAX,
  SYS_SCHED_GET_PRIORITY_MIN,
  SYS_SCHED_GETATTR,
  SYS_SCHED_GETPARAM,
  SYS_SCHED_GETSCHEDULER,
  SYS_SCHED_RR_GET_INTERVAL,
  SYS_SCHED_SETATTR,
  SYS_SCHED_SETPARAM,
  SYS_SCHED_SETSCHEDULER,
  SYS_SETPRIORITY,
  SYS_GETCPU,
  SYS_SCHED_GETAFFINITY,
  SYS_SCHED_SETAFFINITY,
} from '../abi/syscalls.ts';
import { errno, failWith, setErrno } from './errno.ts';
import { malloc } from './malloc.ts';
import { threadScratch } from './scratch.ts';
import { syscall } from './sys.ts';

export interface sched_param {
  sched_priority: number;
}

/** A raw result as POSIX reports it: the value, or -1 with errno set. */
function posix(t: Guest, r: number): number {
  return r < 0 ? failWith(t, -r) : r;
}

function put64(t: Guest, addr: number, value: number): void {
  t.store32(addr, value % 2 ** 32);
  t.store32(addr + 4, Math.floor(value / 2 ** 32));
}

function get64(t: Guest, addr: number): number {
  return t.load32(addr + 4) * 2 ** 32 + t.load32(addr);
}

/** sched_setscheduler(pid, policy, param): 0 or an errno. */
export function* sched_setscheduler(
  t: Guest,
  pid: number,
  policy: number,
  param: sched_param,
): Program<number> {
  const buf = yield* threadScratch(t);
  t.store32(buf, param.sched_priority);
  return posix(t, yield* syscall(t, SYS_SCHED_SETSCHEDULER, pid, policy, buf));
}

/** sched_getscheduler(pid): the policy, or -1. */
export function* sched_getscheduler(t: Guest, pid: number): Program<number> {
  return posix(t, yield* syscall(t, SYS_SCHED_GETSCHEDULER, pid));
}

/** sched_setparam(pid, param): 0 or an errno. */
export function* sched_setparam(t: Guest, pid: number, param: sched_param): Program<number> {
  const buf = yield* threadScratch(t);
  t.store32(buf, param.sched_priority);
  return posix(t, yield* syscall(t, SYS_SCHED_SETPARAM, pid, buf));
}

/** sched_getparam(pid): [0, param] or [-1, null]. */
export function* sched_getparam(t: Guest, pid: number): Program<[number, sched_param | null]> {
  const buf = yield* threadScratch(t);
  const r = yield* syscall(t, SYS_SCHED_GETPARAM, pid, buf);
  return r < 0 ? [failWith(t, -r), null] : [0, { sched_priority: t.load32(buf) | 0 }];
}

/** sched_get_priority_max(policy): the maximum, or -1. */
export function* sched_get_priority_max(t: Guest, policy: number): Program<number> {
  return posix(t, yield* syscall(t, SYS_SCHED_GET_PRIORITY_MAX, policy));
}

/** sched_get_priority_min(policy): the minimum, or -1. */
export function* sched_get_priority_min(t: Guest, policy: number): Program<number> {
  return posix(t, yield* syscall(t, SYS_SCHED_GET_PRIORITY_MIN, policy));
}

/**
 * sched_rr_get_interval(pid, interval): [0, interval in ns] (read back from the timespec) or
 * [-1, -1] with errno. `interval` is the struct timespec the kernel fills; 0 is C's NULL, which
 * the kernel refuses with EFAULT (put_timespec64 in kernel/sched/syscalls.c) after its pid
 * checks, as glibc passes the pointer through unchecked. Without it, the thread's scratch buffer.
 */
export function* sched_rr_get_interval(t: Guest, pid: number, interval?: number): Program<[number, number]> {
  const buf = interval ?? (yield* threadScratch(t));
  const r = yield* syscall(t, SYS_SCHED_RR_GET_INTERVAL, pid, buf);
  if (r < 0) return [failWith(t, -r), -1];
  return [0, get64(t, buf) * 1e9 + get64(t, buf + 8)];
}

/** sched_setattr(pid, attr, flags): 0 or -1. Times are in ns, as in struct sched_attr. */
export function* sched_setattr(t: Guest, pid: number, attr: SchedAttr, flags = 0): Program<number> {
  const buf = yield* threadScratch(t);
  t.store32(buf + SCHED_ATTR.size, SCHED_ATTR_SIZE_VER1);
  t.store32(buf + SCHED_ATTR.policy, attr.policy);
  put64(t, buf + SCHED_ATTR.flags, attr.flags);
  t.store32(buf + SCHED_ATTR.nice, attr.nice);
  t.store32(buf + SCHED_ATTR.priority, attr.priority);
  put64(t, buf + SCHED_ATTR.runtime, attr.runtimeNs);
  put64(t, buf + SCHED_ATTR.deadline, attr.deadlineNs);
  put64(t, buf + SCHED_ATTR.period, attr.periodNs);
  t.store32(buf + SCHED_ATTR.utilMin, 0);
  t.store32(buf + SCHED_ATTR.utilMax, 0);
  return posix(t, yield* syscall(t, SYS_SCHED_SETATTR, pid, buf, flags));
}

/** sched_getattr(pid): [0, attr] or [-1, null]. */
export function* sched_getattr(t: Guest, pid: number): Program<[number, SchedAttr | null]> {
  const buf = yield* threadScratch(t);
  const r = yield* syscall(t, SYS_SCHED_GETATTR, pid, buf, SCHED_ATTR_SIZE_VER1, 0);
  if (r < 0) return [failWith(t, -r), null];
  return [
    0,
    {
      policy: t.load32(buf + SCHED_ATTR.policy),
      flags: get64(t, buf + SCHED_ATTR.flags),
      nice: t.load32(buf + SCHED_ATTR.nice) | 0,
      priority: t.load32(buf + SCHED_ATTR.priority),
      runtimeNs: get64(t, buf + SCHED_ATTR.runtime),
      deadlineNs: get64(t, buf + SCHED_ATTR.deadline),
      periodNs: get64(t, buf + SCHED_ATTR.period),
    },
  ];
}

/** setpriority(which, who, nice): 0 or -1 (errno EACCES for lowering nice unprivileged). */
export function* setpriority(t: Guest, which: number, who: number, nice: number): Program<number> {
  return posix(t, yield* syscall(t, SYS_SETPRIORITY, which, who, nice));
}

/** getpriority(which, who): the nice value; the kernel returns 20 - nice, as Linux's. */
export function* getpriority(t: Guest, which: number, who: number): Program<number> {
  const r = yield* syscall(t, SYS_GETPRIORITY, which, who);
  return r < 0 ? failWith(t, -r) : 20 - r;
}

/** nice(inc): the new nice, or -1, through get/setpriority as glibc's (EACCES becomes EPERM). */
export function* nice(t: Guest, inc: number): Program<number> {
  setErrno(t, 0);
  const current = yield* getpriority(t, PRIO_PROCESS, 0);
  if (current === -1 && errno(t) !== 0) return -1;
  if ((yield* setpriority(t, PRIO_PROCESS, 0, current + inc)) !== 0) {
    if (errno(t) === EACCES) setErrno(t, EPERM);
    return -1;
  }
  return yield* getpriority(t, PRIO_PROCESS, 0);
}

// CPU affinity (SCHED-8, LIBC-6): glibc's sched_setaffinity / sched_getaffinity over the raw
// calls (kernel/sched/affinity.ts), and the cpu_set_t macros. A cpu_set_t is glibc's: 1024 bits
// (128 bytes) in guest memory, CPU n at bit n % 8 of byte n / 8.

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

/** sched_setaffinity(pid, cpusetsize, mask): 0, or -1 with errno EFAULT, ESRCH, EPERM or EINVAL. */
export function* sched_setaffinity(
  t: Guest,
  pid: number,
  cpusetsize: number,
  mask: cpu_set_t,
): Program<number> {
  return posix(t, yield* syscall(t, SYS_SCHED_SETAFFINITY, pid, cpusetsize, mask));
}

/**
 * sched_getaffinity(pid, cpusetsize, mask): 0 or -1. The raw call returns the bytes it wrote;
 * glibc's wrapper zeroes the rest of the caller's set and returns 0.
 */
export function* sched_getaffinity(
  t: Guest,
  pid: number,
  cpusetsize: number,
  mask: cpu_set_t,
): Program<number> {
  const written = yield* syscall(t, SYS_SCHED_GETAFFINITY, pid, cpusetsize, mask);
  if (written < 0) return failWith(t, -written);
  for (let i = written; i + 4 <= cpusetsize; i += 4) t.store32(mask + i, 0);
  return 0;
}

/** sched_getcpu(): the CPU the caller is running on (it may move right after). */
export function* sched_getcpu(t: Guest): Program<number> {
  return posix(t, yield* syscall(t, SYS_GETCPU, 0, 0, 0));
}

/** The mask as a list of CPU ids, set through sched_setaffinity: 0 or -1 with errno. */
export function* sched_setaffinity_cpus(t: Guest, pid: number, cpus: readonly number[]): Program<number> {
  const set = yield* threadScratch(t);
  CPU_ZERO(t, set);
  for (const cpu of cpus) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return failWith(t, EINVAL);
    CPU_SET(t, cpu, set);
  }
  return yield* sched_setaffinity(t, pid, CPU_SET_BYTES, set);
}

/** The allowed CPUs of `pid` (0: the caller) in increasing order, or -1 with errno. */
export function* sched_getaffinity_cpus(t: Guest, pid: number): Program<number[] | number> {
  const set = yield* threadScratch(t);
  if ((yield* sched_getaffinity(t, pid, CPU_SET_BYTES, set)) < 0) return -1;
  const cpus: number[] = [];
  for (let cpu = 0; cpu < CPU_SETSIZE; cpu++) if (CPU_ISSET(t, cpu, set)) cpus.push(cpu);
  return cpus;
}
