/**
 * Orphans: where an exiting process's children go, SIGCHLD to the parent at a child's exit, and
 * the calls that go with them (getppid, prctl's child-subreaper options). Two rules, picked by
 * `[kernel] orphans`:
 * - `redox` (the default; redox-os/kernel src/syscall/process.rs `exit`): the children are given
 *   to the exiting process's own parent ("Transfer child processes to parent (TODO: to init)"),
 *   its unreaped children's statuses forwarded to that parent's waitpid queue with them. A
 *   grandparent that waits only for the child it spawned leaves the orphans zombies. Redox has
 *   no prctl (ENOSYS).
 * - `linux` (kernel/exit.c forget_original_parent, find_new_reaper): the nearest living
 *   ancestor that set PR_SET_CHILD_SUBREAPER, else init (the pid namespace's child_reaper:
 *   here the service init, named by its image, kernel.childReaper), else the root process. An
 *   orphan the root adopts is released at its exit, as pid 1's reap loop would collect it: the
 *   root is the harness, whose own waits are for its workloads only.
 * Both kernels send SIGCHLD to the parent at a child's exit (Linux do_notify_parent, Redox's
 * exit: `send_signal(parent, SIGCHLD, ...)`); its default action is to ignore it.
 */
import { EFAULT, EINVAL, ENOSYS } from '../abi/errno.ts';
import { SIGCHLD } from '../abi/signal.ts';
import { PR_GET_CHILD_SUBREAPER, PR_SET_CHILD_SUBREAPER, SYS_GETPPID, SYS_PRCTL } from '../abi/syscalls.ts';
import type { Cpu } from '../hw/cpu.ts';
import type { KernelGen } from '../hw/effects.ts';
import type { Kernel } from './kernel.ts';
import { type Process, ProcessState } from './process.ts';
import { discards, signalProcess } from './signal.ts';
import { argNum, type SyscallTable } from './syscall-types.ts';
import { type Thread, ThreadState } from './thread.ts';
import { putUser32, wordOk } from './uaccess.ts';

export const ORPHAN_MODES = ['redox', 'linux'] as const;
export type OrphanMode = (typeof ORPHAN_MODES)[number];

const living = (p: Process) => p.state === ProcessState.Alive && p.liveThreads > 0;

/** Who takes the children of `p`, which is exiting; null: no one (the root is exiting). */
export function newReaper(k: Kernel, p: Process): Process | null {
  if ((k.options.orphans ?? 'redox') === 'redox') return p.parent;
  for (let a = p.parent; a !== null; a = a.parent) if (a.childSubreaper && living(a)) return a;
  const init = k.childReaper;
  if (init !== null && init !== p && living(init)) return init;
  return k.root === p ? null : k.root;
}

/**
 * The exiting `p` hands its children to their new parent. A zombie among them is announced to
 * the new parent as if it had just exited (Linux reparent_leader's do_notify_parent; Redox's
 * forwarded waitpid statuses). With no one to take them (the root's exit ends the run), zombies
 * are released as before.
 */
export function* reparentChildren(k: Kernel, cpu: Cpu, p: Process): KernelGen<void> {
  const reaper = newReaper(k, p);
  for (const child of [...p.children]) {
    if (child.state === ProcessState.Reaped) continue;
    if (reaper === null) {
      if (child.state === ProcessState.Zombie) {
        child.state = ProcessState.Reaped;
        k.releaseProcess(child);
      }
      continue;
    }
    p.children.splice(p.children.indexOf(child), 1);
    child.parent = reaper;
    child.adopted = true;
    // The root's children are the harness's workload table: an adoptee is not one of them.
    if (reaper !== k.root) reaper.children.push(child);
    if (child.state === ProcessState.Zombie) yield* notifyParent(k, cpu, child);
  }
}

/**
 * `p` has become a zombie: its parent learns it. The root's adoptee is released at once; any
 * other parent gets SIGCHLD (unless it would throw it away: no handler, not blocked or awaited,
 * so nothing is counted or traced for the default disposition) and its wait4 sleepers are woken.
 */
export function* notifyParent(k: Kernel, cpu: Cpu, p: Process): KernelGen<void> {
  const parent = p.parent;
  if (parent === null) return;
  if (parent === k.root && p.adopted) {
    p.state = ProcessState.Reaped;
    k.releaseProcess(p);
    return;
  }
  if (living(parent) && !discards(parent, SIGCHLD)) yield* signalProcess(k, cpu, parent, SIGCHLD);
  for (const waiter of parent.threads) {
    if (waiter.state === ThreadState.Blocked && waiter.blockedOn === 'wait4')
      yield* k.wakeThread(cpu, waiter);
  }
}

/** prctl(option, arg2): PR_SET_CHILD_SUBREAPER / PR_GET_CHILD_SUBREAPER (kernel/sys.c). */
function* sysPrctl(k: Kernel, t: Thread, option: number, arg2: number): KernelGen<number> {
  if ((k.options.orphans ?? 'redox') === 'redox') return -ENOSYS;
  const p = t.process;
  if (option === PR_SET_CHILD_SUBREAPER) {
    p.childSubreaper = arg2 !== 0;
    return 0;
  }
  if (option === PR_GET_CHILD_SUBREAPER) {
    if (!wordOk(t, arg2, true)) return -EFAULT;
    putUser32(t, arg2, p.childSubreaper ? 1 : 0);
    return 0;
  }
  return -EINVAL;
}

export const ORPHAN_SYSCALLS: SyscallTable = {
  [SYS_GETPPID]: function* (_k, _cpu, t) {
    return t.process.parent?.pid ?? 0;
  },
  [SYS_PRCTL]: (k, _cpu, t, a) => sysPrctl(k, t, argNum(a[0]), argNum(a[1])),
};
