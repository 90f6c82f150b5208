/**
 * Scheduling-class system calls (SCHED-7, LIBC-5's kernel side), with Linux's numbers, argument
 * checks and errno values (kernel/sched/syscalls.c, kernel/sys.c):
 *
 *   sched_setparam 142, sched_getparam 143, sched_setscheduler 144, sched_getscheduler 145,
 *   sched_get_priority_max 146, sched_get_priority_min 147, sched_rr_get_interval 148,
 *   sched_setattr 314, sched_getattr 315, getpriority 140, setpriority 141.
 *
 * Struct arguments live in guest memory as Linux's do (struct sched_param, struct sched_attr,
 * struct timespec; layouts in abi/sched.ts), as wait4's status word does here: the kernel reads
 * and writes them through the caller's address space and answers EFAULT for a bad pointer.
 * A pid names a thread (Linux's PRIO_PROCESS and sched_* take a tid); 0 is the caller.
 *
 * Privilege (CAP_SYS_NICE) is modelled by the process's uid: 0 (the root process and what it
 * spawns) is privileged; a process that called setuid to another id is not (kernel/cred.ts).
 * Unprivileged callers get Linux's answers with RLIMIT_RTPRIO and RLIMIT_NICE at their default
 * 0: EPERM for another uid's threads, for entering an RT class or raising an RT priority, for
 * SCHED_DEADLINE, and for lowering nice through sched_setattr; setpriority answers EACCES for
 * lowering nice (set_one_prio).
 *
 * The baseline policy (dwrr) has no scheduling classes: Redox at 2df7467d has none of the
 * sched_* calls (relibc's sched_setscheduler and friends are `todo!()` and not exported), so
 * they answer ENOSYS there. setpriority/getpriority work under both policies: they set the
 * context's `prio`, which under dwrr is the Redox queue level (what the proc scheme's
 * `priority` handle writes).
 *
 * Not modelled, refused rather than faked: SCHED_BATCH and SCHED_IDLE (EINVAL: the improved
 * policy does not implement them), sched_attr flags (EINVAL for any flag, including
 * SCHED_FLAG_RESET_ON_FORK), PRIO_PGRP (EINVAL: there are no process groups).
 */
import { E2BIG, EBUSY, EFAULT, EINVAL, ENOSYS, EPERM, ESRCH } from '../../abi/errno.ts';
import {
  isRtPolicy,
  MAX_NICE,
  MIN_NICE,
  RT_PRIO_MAX,
  RT_PRIO_MIN,
  SCHED_ATTR,
  SCHED_ATTR_SIZE_VER0,
  SCHED_ATTR_SIZE_VER1,
  SCHED_BATCH,
  SCHED_DEADLINE,
  SCHED_FIFO,
  SCHED_IDLE,
  SCHED_OTHER,
  SCHED_RR,
  type SchedAttr,
} from '../../abi/sched.ts';
import {
  SYS_SCHED_GET_PRIORITY_MAX,
  SYS_SCHED_GET_PRIORITY_MIN,
  SYS_SCHED_GETATTR,
  SYS_SCHED_GETPARAM,
  SYS_SCHED_GETSCHEDULER,
  SYS_SCHED_RR_GET_INTERVAL,
  SYS_SCHED_SETATTR,
  SYS_SCHED_SETPARAM,
  SYS_SCHED_SETSCHEDULER,
} from '../../abi/syscalls.ts';
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import { PAGE_SIZE } from '../../hw/memory.ts';
import type { Kernel } from '../kernel.ts';
import { argNum, type SyscallTable } from '../syscall-types.ts';
import { PRIO_DEFAULT, type Thread, ThreadState } from '../thread.ts';
import { accessOk, getUser32, getUser64, putUser32, putUser64 } from '../uaccess.ts';
import { checkDlParams, dlBandwidth, dlOverflow, toRatio } from './deadline.ts';
import { RT_PERIOD_NS, RT_RUNTIME_NS } from './rt.ts';
import { applySched } from './set-sched.ts';

const VALID_POLICIES = [SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE];
/** sched_setparam keeps the policy (Linux's SETPARAM_POLICY). */
const SETPARAM_POLICY = -1;

export const isFairPolicy = (policy: number) =>
  policy === SCHED_OTHER || policy === SCHED_BATCH || policy === SCHED_IDLE;
export const niceOf = (t: Thread) => t.prio - PRIO_DEFAULT;
export const privileged = (t: Thread) => t.process.uid === 0;

/** A thread by id (0: the caller), or null when there is no live one (ESRCH). */
export function findThread(k: Kernel, caller: Thread, tid: number): Thread | null {
  if (tid === 0) return caller;
  const t = k.threads.get(tid);
  return t === undefined || t.state === ThreadState.Dead ? null : t;
}

/** Guest memory of the caller, as copy_from_user / copy_to_user see it (through uaccess.ts). */
class UserMemory {
  readonly #t: Thread;
  constructor(t: Thread) {
    this.#t = t;
  }
  ok(addr: number, bytes: number, write: boolean): boolean {
    return accessOk(this.#t, addr, bytes, write);
  }
  u32(addr: number): number {
    return getUser32(this.#t, addr);
  }
  s32(addr: number): number {
    return getUser32(this.#t, addr) | 0;
  }
  /** An unsigned 64-bit field; values past 2^53 come back as Infinity (no valid time is that big). */
  u64(addr: number): number {
    return getUser64(this.#t, addr);
  }
  put32(addr: number, value: number): void {
    putUser32(this.#t, addr, value);
  }
  put64(addr: number, value: number): void {
    putUser64(this.#t, addr, value);
  }
}

/** The policy implements the sched_* calls at all (dwrr does not: ENOSYS). */
function hasClasses(k: Kernel): boolean {
  return k.policy.classes !== undefined;
}

/**
 * __sched_setscheduler: checks, permission, deadline admission, then the change and the
 * policy's requeue. `attr.policy` may be SETPARAM_POLICY (keep the current one); `useNice`
 * says the nice field is meant (sched_setattr) rather than the thread's current nice.
 */
function* setScheduler(
  k: Kernel,
  cpu: Cpu,
  caller: Thread,
  t: Thread,
  attr: SchedAttr,
  useNice: boolean,
): KernelGen<number> {
  const policy = attr.policy === SETPARAM_POLICY ? t.policy : attr.policy;
  if (!VALID_POLICIES.includes(policy)) return -EINVAL;
  if (attr.flags !== 0) return -EINVAL;
  if (attr.priority < 0 || attr.priority > RT_PRIO_MAX) return -EINVAL;
  if (policy === SCHED_DEADLINE) {
    if (!checkDlParams(attr.runtimeNs, attr.deadlineNs, attr.periodNs)) return -EINVAL;
  } else if (isRtPolicy(policy) !== (attr.priority !== 0)) {
    return -EINVAL;
  }
  if (!k.policy.classes!.includes(policy)) return -EINVAL;
  const nice = useNice ? Math.min(MAX_NICE, Math.max(MIN_NICE, attr.nice)) : niceOf(t);
  if (!privileged(caller)) {
    if (caller.process.uid !== t.process.uid) return -EPERM; // check_same_owner
    if (isFairPolicy(policy) && nice < niceOf(t)) return -EPERM; // RLIMIT_NICE 0
    if (isRtPolicy(policy)) {
      if (policy !== t.policy) return -EPERM; // RLIMIT_RTPRIO 0: cannot enter an RT class
      if (attr.priority > t.rtPriority) return -EPERM; // nor raise its priority
    }
    if (policy === SCHED_DEADLINE) return -EPERM;
  }
  const periodNs = attr.periodNs === 0 ? attr.deadlineNs : attr.periodNs;
  const unchanged =
    policy === t.policy &&
    (isFairPolicy(policy)
      ? nice === niceOf(t)
      : isRtPolicy(policy)
        ? attr.priority === t.rtPriority
        : attr.runtimeNs === t.dlRuntimeNs &&
          attr.deadlineNs === t.dlDeadlineNs &&
          periodNs === t.dlPeriodNs);
  if (unchanged) return 0; // Linux returns before touching the queues
  if (policy === SCHED_DEADLINE) {
    // A deadline context must be allowed on every CPU of its root domain (EPERM otherwise).
    if (t.affinity?.some((allowed) => allowed === 0)) return -EPERM;
    const newBw = toRatio(periodNs, attr.runtimeNs);
    const oldBw = t.policy === SCHED_DEADLINE ? dlBandwidth(t) : 0;
    const cpus = k.cpus.length;
    const capNs = k.policy.dlFullCapacity === true ? RT_PERIOD_NS : RT_RUNTIME_NS;
    if (dlOverflow(totalDlBandwidth(k), oldBw, newBw, cpus, capNs, RT_PERIOD_NS)) return -EBUSY;
  }
  const dl =
    policy === SCHED_DEADLINE ? { runtimeNs: attr.runtimeNs, deadlineNs: attr.deadlineNs, periodNs } : null;
  yield* applySched(k, cpu, t, policy, attr.priority, isFairPolicy(policy) ? nice + PRIO_DEFAULT : null, dl);
  return 0;
}

/** The bandwidth all live deadline contexts reserve (the root domain's dl_bw total_bw). */
export function totalDlBandwidth(k: Kernel): number {
  let total = 0;
  for (const t of k.threads.values()) {
    if (t.state !== ThreadState.Dead && t.policy === SCHED_DEADLINE) total += dlBandwidth(t);
  }
  return total;
}

/** sched_setscheduler / sched_setparam: struct sched_param in guest memory. */
function* sysSetScheduler(
  k: Kernel,
  cpu: Cpu,
  caller: Thread,
  tid: number,
  policy: number,
  paramAddr: number,
): KernelGen<number> {
  if (!hasClasses(k)) return -ENOSYS;
  if (paramAddr === 0 || tid < 0 || (policy < 0 && policy !== SETPARAM_POLICY)) return -EINVAL;
  const mem = new UserMemory(caller);
  if (!mem.ok(paramAddr, 4, false)) return -EFAULT;
  const priority = mem.s32(paramAddr);
  const t = findThread(k, caller, tid);
  if (t === null) return -ESRCH;
  const attr: SchedAttr = { policy, flags: 0, nice: 0, priority, runtimeNs: 0, deadlineNs: 0, periodNs: 0 };
  if (policy === SETPARAM_POLICY && t.policy === SCHED_DEADLINE) {
    // sched_setparam on a deadline context keeps its parameters (priority must be 0).
    attr.runtimeNs = t.dlRuntimeNs;
    attr.deadlineNs = t.dlDeadlineNs;
    attr.periodNs = t.dlPeriodNs;
  }
  return yield* setScheduler(k, cpu, caller, t, attr, false);
}

function* sysGetScheduler(k: Kernel, caller: Thread, tid: number): KernelGen<number> {
  if (!hasClasses(k)) return -ENOSYS;
  if (tid < 0) return -EINVAL;
  const t = findThread(k, caller, tid);
  return t === null ? -ESRCH : t.policy;
}

function* sysGetParam(k: Kernel, caller: Thread, tid: number, paramAddr: number): KernelGen<number> {
  if (!hasClasses(k)) return -ENOSYS;
  if (paramAddr === 0 || tid < 0) return -EINVAL;
  const t = findThread(k, caller, tid);
  if (t === null) return -ESRCH;
  const mem = new UserMemory(caller);
  if (!mem.ok(paramAddr, 4, true)) return -EFAULT;
  mem.put32(paramAddr, t.rtPriority);
  return 0;
}

function* sysPriorityLimit(k: Kernel, policy: number, max: boolean): KernelGen<number> {
  if (!hasClasses(k)) return -ENOSYS;
  if (isRtPolicy(policy)) return max ? RT_PRIO_MAX : RT_PRIO_MIN;
  if (VALID_POLICIES.includes(policy)) return 0;
  return -EINVAL;
}

/** sched_rr_get_interval: a struct timespec in guest memory. */
function* sysRrGetInterval(k: Kernel, caller: Thread, tid: number, tsAddr: number): KernelGen<number> {
  if (!hasClasses(k) || k.policy.rrIntervalNs === undefined) return -ENOSYS;
  if (tid < 0) return -EINVAL;
  const t = findThread(k, caller, tid);
  if (t === null) return -ESRCH;
  const ns = k.policy.rrIntervalNs(t);
  const mem = new UserMemory(caller);
  if (!mem.ok(tsAddr, 16, true)) return -EFAULT;
  mem.put64(tsAddr, Math.floor(ns / 1e9));
  mem.put64(tsAddr + 8, ns % 1e9);
  return 0;
}

/** sched_setattr(pid, attr, flags): struct sched_attr in guest memory (sched_copy_attr). */
function* sysSetAttr(
  k: Kernel,
  cpu: Cpu,
  caller: Thread,
  tid: number,
  attrAddr: number,
  flags: number,
): KernelGen<number> {
  if (!hasClasses(k)) return -ENOSYS;
  if (attrAddr === 0 || tid < 0 || flags !== 0) return -EINVAL;
  const mem = new UserMemory(caller);
  if (!mem.ok(attrAddr, 4, false)) return -EFAULT;
  let size = mem.u32(attrAddr + SCHED_ATTR.size);
  if (size === 0) size = SCHED_ATTR_SIZE_VER0;
  if (size < SCHED_ATTR_SIZE_VER0 || size > PAGE_SIZE) {
    if (mem.ok(attrAddr, 4, true)) mem.put32(attrAddr + SCHED_ATTR.size, SCHED_ATTR_SIZE_VER1);
    return -E2BIG;
  }
  if (!mem.ok(attrAddr, size, false)) return -EFAULT;
  // A larger struct from a newer ABI is accepted only if its extra bytes are zero.
  for (let off = SCHED_ATTR_SIZE_VER1; off + 4 <= size; off += 4) {
    if (mem.u32(attrAddr + off) !== 0) {
      mem.put32(attrAddr + SCHED_ATTR.size, SCHED_ATTR_SIZE_VER1);
      return -E2BIG;
    }
  }
  const policy = mem.s32(attrAddr + SCHED_ATTR.policy);
  if (policy < 0) return -EINVAL;
  const attr: SchedAttr = {
    policy,
    flags: mem.u64(attrAddr + SCHED_ATTR.flags),
    nice: mem.s32(attrAddr + SCHED_ATTR.nice),
    priority: mem.u32(attrAddr + SCHED_ATTR.priority),
    runtimeNs: mem.u64(attrAddr + SCHED_ATTR.runtime),
    deadlineNs: mem.u64(attrAddr + SCHED_ATTR.deadline),
    periodNs: mem.u64(attrAddr + SCHED_ATTR.period),
  };
  const t = findThread(k, caller, tid);
  if (t === null) return -ESRCH;
  return yield* setScheduler(k, cpu, caller, t, attr, true);
}

/** sched_getattr(pid, attr, size, flags): fills min(size, VER1) bytes and sets attr->size. */
function* sysGetAttr(
  k: Kernel,
  caller: Thread,
  tid: number,
  attrAddr: number,
  size: number,
  flags: number,
): KernelGen<number> {
  if (!hasClasses(k)) return -ENOSYS;
  if (attrAddr === 0 || tid < 0 || flags !== 0 || size < SCHED_ATTR_SIZE_VER0 || size > PAGE_SIZE) {
    return -EINVAL;
  }
  const t = findThread(k, caller, tid);
  if (t === null) return -ESRCH;
  const ksize = Math.min(size, SCHED_ATTR_SIZE_VER1);
  const mem = new UserMemory(caller);
  if (!mem.ok(attrAddr, ksize, true)) return -EFAULT;
  mem.put32(attrAddr + SCHED_ATTR.size, ksize);
  mem.put32(attrAddr + SCHED_ATTR.policy, t.policy);
  mem.put64(attrAddr + SCHED_ATTR.flags, 0);
  mem.put32(attrAddr + SCHED_ATTR.nice, isFairPolicy(t.policy) ? niceOf(t) : 0);
  mem.put32(attrAddr + SCHED_ATTR.priority, t.rtPriority);
  mem.put64(attrAddr + SCHED_ATTR.runtime, t.dlRuntimeNs);
  mem.put64(attrAddr + SCHED_ATTR.deadline, t.dlDeadlineNs);
  mem.put64(attrAddr + SCHED_ATTR.period, t.dlPeriodNs);
  if (ksize >= SCHED_ATTR_SIZE_VER1) {
    mem.put32(attrAddr + SCHED_ATTR.utilMin, 0); // uclamp defaults: no clamping
    mem.put32(attrAddr + SCHED_ATTR.utilMax, 1024);
  }
  return 0;
}

const num = argNum;

/** A refusal that still answers ENOSYS first where the policy has no sched_* calls (dwrr). */
function* refuse(k: Kernel, errno: number): KernelGen<number> {
  return hasClasses(k) ? errno : -ENOSYS;
}

export const SCHED_SYSCALLS: SyscallTable = {
  [SYS_SCHED_SETSCHEDULER]: (k, cpu, t, a) => {
    const policy = num(a[1], -1);
    // SYSCALL_DEFINE3(sched_setscheduler) refuses a negative policy before do_sched_setscheduler:
    // -1 is sched_setparam's internal "keep the policy", never a caller's (issue 11).
    if (policy < 0) return refuse(k, -EINVAL);
    return sysSetScheduler(k, cpu, t, num(a[0], -1), policy, num(a[2]));
  },
  [SYS_SCHED_SETPARAM]: (k, cpu, t, a) =>
    sysSetScheduler(k, cpu, t, num(a[0], -1), SETPARAM_POLICY, num(a[1])),
  [SYS_SCHED_GETSCHEDULER]: (k, _cpu, t, a) => sysGetScheduler(k, t, num(a[0], -1)),
  [SYS_SCHED_GETPARAM]: (k, _cpu, t, a) => sysGetParam(k, t, num(a[0], -1), num(a[1])),
  [SYS_SCHED_GET_PRIORITY_MAX]: (k, _cpu, _t, a) => sysPriorityLimit(k, num(a[0], -1), true),
  [SYS_SCHED_GET_PRIORITY_MIN]: (k, _cpu, _t, a) => sysPriorityLimit(k, num(a[0], -1), false),
  [SYS_SCHED_RR_GET_INTERVAL]: (k, _cpu, t, a) => sysRrGetInterval(k, t, num(a[0], -1), num(a[1])),
  [SYS_SCHED_SETATTR]: (k, cpu, t, a) => sysSetAttr(k, cpu, t, num(a[0], -1), num(a[1]), num(a[2])),
  [SYS_SCHED_GETATTR]: (k, _cpu, t, a) => sysGetAttr(k, t, num(a[0], -1), num(a[1]), num(a[2]), num(a[3])),
};
