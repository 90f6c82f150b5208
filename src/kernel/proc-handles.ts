/**
 * Per-thread proc handles (SCHED-11), as Redox's proc scheme serves them (`proc:<id>/name`,
 * `sched-affinity`, and Red Bear's `sched-policy` and priority, P5-proc-setschedpolicy,
 * P7-proc-setpriority): open a path `/proc/<tid>/<handle>`, then read or write its value through
 * a buffer in guest memory. Every call is one proc-scheme round trip.
 *
 * Values:
 * - `name`: the thread's name, at most 15 bytes (Linux TASK_COMM_LEN 16 with the NUL); a read
 *   gives the bytes and a NUL, a longer write is cut to 15 bytes as /proc/<tid>/comm does;
 * - `sched-policy`: 2 bytes, Red Bear's encoding: [policy (0 FIFO, 1 RR, 2 OTHER), RT priority];
 * - `priority`: a 32-bit little-endian Redox prio 0..39 (nice + 20); larger values clamp to 39
 *   as Red Bear's `set_sched_other_prio` does;
 * - `sched-affinity`: a CPU bit mask in 64-bit words (bit i = CPU i), as many words as CPUs
 *   need; a write with no online CPU in it fails with EINVAL.
 *
 * `sched-policy` and `priority` are Red Bear's: a kernel whose scheduler lacks them (dwrr, as
 * upstream Redox) answers ENOENT to their open (`SchedPolicy.schedHandles`).
 *
 * Reading is open to every process, as /proc is; writing needs the target's user or root
 * (uid 0), and raising a priority or choosing an RT class needs root (set-sched.ts). A process
 * runs as its parent's uid; `setuid` changes it (root only, to another uid).
 */
import { EBADF, EFAULT, EINVAL, ENOENT, EPERM, ESRCH } from '../abi/errno.ts';
import { isRtPolicy, SCHED_FIFO, SCHED_OTHER, SCHED_RR } from '../abi/sched.ts';
import {
  SYS_PROC_HANDLE_CLOSE,
  SYS_PROC_HANDLE_OPEN,
  SYS_PROC_HANDLE_READ,
  SYS_PROC_HANDLE_WRITE,
} from '../abi/syscalls.ts';
import type { Cpu } from '../hw/cpu.ts';
import { type KernelGen, spend } from '../hw/effects.ts';
import type { Kernel } from './kernel.ts';
import type { Process } from './process.ts';
import { RB_POLICY_FIFO, RB_POLICY_OTHER, RB_POLICY_RR, redbearPolicy } from './sched/redbear.ts';
import { checkSchedPermission, setThreadSched } from './sched/set-sched.ts';
import { affinityMask, setThreadAffinity } from './sched/affinity.ts';
import { argNum, type SyscallTable } from './syscall-types.ts';
import { PRIO_DEFAULT, PRIO_LEVELS, type Thread, ThreadState } from './thread.ts';
import { copyin, copyout } from './uaccess.ts';
import { TraceKind } from '../abi/trace.ts';
import { onlineHandleCpu, readOnline, writeOnline } from './hotplug-handle.ts';

export const PROC_HANDLE_NAMES = ['name', 'sched-policy', 'priority', 'sched-affinity'] as const;
export type ProcHandleName = (typeof PROC_HANDLE_NAMES)[number];

/** Linux TASK_COMM_LEN: 15 bytes of name and a NUL. */
export const TASK_COMM_LEN = 16;
/** The first descriptor a process gets (0, 1 and 2 are the standard streams). */
const FIRST_FD = 3;

interface OpenHandle {
  tid: number;
  handle: ProcHandleName;
}

interface HandleTable {
  nextFd: number;
  open: Map<number, OpenHandle>;
  /** `/proc/cpu/<n>/online` handles (kernel/hotplug.ts): descriptor to CPU id. */
  cpus: Map<number, number>;
}

/** Per-process descriptor tables and per-thread names, kept beside the kernel's own objects. */
const TABLES = new WeakMap<Process, HandleTable>();
const NAMES = new WeakMap<Thread, string>();

function tableOf(p: Process): HandleTable {
  let table = TABLES.get(p);
  if (table === undefined) TABLES.set(p, (table = { nextFd: FIRST_FD, open: new Map(), cpus: new Map() }));
  return table;
}

/** How many handles `p` has open: what a fork copies (proc-create.ts forkSetupNs). */
export function openHandleCount(p: Process): number {
  return TABLES.get(p)?.open.size ?? 0;
}

/** fork: the child gets a copy of the parent's descriptor table (the same handles, same numbers). */
export function forkHandles(parent: Process, child: Process): void {
  const table = TABLES.get(parent);
  if (table === undefined) return;
  TABLES.set(child, {
    nextFd: table.nextFd,
    open: new Map([...table.open].map(([fd, h]) => [fd, { ...h }])),
    cpus: new Map(table.cpus),
  });
}

/** A thread's name: set through its handle, else its program's name (cut to 15 bytes). */
export function threadName(t: Thread): string {
  return NAMES.get(t) ?? cutBytes(t.process.image.name, TASK_COMM_LEN - 1);
}

function cutBytes(text: string, max: number): string {
  const bytes = new TextEncoder().encode(text);
  return bytes.length <= max ? text : new TextDecoder().decode(bytes.subarray(0, max));
}

/** Parses `/proc/<tid>/<handle>`; null when the path names no handle. */
export function parseProcPath(path: string): { tid: number; handle: ProcHandleName } | null {
  const match = /^\/proc\/(\d+)\/([a-z-]+)$/.exec(path);
  if (match === null) return null;
  const handle = PROC_HANDLE_NAMES.find((h) => h === match[2]);
  return handle === undefined ? null : { tid: Number(match[1]), handle };
}

function* sysOpen(k: Kernel, t: Thread, path: unknown): KernelGen<number> {
  yield spend(k.board.costs.schemeCallNs);
  if (typeof path !== 'string') return -EFAULT;
  const parsed = parseProcPath(path);
  if (parsed === null) {
    // /proc/cpu/<n>/online (the improved kernel's CPU hotplug; Redox has no such handle).
    const cpuId = onlineHandleCpu(k, path);
    if (cpuId < 0) return -ENOENT;
    const table = tableOf(t.process);
    table.cpus.set(table.nextFd, cpuId);
    return table.nextFd++;
  }
  if (!k.policy.schedHandles && (parsed.handle === 'sched-policy' || parsed.handle === 'priority')) {
    return -ENOENT;
  }
  const target = k.threads.get(parsed.tid);
  if (target === undefined || target.state === ThreadState.Dead) return -ESRCH;
  const table = tableOf(t.process);
  const fd = table.nextFd++;
  table.open.set(fd, parsed);
  return fd;
}

function* sysClose(k: Kernel, t: Thread, fd: number): KernelGen<number> {
  yield spend(k.board.costs.schemeCallNs);
  const table = tableOf(t.process);
  return table.open.delete(fd) || table.cpus.delete(fd) ? 0 : -EBADF;
}

/** The open handle's live target, or a negated errno. */
function targetOf(k: Kernel, t: Thread, fd: number): [OpenHandle, Thread] | number {
  const open = tableOf(t.process).open.get(fd);
  if (open === undefined) return -EBADF;
  const target = k.threads.get(open.tid);
  if (target === undefined || target.state === ThreadState.Dead) return -ESRCH;
  return [open, target];
}

function* sysRead(k: Kernel, t: Thread, fd: number, addr: number, len: number): KernelGen<number> {
  yield spend(k.board.costs.schemeCallNs);
  const cpuId = tableOf(t.process).cpus.get(fd);
  if (cpuId !== undefined) return readOnline(k, t, cpuId, addr, len);
  const found = targetOf(k, t, fd);
  if (typeof found === 'number') return found;
  const [open, target] = found;
  const value = readValue(k, target, open.handle);
  if (open.handle === 'name') {
    // copy_common_bytes: as much as fits; the NUL is part of the value.
    const n = Math.min(len, value.length);
    return copyout(t, addr, value.subarray(0, n)) ? n : -EFAULT;
  }
  if (len < value.length) return -EINVAL;
  return copyout(t, addr, value) ? value.length : -EFAULT;
}

function readValue(k: Kernel, target: Thread, handle: ProcHandleName): Uint8Array {
  switch (handle) {
    case 'name': {
      const bytes = new TextEncoder().encode(threadName(target));
      const out = new Uint8Array(bytes.length + 1);
      out.set(bytes);
      return out;
    }
    case 'sched-policy':
      return Uint8Array.of(redbearPolicy(target.policy), isRtPolicy(target.policy) ? target.rtPriority : 0);
    case 'priority': {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, target.prio, true);
      return out;
    }
    case 'sched-affinity':
      return affinityMask(target, k.cpus.length);
  }
}

function* sysWrite(k: Kernel, cpu: Cpu, t: Thread, fd: number, addr: number, len: number): KernelGen<number> {
  yield spend(k.board.costs.schemeCallNs);
  const cpuId = tableOf(t.process).cpus.get(fd);
  if (cpuId !== undefined) return yield* writeOnline(k, cpu, t, cpuId, addr, len);
  const found = targetOf(k, t, fd);
  if (typeof found === 'number') return found;
  const [open, target] = found;
  if (!(len >= 0)) return -EINVAL;
  const uid = t.process.uid;
  if (uid !== 0 && uid !== target.process.uid) return -EPERM;
  const bytes = copyin(t, addr, len);
  if (bytes === null) return -EFAULT;
  switch (open.handle) {
    case 'name': {
      const end = bytes.indexOf(0);
      const text = new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
      NAMES.set(target, cutBytes(text, TASK_COMM_LEN - 1));
      return len;
    }
    case 'sched-policy': {
      if (len !== 2) return -EINVAL;
      const policy = linuxPolicy(bytes[0]!);
      if (policy < 0) return -EINVAL;
      const nice = target.prio - PRIO_DEFAULT;
      const denied = checkSchedPermission(t, target, policy, nice);
      if (denied !== 0) return denied;
      const r = yield* setThreadSched(k, cpu, target, policy, isRtPolicy(policy) ? bytes[1]! : 0, nice);
      return r < 0 ? r : len;
    }
    case 'priority': {
      if (len !== 4) return -EINVAL;
      const prio = Math.min(new DataView(bytes.buffer).getUint32(0, true), PRIO_LEVELS - 1);
      const nice = prio - PRIO_DEFAULT;
      const denied = checkSchedPermission(t, target, target.policy, nice);
      if (denied !== 0) return denied;
      const r = yield* setThreadSched(k, cpu, target, target.policy, target.rtPriority, nice);
      return r < 0 ? r : len;
    }
    case 'sched-affinity': {
      const cpus = k.cpus.length;
      const mask = new Uint8Array(cpus);
      let online = 0;
      for (let id = 0; id < cpus && id >> 3 < len; id++) {
        if ((bytes[id >> 3]! & (1 << (id & 7))) !== 0) {
          mask[id] = 1;
          online++;
        }
      }
      if (online === 0) return -EINVAL;
      k.board.trace.mix(TraceKind.AffinityWrite, target.id, online);
      yield* setThreadAffinity(k, cpu, target, mask);
      return len;
    }
  }
}

/** Red Bear's handle encoding to Linux's policy numbers; -1 for an unknown byte. */
function linuxPolicy(redbear: number): number {
  if (redbear === RB_POLICY_FIFO) return SCHED_FIFO;
  if (redbear === RB_POLICY_RR) return SCHED_RR;
  if (redbear === RB_POLICY_OTHER) return SCHED_OTHER;
  return -1;
}

const num = argNum;

export const PROC_HANDLE_SYSCALLS: SyscallTable = {
  [SYS_PROC_HANDLE_OPEN]: (k, _cpu, t, a) => sysOpen(k, t, a[0]),
  [SYS_PROC_HANDLE_READ]: (k, _cpu, t, a) => sysRead(k, t, num(a[0], -1), num(a[1]), num(a[2])),
  [SYS_PROC_HANDLE_WRITE]: (k, cpu, t, a) => sysWrite(k, cpu, t, num(a[0], -1), num(a[1]), num(a[2], -1)),
  [SYS_PROC_HANDLE_CLOSE]: (k, _cpu, t, a) => sysClose(k, t, num(a[0], -1)),
};
