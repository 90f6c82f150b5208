/**
 * execve and process groups (issue 24): what a spawn needs besides the copy. Executables are
 * guest programs registered under a path (`Kernel.executables`; the machine registers the
 * built-in programs under /bin, tests their own), as a file system would hold their ELF files.
 *
 * execve(path, arg) replaces the calling process's program: its other threads die, every
 * mapping goes (charged `pageMapNs` a page, as munmap), FD_CLOEXEC descriptors close, its data
 * segment is emptied, caught
 * signals return to SIG_DFL (ignored ones stay ignored, Linux's flush_signal_handlers), and a
 * new main thread runs `image.main(arg)` on a fresh stack with the caller's signal mask and
 * scheduling; then the calling thread ends. The pid stays; the main thread's tid is new (in
 * Linux it would keep the leader's: a difference no guest here can observe but by gettid).
 */
import { EINVAL, ENOENT, EPERM, ESRCH } from '../abi/errno.ts';
import type { ProgramImage } from '../abi/guest.ts';
import { TraceKind } from '../abi/trace.ts';
import { SYS_EXECVE, SYS_GETPGID, SYS_SETPGID } from '../abi/syscalls.ts';
import type { Cpu } from '../hw/cpu.ts';
import { type KernelGen, spend } from '../hw/effects.ts';
import { PAGE_SIZE } from '../hw/memory.ts';
import { releaseFile } from './fd/open-file.ts';
import { fdTableIfAny } from './fd/process-fds.ts';
import type { Kernel } from './kernel.ts';
import { doomThreads, startMainThread, threadExit } from './proc.ts';
import { type Process, ProcessState } from './process.ts';
import { argNum, type SyscallTable } from './syscall-types.ts';
import type { Thread } from './thread.ts';
import { flushTlbRange } from './tlb/flush.ts';

/**
 * The registered program at `path`, or -ENOENT (-EINVAL for a path that is not a string). A
 * list of paths (posix_spawnp's PATH candidates) gives the first that exists.
 */
export function lookupExecutable(k: Kernel, path: unknown): ProgramImage | number {
  if (Array.isArray(path)) {
    if (path.length === 0) return -ENOENT;
    for (const candidate of path) {
      const image = lookupExecutable(k, candidate);
      if (typeof image !== 'number' || image !== -ENOENT) return image;
    }
    return -ENOENT;
  }
  if (typeof path !== 'string') return -EINVAL;
  return k.executables.get(path) ?? -ENOENT;
}

/** Unmaps every region of `p` (exec's exec_mmap): the pages torn down. */
export function* dropMappings(k: Kernel, cpu: Cpu, p: Process): KernelGen<number> {
  const vm = p.vm;
  let pages = 0;
  for (const region of [...vm.regions]) {
    const batch = vm.unmapEntries(region.start, region.pages * PAGE_SIZE);
    if (typeof batch === 'number') continue;
    if (batch.regions.length > 0) yield* flushTlbRange(k, cpu, vm, batch.vpn, batch.pages);
    pages += vm.finishUnmap(batch);
  }
  return pages;
}

/** exec's do_close_on_exec: the FD_CLOEXEC descriptors of `p` close. */
export function* closeOnExec(k: Kernel, cpu: Cpu, p: Process): KernelGen<void> {
  const table = fdTableIfAny(p);
  if (table === undefined) return;
  for (const fd of table.fds()) {
    if (table.get(fd)?.cloexec !== true) continue;
    const file = table.remove(fd);
    if (file !== undefined) yield* releaseFile(k, cpu, file);
  }
}

/** Points `p` at `image`: data emptied, caught signals back to SIG_DFL (flush_signal_handlers). */
export function loadImage(p: Process, image: ProgramImage): void {
  p.image = image;
  for (const key of Object.keys(p.data)) delete p.data[key];
  p.sigActions.forEach((action, sig) => {
    if (action !== undefined && typeof action.handler === 'function') p.sigActions[sig] = undefined;
  });
}

/** execve(path, arg): does not return on success; -ENOENT / -EINVAL when there is no program. */
function* sysExecve(k: Kernel, cpu: Cpu, t: Thread, path: unknown, arg: unknown): KernelGen<number> {
  const image = typeof path === 'string' ? lookupExecutable(k, path) : -EINVAL;
  if (typeof image === 'number') return image;
  yield spend(k.board.costs.execveNs);
  const p = t.process;
  yield* doomThreads(k, cpu, p, t);
  const pages = yield* dropMappings(k, cpu, p);
  yield spend(pages * k.board.costs.pageMapNs);
  yield* closeOnExec(k, cpu, p);
  loadImage(p, image);
  t.robustHead = 0; // its robust list and clear-tid word were in the old address space
  t.clearTidAddr = 0;
  const main = yield* startMainThread(k, cpu, p, arg, t.affinity, (m) => {
    m.sigMask = t.sigMask;
    m.policy = t.policy;
    m.rtPriority = t.rtPriority;
    m.prio = t.prio;
  });
  if (main === null)
    throw new Error('exec: no memory for the new program stack after the old image was gone');
  k.board.trace.mix(TraceKind.Execve, p.pid, main.id);
  yield* threadExit(k, cpu, t);
  return 0; // not reached: threadExit switches away for good
}

/** setpgid(pid, pgid): 0 means the caller, and a group named after the target. */
function sysSetpgid(k: Kernel, t: Thread, pid: number, pgid: number): number {
  if (pid < 0 || pgid < 0) return -EINVAL;
  const self = t.process;
  const target = pid === 0 ? self : k.processes.get(pid);
  if (target === undefined || (target !== self && target.parent !== self)) return -ESRCH;
  if (target.state !== ProcessState.Alive) return -ESRCH;
  const group = pgid === 0 ? target.pid : pgid;
  // The group must be the target's own or one that exists (in the model's single session).
  const exists = [...k.processes.values()].some((p) => p.pgid === group && p.state === ProcessState.Alive);
  if (group !== target.pid && !exists) return -EPERM;
  target.pgid = group;
  return 0;
}

function sysGetpgid(k: Kernel, t: Thread, pid: number): number {
  const target = pid === 0 ? t.process : k.processes.get(pid);
  return target === undefined || target.state === ProcessState.Reaped ? -ESRCH : target.pgid;
}

const num = argNum;

export const EXEC_SYSCALLS: SyscallTable = {
  [SYS_EXECVE]: (k, cpu, t, a) => sysExecve(k, cpu, t, a[0], a[1]),
  [SYS_SETPGID]: function* (k, _cpu, t, a) {
    return sysSetpgid(k, t, num(a[0]), num(a[1]));
  },
  [SYS_GETPGID]: function* (k, _cpu, t, a) {
    return sysGetpgid(k, t, num(a[0]));
  },
};
