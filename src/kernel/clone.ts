/**
 * fork (LIBC-9) and set_tid_address: the two parts of Linux's clone family this model has
 * besides thread creation through the proc scheme (proc.ts).
 *
 * fork copies the calling process: every private page into a new frame (an eager copy, charged
 * `pageCopyNs` a page; Linux copies on write, which defers the same cost to the first writes),
 * the MAP_SHARED regions as the same frames, the libc data segment, signal dispositions, the
 * descriptor table, and the calling thread only, with its signal mask, scheduling class, nice
 * and affinity. Pending signals, the robust list and the clear-tid word are not inherited
 * (Linux's copy_process clears them for a fork without CLONE_CHILD_CLEARTID).
 *
 * How the child resumes: a guest thread is a generator, and a suspended generator cannot be
 * copied, so the child cannot return from the same `yield` its parent returns from. The caller
 * therefore passes the code the child runs, `entry(arg)`: where Linux's child returns 0 from
 * fork, this child's only thread starts at `entry` on a copy of the caller's stack (same stack
 * top, same addresses) and exits the process with what `entry` returns, as a program's main
 * does. libc's fork (src/libc/fork.ts) wraps this, so guest code reads as C reads with the
 * `pid == 0` branch written as a function:
 *
 *     const pid = yield* fork(t, function* (child) { ...; return 0; });  // child's exit code
 *     // parent: pid > 0, or -1 with errno
 *
 * The data segment (`Process.data`, where libc keeps its process-wide globals) is copied deeply:
 * objects, arrays, maps and sets become the child's own, keeping their prototypes and shared
 * references; functions are code, shared as a text segment is. A generator found there cannot
 * be copied and fails the fork loudly.
 */
import { EAGAIN, EFAULT, EINVAL, ENOMEM } from '../abi/errno.ts';
import type { ThreadEntry } from '../abi/guest.ts';
import { SCHED_DEADLINE } from '../abi/sched.ts';
import { SYS_FORK, SYS_SET_TID_ADDRESS } from '../abi/syscalls.ts';
import type { Cpu } from '../hw/cpu.ts';
import { type KernelGen, spend } from '../hw/effects.ts';
import type { Kernel } from './kernel.ts';
import { forkFds } from './fd/process-fds.ts';
import { forkHandles } from './proc-handles.ts';
import { forkSetupNs } from './proc-create.ts';
import { type Process, ProcessState } from './process.ts';
import { argNum, type SyscallTable } from './syscall-types.ts';
import type { Thread } from './thread.ts';
import { flushTlbRange } from './tlb/flush.ts';
import { wordOk } from './uaccess.ts';
import { TraceKind } from '../abi/trace.ts';

/** fork(entry, arg): the child's pid to the parent; the child runs `entry(arg)` (see above). */
export function* sysFork(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  entry: ThreadEntry,
  arg: unknown,
): KernelGen<number> {
  if (typeof entry !== 'function') return -EINVAL;
  // sched_fork: a SCHED_DEADLINE task may not fork (its bandwidth cannot be split).
  if (t.policy === SCHED_DEADLINE) return -EAGAIN;
  const parent = t.process;
  yield spend(forkSetupNs(k, parent)); // processForkNs, less the handle copies a shared page saves
  const data = copyDataSegment(parent.data);
  const child = k.createProcess(parent.image, parent); // shares the MAP_SHARED regions
  if (child === null) return -ENOMEM;
  if (k.mmu.cowFork) {
    yield* shareCow(k, cpu, parent, child);
  } else {
    const pages = parent.vm.copyPrivateInto(child.vm, k.topology.memoryNodeOf(cpu.id));
    if (pages < 0) {
      abandon(k, parent, child);
      return -ENOMEM;
    }
    k.mmu.forkCopiedPages += pages;
    yield spend(pages * (k.board.costs.pageCopyNs + k.board.costs.pageMapNs));
  }
  Object.assign(child.data, data);
  parent.sigActions.forEach((action, sig) => {
    if (action !== undefined) child.sigActions[sig] = { ...action };
  });
  forkHandles(parent, child);
  forkFds(parent, child);
  const thread = k.createThread(child);
  if (thread === null) {
    abandon(k, parent, child);
    return -EAGAIN;
  }
  thread.sigMask = t.sigMask;
  thread.stackTop = t.stackTop;
  thread.policy = t.policy;
  thread.rtPriority = t.rtPriority;
  thread.prio = t.prio;
  thread.affinity = t.affinity === null ? null : t.affinity.slice();
  k.setEntry(thread, entry, arg, true);
  k.board.trace.mix(TraceKind.Fork, parent.pid, child.pid);
  yield* k.policy.start(cpu, thread);
  return child.pid;
}

/**
 * Copy-on-write fork (mm-options.ts; kernel/fork.c dup_mmap): the child maps the parent's private
 * frames, both read-only, costing a page-table update a page; the parent's entries lost their
 * write bit, so every CPU that may cache them is shot down through the configured protocol
 * (dup_mmap ends with flush_tlb_mm(oldmm)) before the child can run.
 */
function* shareCow(k: Kernel, cpu: Cpu, parent: Process, child: Process): KernelGen<void> {
  const shared = parent.vm.shareCowInto(child.vm);
  k.mmu.forkSharedPages += shared.pages;
  yield spend(shared.pages * k.board.costs.pageMapNs);
  if (shared.pages === 0) return;
  if (k.tlb.options.protocol !== 'linux') {
    // Redox's flusher takes ranges (up to 32 pages each), so each region is its own flush.
    for (const [vpn, pages] of shared.runs) yield* flushTlbRange(k, cpu, parent.vm, vpn, pages);
    return;
  }
  // Linux: one flush_tlb_mm over the span of the regions (above the INVLPG ceiling, a full flush).
  let low = Number.POSITIVE_INFINITY;
  let high = 0;
  for (const [vpn, pages] of shared.runs) {
    low = Math.min(low, vpn);
    high = Math.max(high, vpn + pages);
  }
  yield* flushTlbRange(k, cpu, parent.vm, low, high - low);
}

/** Undoes a half-made child: its memory goes back and no one will ever wait for it. */
export function abandon(k: Kernel, parent: Process, child: Process): void {
  child.vm.destroy();
  child.state = ProcessState.Reaped;
  const i = parent.children.indexOf(child);
  if (i >= 0) parent.children.splice(i, 1);
  k.processes.delete(child.pid);
}

/** A deep copy of a data segment (see the module comment). */
export function copyDataSegment(data: Record<string, unknown>): Record<string, unknown> {
  return copyValue(data, new Map()) as Record<string, unknown>;
}

function copyValue(value: unknown, seen: Map<object, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value; // primitives, and functions (code)
  const done = seen.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(copyValue(item, seen));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map();
    seen.set(value, out);
    for (const [key, item] of value) out.set(copyValue(key, seen), copyValue(item, seen));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    seen.set(value, out);
    for (const item of value) out.add(copyValue(item, seen));
    return out;
  }
  if (ArrayBuffer.isView(value)) {
    const out = (value as unknown as { slice(): unknown }).slice();
    seen.set(value, out);
    return out;
  }
  if (Object.prototype.toString.call(value) === '[object Generator]') {
    throw new Error('fork: the data segment holds a running generator, which cannot be copied');
  }
  const out = Object.create(Object.getPrototypeOf(value)) as object;
  seen.set(value, out);
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
    if ('value' in descriptor) descriptor.value = copyValue(descriptor.value, seen);
    Object.defineProperty(out, key, descriptor);
  }
  return out;
}

/**
 * set_tid_address(addr): the word the kernel clears and futex-wakes when this thread exits
 * (CLONE_CHILD_CLEARTID for a thread that was not created with one, such as a process's first
 * thread: what pthread_join of it waits on). Returns the caller's tid, or EFAULT (see below).
 */
function* sysSetTidAddress(t: Thread, addr: number): KernelGen<number> {
  // Linux takes any pointer and ignores a fault when it clears the word at exit; the kernel here
  // writes the word without a fault path, so an address that cannot take the write is refused.
  if (addr !== 0 && !wordOk(t, addr, true)) return -EFAULT;
  t.clearTidAddr = addr;
  return t.id;
}

export const CLONE_SYSCALLS: SyscallTable = {
  [SYS_FORK]: (k, cpu, t, a) => sysFork(k, cpu, t, a[0] as ThreadEntry, a[1]),
  [SYS_SET_TID_ADDRESS]: (_k, _cpu, t, a) => sysSetTidAddress(t, argNum(a[0])),
};
