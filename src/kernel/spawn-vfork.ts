/**
 * posix_spawn without the address-space copy (issue 24, SCHED-12): the improved kernel's
 * `proc:spawn-vfork(path, arg, attrs)`. glibc's Linux posix_spawn (sysdeps/unix/sysv/linux/
 * spawni.c, __spawnix) clones with CLONE_VM | CLONE_VFORK: the child runs on the parent's
 * memory, the parent sleeps until the child has exec'ed or failed, and the child's errno comes
 * back through the shared memory as posix_spawn's return value (no child exits 127 for it).
 * __spawni_child applies, in this order: SETSIGDEF (the set back to SIG_DFL), SETSCHEDULER or
 * else SETSCHEDPARAM, SETPGROUP (setpgid(0, pgrp)), RESETIDS (seteuid(getuid()), setegid(getgid())),
 * the file actions, SETSIGMASK, then the exec.
 *
 * Here the kernel does the child's part in the parent's call, since nothing else can run in
 * the child before its exec: a process with a copy of the descriptor table and no mappings,
 * the attributes, the file actions (spawn-actions.ts, run as the child's thread), then the
 * program (its FD_CLOEXEC descriptors closed). A failure at any step undoes the child and returns its
 * errno, so the parent never has a child to reap for it. RESETIDS sets the child's effective uid
 * to its real one (kernel/uids.ts), which cannot fail; the model has no group ids.
 *
 * Cost: `vforkSpawnNs` for the task, `execveNs` for the exec; no page is copied, whatever the
 * parent has mapped (the baseline's fork copies every private page, clone.ts).
 */
import { EAGAIN, EINVAL, ENOMEM, ENOSYS, EPERM } from '../abi/errno.ts';
import { isRtPolicy, RT_PRIO_MAX } from '../abi/sched.ts';
import {
  POSIX_SPAWN_FLAGS_ALL,
  POSIX_SPAWN_RESETIDS,
  POSIX_SPAWN_SETPGROUP,
  POSIX_SPAWN_SETSCHEDPARAM,
  POSIX_SPAWN_SETSCHEDULER,
  POSIX_SPAWN_SETSIGDEF,
  POSIX_SPAWN_SETSIGMASK,
  type SpawnAttrs,
} from '../abi/spawn.ts';
import { TraceKind } from '../abi/trace.ts';
import type { Cpu } from '../hw/cpu.ts';
import { type KernelGen, spend } from '../hw/effects.ts';
import { abandon } from './clone.ts';
import { closeOnExec, dropMappings, loadImage, lookupExecutable } from './exec.ts';
import { closeAllFds, forkFds } from './fd/process-fds.ts';
import { applyFileActions, validFileActions } from './spawn-actions.ts';
import type { Kernel } from './kernel.ts';
import { startMainThread } from './proc.ts';
import { forkHandles } from './proc-handles.ts';
import { type Process, ProcessState } from './process.ts';
import type { Thread } from './thread.ts';

/** The scheduling the child's program starts with: [policy, rtPriority], or -errno. */
function spawnSched(k: Kernel, t: Thread, attrs: SpawnAttrs): [number, number] | number {
  const flags = attrs.flags;
  if ((flags & (POSIX_SPAWN_SETSCHEDULER | POSIX_SPAWN_SETSCHEDPARAM)) === 0) return [t.policy, t.rtPriority];
  const classes = k.policy.classes;
  if (classes === undefined) return -ENOSYS; // the kernel has no sched_setscheduler
  const policy = (flags & POSIX_SPAWN_SETSCHEDULER) !== 0 ? attrs.policy : t.policy;
  const priority = attrs.priority;
  if (!classes.includes(policy) || priority < 0 || priority > RT_PRIO_MAX) return -EINVAL;
  if (isRtPolicy(policy) !== (priority !== 0)) return -EINVAL;
  if (isRtPolicy(policy) && t.process.uid !== 0) return -EPERM; // RLIMIT_RTPRIO 0
  return [policy, priority];
}

/** The process group the child joins, or -errno (setpgid's checks, exec.ts). */
function spawnGroup(k: Kernel, child: Process, attrs: SpawnAttrs): number {
  if ((attrs.flags & POSIX_SPAWN_SETPGROUP) === 0) return child.pgid;
  if (attrs.pgroup < 0) return -EINVAL;
  const group = attrs.pgroup === 0 ? child.pid : attrs.pgroup;
  if (group === child.pid) return group;
  const exists = [...k.processes.values()].some((p) => p.pgid === group && p.state === ProcessState.Alive);
  return exists ? group : -EPERM;
}

function validAttrs(attrs: unknown): attrs is SpawnAttrs {
  if (attrs === null || typeof attrs !== 'object') return false;
  const a = attrs as Record<string, unknown>;
  const fields = ['flags', 'pgroup', 'sigmask', 'sigdefault', 'policy', 'priority'];
  return fields.every((f) => Number.isInteger(a[f])) && ((a.flags as number) & ~POSIX_SPAWN_FLAGS_ALL) === 0;
}

/** proc:spawn-vfork(path, arg, attrs): the child's pid, or -errno of the step that failed. */
export function* sysProcSpawnVfork(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  path: unknown,
  arg: unknown,
  attrs: unknown,
  actions: unknown = [],
): KernelGen<number> {
  if (k.options.proc?.vforkSpawn !== true) return -ENOSYS;
  if (!validAttrs(attrs) || !validFileActions(actions)) return -EINVAL;
  const parent = t.process;
  yield spend(k.board.costs.vforkSpawnNs);
  const child = k.createProcess(parent.image, parent);
  if (child === null) return -ENOMEM;
  yield* dropMappings(k, cpu, child); // it shared the parent's memory, and exec leaves none of it
  forkHandles(parent, child);
  parent.sigActions.forEach((action, sig) => {
    if (action !== undefined) child.sigActions[sig] = { ...action };
  });
  if ((attrs.flags & POSIX_SPAWN_SETSIGDEF) !== 0) {
    for (let sig = 1; sig <= 32; sig++)
      if ((attrs.sigdefault >>> (sig - 1)) & 1) child.sigActions[sig] = undefined;
  }
  forkFds(parent, child);
  // The child's steps run in glibc's order, so the first that fails names the errno.
  const sched = spawnSched(k, t, attrs);
  const group = typeof sched === 'number' ? 0 : spawnGroup(k, child, attrs);
  let thread: Thread | null = null;
  let acted = 0;
  if (typeof sched !== 'number' && group >= 0 && actions.length > 0) {
    thread = k.createThread(child); // the child's thread runs its file actions (spawn-actions.ts)
    acted = thread === null ? -EAGAIN : yield* applyFileActions(k, cpu, thread, actions);
  }
  const image = lookupExecutable(k, path);
  const failure = typeof sched === 'number' ? sched : group < 0 ? group : acted < 0 ? acted : image;
  if (typeof failure === 'number' || typeof sched === 'number' || typeof image === 'number') {
    yield* closeAllFds(k, cpu, child);
    if (thread !== null) k.markDead(thread);
    abandon(k, parent, child);
    return typeof failure === 'number' ? failure : -EINVAL;
  }
  child.pgid = group;
  if ((attrs.flags & POSIX_SPAWN_RESETIDS) !== 0) child.uid = child.ruid;
  yield spend(k.board.costs.execveNs);
  yield* closeOnExec(k, cpu, child);
  loadImage(child, image);
  const sigMask = (attrs.flags & POSIX_SPAWN_SETSIGMASK) !== 0 ? attrs.sigmask >>> 0 : t.sigMask;
  const main = yield* startMainThread(
    k,
    cpu,
    child,
    arg,
    t.affinity,
    (m) => {
      m.sigMask = sigMask;
      m.policy = sched[0];
      m.rtPriority = sched[1];
      m.prio = t.prio; // nice is inherited
    },
    thread,
  );
  if (main === null) {
    abandon(k, parent, child);
    return -ENOMEM;
  }
  k.board.trace.mix(TraceKind.SpawnVfork, parent.pid, child.pid);
  return child.pid;
}
