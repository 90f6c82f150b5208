/**
 * The improved kernel's thread creation (issue 24, SCHED-12): proc:new-thread carrying the new
 * context's registers, stack and TLS base (one round trip where Redox takes two, so creation is
 * this and proc:start: the fix plan's "3 IPC hops -> 2", T4.1), the context pool's share of a
 * creation's cost (T4.2, context-pool.ts), and the register copy a shared page saves (T4.3).
 *
 * The costs, all from hw/cost-model.ts: a round trip is `schemeCallNs` (dispatch, copy, reply);
 * a new context is `threadSetupNs`, of which `contextAllocNs` is the kernel stack and context
 * structure a pool creates ahead; a batched request carries a register set, `procRegsCopyNs`
 * more to copy, unless the registers sit in the page the process shares with the proc scheme.
 */
import { EAGAIN, EINVAL, ENOMEM, ENOSYS } from '../abi/errno.ts';
import type { ThreadEntry, ThreadReturnHook } from '../abi/guest.ts';
import { SCHED_DEADLINE } from '../abi/sched.ts';
import type { Cpu } from '../hw/cpu.ts';
import { type KernelGen, spend } from '../hw/effects.ts';
import type { Kernel } from './kernel.ts';
import { openHandleCount } from './proc-handles.ts';
import type { Process } from './process.ts';
import type { Thread } from './thread.ts';

/**
 * What setting up a new context costs on `cpu`: `threadSetupNs`, or with a context from the
 * CPU's pool only the part that depends on the thread plus the pop. Without a pool it is
 * exactly `threadSetupNs` (the baseline's figure).
 */
export function contextSetupNs(k: Kernel, cpu: Cpu): number {
  const costs = k.board.costs;
  if (!k.contextPool.take(cpu.id)) return costs.threadSetupNs;
  return costs.threadSetupNs - costs.contextAllocNs + costs.contextPoolTakeNs;
}

/** What the proc scheme charges for the register set of one call beyond its round trip. */
export function regsCopyNs(k: Kernel): number {
  return k.options.proc?.shm === true ? 0 : k.board.costs.procRegsCopyNs;
}

/**
 * What a fork costs before its page copies: `processForkNs`, which includes copying each open
 * handle through the proc scheme (`procHandleCopyNs` each); with the shared page the handles
 * move in one batch and that part is saved (issue 24, T4.3). Kept apart from how the pages are
 * copied (eagerly today; copy-on-write would change only the per-page part).
 */
export function forkSetupNs(k: Kernel, parent: Process): number {
  const costs = k.board.costs;
  if (k.options.proc?.shm !== true) return costs.processForkNs;
  const savedNs = openHandleCount(parent) * costs.procHandleCopyNs;
  return Math.max(costs.processForkNs - savedNs, Math.floor(costs.processForkNs / 2));
}

/**
 * A new context in the caller's process, inheriting what Redox's new-thread (and, on the
 * improved kernel, Linux's clone) copies from the creator. Returns the thread, or -errno.
 */
export function newContext(k: Kernel, t: Thread): Thread | number {
  // sched_fork: a deadline task may not fork, its bandwidth would be counted twice (SCHED-7).
  const classes = k.policy.classes !== undefined;
  if (classes && t.policy === SCHED_DEADLINE) return -EAGAIN;
  const created = k.createThread(t.process);
  if (created === null) return -ENOMEM;
  created.affinity = t.affinity; // clone copies the creator's CPU mask (SCHED-8)
  created.sigMask = t.sigMask; // a new thread inherits its creator's signal mask (clone)
  if (classes) {
    // The improved kernel's clone copies the class, RT priority and nice (not a PI boost), so
    // PTHREAD_INHERIT_SCHED inherits (LIBC-5). Redox's new-thread starts every context at the
    // default priority, as dwrr and redbear keep.
    created.policy = t.policy;
    created.rtPriority = t.rtPriority;
    created.prio = t.prio;
  }
  return created;
}

/**
 * proc:new-thread+regs(entry, arg, stackTop, clearTidAddr, onReturn, tlsBase): a new context with
 * its registers set, not yet started (proc:start starts it). Checks the registers before it
 * creates anything, so a bad request leaves no context behind.
 */
export function* sysProcNewThreadRegs(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  entry: ThreadEntry,
  arg: unknown,
  stackTop: number,
  clearTidAddr: number,
  onReturn: ThreadReturnHook | null,
  tlsBase: number,
): KernelGen<number> {
  if (k.options.proc?.threadCreate !== 'batched') return -ENOSYS;
  if (typeof entry !== 'function') return -EINVAL;
  if (onReturn !== null && typeof onReturn !== 'function') return -EINVAL;
  const costNs = k.board.costs.schemeCallNs + contextSetupNs(k, cpu) + regsCopyNs(k);
  k.stats.procSchemeNs += costNs;
  yield spend(costNs);
  const created = newContext(k, t);
  if (typeof created === 'number') return created;
  created.stackTop = stackTop;
  created.clearTidAddr = clearTidAddr;
  created.tlsBase = tlsBase;
  k.setEntry(created, entry, arg, false, onReturn);
  return created.id;
}
