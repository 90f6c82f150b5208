/**
 * System-call dispatch: a table from number to handler, as xv6's syscall.c. An unknown number
 * returns ENOSYS to the guest; it never stops the kernel.
 */
import { ENOSYS } from '../abi/errno.ts';
import type { ProgramImage, ThreadEntry, ThreadReturnHook } from '../abi/guest.ts';
import {
  SYS_EXIT,
  SYS_EXIT_GROUP,
  SYS_GETPID,
  SYS_GETTID,
  SYS_MPROTECT,
  SYS_PROC_NEW_THREAD,
  SYS_PROC_NEW_THREAD_REGS,
  SYS_PROC_SPAWN_VFORK,
  SYS_PROC_SET_REGS,
  SYS_PROC_START,
  SYS_SCHED_YIELD,
  SYS_SPAWN,
  SYS_WAIT4,
} from '../abi/syscalls.ts';
import type { Cpu } from '../hw/cpu.ts';
import { flushTlbRange } from './tlb/flush.ts';
import { MADVISE_SYSCALLS } from './madvise.ts';
import { MMAP_SYSCALLS } from './mmap.ts';
import { DEVIO_SYSCALLS } from './devio/syscalls.ts';
import { type KernelEffect, type KernelGen, spend } from '../hw/effects.ts';
import { PAGE_SIZE } from '../hw/memory.ts';
import { CAPRING_SYSCALLS } from './capring/syscall.ts';
import { CENSUS_SYSCALLS } from './census.ts';
import { CLONE_SYSCALLS } from './clone.ts';
import { FD_SYSCALLS } from './fd/syscalls.ts';
import { FUTEX_SYSCALLS } from './futex/syscall.ts';
import { NANOSLEEP_SYSCALLS } from './nanosleep.ts';
import type { Kernel } from './kernel.ts';
import { PROC_HANDLE_SYSCALLS } from './proc-handles.ts';
import { UID_SYSCALLS } from './uids.ts';
import { sysProcNewThreadRegs } from './proc-create.ts';
import { sysProcSpawnVfork } from './spawn-vfork.ts';
import { EXEC_SYSCALLS } from './exec.ts';
import { HOTPLUG_SYSCALLS } from './hotplug.ts';
import { noteRestart } from './restart.ts';
import { ORPHAN_SYSCALLS } from './orphans.ts';
import {
  sysExit,
  sysExitGroup,
  sysProcNewThread,
  sysProcSetRegs,
  sysProcStart,
  sysSpawn,
  sysWait4,
} from './proc.ts';
import { AFFINITY_SYSCALLS } from './sched/affinity.ts';
import { PRIORITY_SYSCALLS } from './sched/priority-syscalls.ts';
import { SCHED_SYSCALLS } from './sched/syscalls.ts';
import { SHM_SYSCALLS } from './shm.ts';
import { SIGNAL_SYSCALLS } from './signal.ts';
import { argNum, type SyscallTable } from './syscall-types.ts';
import type { Thread } from './thread.ts';
import { sysSchedYield, TIME_SYSCALLS } from './time.ts';

const num = argNum;

const CORE: SyscallTable = {
  [SYS_SCHED_YIELD]: (k, cpu) => sysSchedYield(k, cpu),
  [SYS_GETPID]: function* (_k, _cpu, t) {
    return t.process.pid;
  },
  [SYS_GETTID]: function* (_k, _cpu, t) {
    return t.id;
  },
  [SYS_MPROTECT]: (k, cpu, t, a) => sysMprotect(k, cpu, t, num(a[0]), num(a[1], -1), num(a[2])),
  [SYS_EXIT]: (k, cpu, t, a) => sysExit(k, cpu, t, num(a[0])),
  [SYS_EXIT_GROUP]: (k, cpu, t, a) => sysExitGroup(k, cpu, t, num(a[0])),
  [SYS_WAIT4]: (k, cpu, t, a) => sysWait4(k, cpu, t, num(a[0], -1), num(a[1]), num(a[2])),
  [SYS_PROC_NEW_THREAD]: (k, cpu, t) => sysProcNewThread(k, cpu, t),
  [SYS_PROC_NEW_THREAD_REGS]: (k, cpu, t, a) =>
    sysProcNewThreadRegs(
      k,
      cpu,
      t,
      a[0] as ThreadEntry,
      a[1],
      num(a[2]),
      num(a[3]),
      (a[4] ?? null) as ThreadReturnHook | null,
      num(a[5]),
    ),
  [SYS_PROC_SET_REGS]: (k, _cpu, t, a) =>
    sysProcSetRegs(
      k,
      t,
      num(a[0]),
      a[1] as ThreadEntry,
      a[2],
      num(a[3]),
      num(a[4]),
      (a[5] ?? null) as ThreadReturnHook | null,
    ),
  [SYS_PROC_START]: (k, cpu, t, a) => sysProcStart(k, cpu, t, num(a[0])),
  [SYS_SPAWN]: (k, cpu, t, a) => sysSpawn(k, cpu, t, a[0] as ProgramImage, a[1]),
  [SYS_PROC_SPAWN_VFORK]: (k, cpu, t, a) => sysProcSpawnVfork(k, cpu, t, a[0], a[1], a[2], a[3] ?? []),
};

const TABLE: SyscallTable = {
  ...CORE,
  ...FUTEX_SYSCALLS,
  ...SIGNAL_SYSCALLS,
  ...TIME_SYSCALLS,
  ...NANOSLEEP_SYSCALLS,
  ...PROC_HANDLE_SYSCALLS,
  ...UID_SYSCALLS,
  // Scheduling classes and nice (SCHED-7, LIBC-5).
  ...SCHED_SYSCALLS,
  ...PRIORITY_SYSCALLS,
  // CPU affinity and getcpu (SCHED-8).
  ...AFFINITY_SYSCALLS,
  // CPU hotplug (issue 18).
  ...HOTPLUG_SYSCALLS,
  // fork and set_tid_address (LIBC-9, LIBC-1); named shared memory and munmap (LIBC-4).
  ...CLONE_SYSCALLS,
  ...SHM_SYSCALLS,
  // madvise(MADV_DONTNEED) (issue 15).
  ...MADVISE_SYSCALLS,
  // mmap with MAP_FIXED and hints, mremap (issue 15, stage 6).
  ...MMAP_SYSCALLS,
  // execve, setpgid, getpgid (issue 24: posix_spawn).
  ...EXEC_SYSCALLS,
  // pci:, memory: and irq: for userspace drivers (issue 18).
  ...DEVIO_SYSCALLS,
  // Descriptors, pipes and the file: scheme (kernel/fd/, issue 19).
  ...FD_SYSCALLS,
  // The capring personality's one trap, cap_enter (issue 20, RING-1).
  ...CAPRING_SYSCALLS,
  // sys_census, the kernel's object counts (issue 19, services: SVC-9's leak check).
  ...CENSUS_SYSCALLS,
  // getppid and prctl's child subreaper (issue 19, orphans).
  ...ORPHAN_SYSCALLS,
};

/**
 * The system-call frame: looks up `nr`'s handler, runs it, and notes a restart its result asks
 * for. It is what `function* () { ...; const result = yield* handler(...); noteRestart(...);
 * return result; }` would be, step for step (the lookup at the first step, after the entry
 * cost), as a five-field iterator: a thread blocked in a system call holds it for as long as it
 * sleeps (issue 14: a suspended generator of this function was ~230 bytes).
 */
export function dispatchSyscall(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  nr: number,
  args: unknown[],
): KernelGen<unknown> {
  return new SyscallDispatch(k, cpu, t, nr, args);
}

class SyscallDispatch implements KernelGen<unknown> {
  readonly #k: Kernel;
  readonly #cpu: Cpu;
  readonly #t: Thread;
  readonly #nr: number = 0;
  readonly #args: unknown[];
  /** The handler's generator, once the first step has started it. */
  #inner: KernelGen<unknown> | null = null;
  readonly [Symbol.toStringTag] = 'SyscallDispatch';

  constructor(k: Kernel, cpu: Cpu, t: Thread, nr: number, args: unknown[]) {
    this.#k = k;
    this.#cpu = cpu;
    this.#t = t;
    this.#nr = nr;
    this.#args = args;
  }

  next(value?: unknown): IteratorResult<KernelEffect, unknown> {
    let inner = this.#inner;
    if (inner === null) {
      const handler = TABLE[this.#nr];
      this.#k.stats.countSyscall(this.#nr);
      if (handler === undefined) return { value: -ENOSYS, done: true };
      inner = handler(this.#k, this.#cpu, this.#t, this.#args);
      this.#inner = inner;
      value = undefined; // yield* starts its delegate with next(undefined)
    }
    const step = inner.next(value);
    if (step.done === true) noteRestart(this.#t, this.#nr, this.#args, step.value);
    return step;
  }

  return(value: unknown): IteratorResult<KernelEffect, unknown> {
    return { value, done: true };
  }

  throw(error: unknown): IteratorResult<KernelEffect, unknown> {
    throw error;
  }

  [Symbol.iterator](): this {
    return this;
  }
}

/** mprotect(addr, length, prot): new protection for mapped pages (a PROT_NONE guard page, LIBC-8). */
function* sysMprotect(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  addr: number,
  length: number,
  prot: number,
): KernelGen<number> {
  const pages = Math.ceil(Math.max(length, 0) / PAGE_SIZE);
  yield spend(pages * k.board.costs.pageMapNs);
  const vm = t.process.vm;
  const ideal = k.tlb.options.protocol === 'ideal';
  const result = vm.mprotect(addr, length, prot, ideal);
  // change_protection, then flush_tlb_range over what changed (kernel/tlb/).
  if (result === 0 && !ideal) yield* flushTlbRange(k, cpu, vm, addr / PAGE_SIZE, pages);
  return result;
}
