/**
 * Processes and threads: thread creation through the proc scheme in three round trips
 * (SCHED-12), spawn (a fork-equivalent then exec), exit, wait4, and killing a process.
 */
import { ECHILD, EINTR, EINVAL, ENOMEM, ESRCH } from '../abi/errno.ts';
import type { ProgramImage, ThreadEntry, ThreadReturnHook } from '../abi/guest.ts';
import {
  exitStatus,
  FUTEX_WAKE,
  PROT_NONE,
  signalStatus,
  WCONTINUED,
  WNOHANG,
  WUNTRACED,
} from '../abi/syscalls.ts';
import type { Cpu } from '../hw/cpu.ts';
import { type KernelGen, sendIpi, spend } from '../hw/effects.ts';
import { PAGE_SIZE } from '../hw/memory.ts';
import { VEC_IPI_SWITCH } from '../hw/vectors.ts';
import { capringProcessExited, capringThreadExited } from './capring/lifecycle.ts';
import { exitPiStateList } from './futex/pi-exit.ts';
import { exitRobustList } from './futex/robust.ts';
import { sysFutex } from './futex/syscall.ts';
import type { Kernel } from './kernel.ts';
import { contextSetupNs, newContext } from './proc-create.ts';
import { type Process, ProcessState } from './process.ts';
import { schedule } from './sched/switch.ts';
import { signalPending } from './signal.ts';
import { type Thread, ThreadState } from './thread.ts';
import { putUser32 } from './uaccess.ts';
import { NO_TIMEOUT } from './timeout.ts';
import { closeAllFds, spawnFds } from './fd/process-fds.ts';
import { notifyParent, reparentChildren } from './orphans.ts';
import { releaseIfExited } from './thread-release.ts';

/** Stack of a thread created without an explicit one (relibc maps its stacks itself). */
export const STACK_BYTES_DEFAULT = 64 * 1024;
const FUTEX_WAKE_ALL = 0x7fffffff;

/** proc:new-thread: a new context in the caller's process, not yet started. */
export function* sysProcNewThread(k: Kernel, cpu: Cpu, t: Thread): KernelGen<number> {
  const costNs = k.board.costs.schemeCallNs + contextSetupNs(k, cpu);
  k.stats.procSchemeNs += costNs;
  yield spend(costNs);
  const created = newContext(k, t);
  return typeof created === 'number' ? created : created.id;
}

/** proc:regs: the new context's entry point, argument, stack, clear-tid word and return hook. */
export function* sysProcSetRegs(
  k: Kernel,
  t: Thread,
  tid: number,
  entry: ThreadEntry,
  arg: unknown,
  stackTop: number,
  clearTidAddr: number,
  onReturn: ThreadReturnHook | null,
): KernelGen<number> {
  // With the shared page, the register set is read in place rather than copied (issue 24).
  const costNs =
    k.board.costs.schemeCallNs - (k.options.proc?.shm === true ? k.board.costs.procRegsCopyNs : 0);
  k.stats.procSchemeNs += costNs;
  yield spend(costNs);
  const target = k.threads.get(tid);
  if (target === undefined || target.process !== t.process || target.state !== ThreadState.NotYetStarted) {
    return -ESRCH;
  }
  if (typeof entry !== 'function') return -EINVAL;
  if (onReturn !== null && typeof onReturn !== 'function') return -EINVAL;
  target.stackTop = stackTop;
  target.clearTidAddr = clearTidAddr;
  k.setEntry(target, entry, arg, false, onReturn);
  return 0;
}

/** proc:start: the context becomes runnable. */
export function* sysProcStart(k: Kernel, cpu: Cpu, t: Thread, tid: number): KernelGen<number> {
  k.stats.procSchemeNs += k.board.costs.schemeCallNs;
  yield spend(k.board.costs.schemeCallNs);
  const target = k.threads.get(tid);
  if (target === undefined || target.process !== t.process) return -ESRCH;
  if (target.state !== ThreadState.NotYetStarted || target.frames.length === 0) return -EINVAL;
  yield* k.policy.start(cpu, target);
  return 0;
}

/** spawn: a new process running `image.main(arg)`, inheriting the caller's MAP_SHARED regions. */
export function* sysSpawn(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  image: ProgramImage,
  arg: unknown,
): KernelGen<number> {
  if (image === null || typeof image !== 'object' || typeof image.main !== 'function') return -EINVAL;
  yield spend(k.board.costs.processSpawnNs);
  const child = k.createProcess(image, t.process);
  if (child === null) return -ENOMEM;
  spawnFds(t.process, child); // exec keeps the descriptors without FD_CLOEXEC
  const main = yield* startMainThread(k, cpu, child, arg, t.affinity);
  return main === null ? -ENOMEM : child.pid;
}

/** Creates, maps a stack for and starts the first thread of `p`. */
export function* startMainThread(
  k: Kernel,
  cpu: Cpu,
  p: Process,
  arg: unknown,
  affinity: Uint8Array | null = null,
  setup: ((thread: Thread) => void) | null = null,
  existing: Thread | null = null,
): KernelGen<Thread | null> {
  const thread = existing ?? k.createThread(p);
  if (thread === null) return null;
  p.leader = thread; // the group leader: kept until the process is released (thread-release.ts)
  thread.affinity = affinity; // fork copies the parent thread's CPU mask (SCHED-8)
  const node = k.topology.memoryNodeOf(cpu.id);
  // The lowest page is a PROT_NONE guard, so overflowing the stack faults instead of running
  // into the mapping below (LIBC-8; Linux keeps a guard gap below the main stack too).
  // The main stack sits at the top of user space (user-layout.ts STACK_TOP), above mmap's area.
  const stack = p.vm.mapMainStack(STACK_BYTES_DEFAULT + PAGE_SIZE, node);
  if (stack < 0) return null;
  p.vm.mprotect(stack, PAGE_SIZE, PROT_NONE);
  thread.stackTop = stack + PAGE_SIZE + STACK_BYTES_DEFAULT;
  k.setEntry(thread, p.image.main, arg, true);
  setup?.(thread);
  yield* k.policy.start(cpu, thread);
  return thread;
}

/** exit: this thread ends; the last thread's exit ends the process. Never returns. */
export function* sysExit(k: Kernel, cpu: Cpu, t: Thread, code: number): KernelGen<void> {
  if (t.process.liveThreads === 1 && t.process.killedBy === 0) t.process.exitCode = code;
  yield* threadExit(k, cpu, t);
}

/** exit_group: every thread of the process ends. Never returns. */
export function* sysExitGroup(k: Kernel, cpu: Cpu, t: Thread, code: number): KernelGen<void> {
  if (t.process.killedBy === 0) t.process.exitCode = code;
  yield* doomThreads(k, cpu, t.process, t);
  yield* threadExit(k, cpu, t);
}

/** Kills a whole process with `signal` from one of its threads (a fault, an abort). */
export function* killProcess(k: Kernel, cpu: Cpu, t: Thread, signal: number): KernelGen<void> {
  t.process.killedBy = signal;
  yield* doomThreads(k, cpu, t.process, t);
  yield* threadExit(k, cpu, t);
}

/**
 * Marks the live threads of `p` other than `except` for death and makes each reach a return to
 * user mode soon: a blocked one is interrupted, one running elsewhere gets an IPI.
 */
export function* doomThreads(k: Kernel, cpu: Cpu, p: Process, except: Thread | null): KernelGen<void> {
  for (const other of p.threads) {
    if (other === except || other.state === ThreadState.Dead || other.killPending) continue;
    other.killPending = true;
    if (other.state === ThreadState.NotYetStarted) {
      k.markDead(other);
      releaseIfExited(k, other); // it never ran, so no switch will release it (thread-release.ts)
    } else if (other.state === ThreadState.Blocked) {
      other.interrupted = true;
      yield* k.wakeThread(cpu, other);
    } else if (other.running && other.lastCpu !== cpu.id) {
      yield sendIpi(other.lastCpu, VEC_IPI_SWITCH);
    }
  }
}

/** The common end of a thread: clear-tid wake, death, process exit if last, switch away. */
export function* threadExit(k: Kernel, cpu: Cpu, t: Thread): KernelGen<void> {
  yield* exitRobustList(k, cpu, t);
  yield* exitPiStateList(k, cpu, t);
  if (t.clearTidAddr !== 0 && t.process.vm.physicalAddress(t.clearTidAddr) >= 0) {
    putUser32(t, t.clearTidAddr, 0); // CLONE_CHILD_CLEARTID: pthread_join waits on this
    const wake = {
      addr: t.clearTidAddr,
      op: FUTEX_WAKE,
      val: FUTEX_WAKE_ALL,
      timeoutOrVal2: 0, // WAKE reads no timeout; 0 is the ABI's "none"
      addr2: 0,
      val3: 0,
    };
    yield* sysFutex(k, cpu, t, wake);
  }
  yield* capringThreadExited(k, cpu, t);
  k.markDead(t);
  if (t.process.liveThreads === 0) yield* processExit(k, cpu, t.process);
  yield* schedule(k, cpu);
  throw new Error('proc: a dead thread was scheduled again');
}

function* processExit(k: Kernel, cpu: Cpu, p: Process): KernelGen<void> {
  yield spend(k.board.costs.processExitNs);
  yield* closeAllFds(k, cpu, p);
  p.vm.destroy();
  p.status = p.killedBy !== 0 ? signalStatus(p.killedBy) : exitStatus(p.exitCode);
  p.state = ProcessState.Zombie;
  k.stats.processesExited++;
  if (p.killedBy !== 0) k.stats.processesKilled++;
  yield* reparentChildren(k, cpu, p); // to the grandparent (redox) or a reaper (linux)
  yield* capringProcessExited(k, cpu, p); // a parent's capring Wait (issue 20)
  if (p.parent === null) {
    k.finish(p);
    return;
  }
  yield* notifyParent(k, cpu, p); // SIGCHLD, wait4's sleepers woken (orphans.ts)
}

/** wait4(pid, statusAddr, options): reap a zombie child, blocking until one exits. */
/**
 * wait4(pid, status, options), as Linux's kernel_wait4 / do_wait (kernel/exit.c): an unknown
 * option bit is -EINVAL; no child that `pid` names is -ECHILD; a zombie among them is reaped
 * (its pid returned, its status stored); else WNOHANG returns 0 at once (do_wait's
 * `notask_error` is 0 once an eligible child exists), and without it the caller sleeps until a
 * child exits or a signal comes (-EINTR). WUNTRACED and WCONTINUED are accepted: with no
 * job-control stops in smpsim, no child ever reports through them.
 */
export function* sysWait4(
  k: Kernel,
  cpuAtEntry: Cpu,
  t: Thread,
  pid: number,
  statusAddr: number,
  options = 0,
): KernelGen<number> {
  if ((options & ~(WNOHANG | WUNTRACED | WCONTINUED)) !== 0) return -EINVAL;
  const p = t.process;
  let cpu = cpuAtEntry;
  for (;;) {
    const candidates = p.children.filter(
      (c) => c.state !== ProcessState.Reaped && (pid === -1 || c.pid === pid),
    );
    if (candidates.length === 0) return -ECHILD;
    const zombie = candidates.find((c) => c.state === ProcessState.Zombie);
    if (zombie !== undefined) {
      zombie.state = ProcessState.Reaped;
      if (statusAddr !== 0) putUser32(t, statusAddr, zombie.status);
      k.releaseProcess(zombie);
      return zombie.pid;
    }
    if ((options & WNOHANG) !== 0) return 0;
    if (signalPending(t)) return -EINTR;
    k.blockCurrent(cpu, t, 'wait4', NO_TIMEOUT);
    yield* schedule(k, cpu);
    cpu = k.cpuOf(t);
  }
}
