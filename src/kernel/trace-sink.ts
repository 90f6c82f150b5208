/**
 * The kernel's one observer seam for timeline exporters (report/trace/, issue 21): an optional
 * sink on the kernel, null unless a trace was asked for, so the hot paths pay one null check.
 * The sink only reads: it must not change kernel or thread state, draw from the PRNG or mix the
 * trace hash, so a run with a trace has the trace hash of the same run without one.
 *
 * What it is told (call sites: kernel.ts wakeThread/expireTimeout/the switch hook, the syscall
 * hook, irq.ts irqEntry; IPIs come from hw/lapic.ts's ApicBus.ipiObserver):
 * - `switched`: `cpu` went from `prev` to `next` (either may be the idle context); a thread
 *   switched out says why by its state (Blocked with `blockedWhat`, Runnable: preempted, Dead).
 * - `woke`: `cpu`'s running context made the blocked `t` runnable; the policy has queued it.
 * - `timedOut`: `t`'s timed block expired (a timer, no waker thread).
 * - `syscallEntered` / `syscallLeft`: `t` entered system call `nr` / returned from it.
 * - `interrupted`: `cpu` took `vector` (its handler about to run).
 */
import type { ExecContext } from '../hw/context.ts';
import type { Cpu } from '../hw/cpu.ts';
import type { KernelGen } from '../hw/effects.ts';
import type { Thread } from './thread.ts';

export interface KernelTraceSink {
  switched(cpu: Cpu, prev: ExecContext, next: ExecContext): void;
  woke(cpu: Cpu, t: Thread): void;
  timedOut(t: Thread): void;
  syscallEntered(t: Thread, nr: number): void;
  syscallLeft(t: Thread): void;
  interrupted(cpu: Cpu, vector: number): void;
}

/**
 * A system call's body with `sink` told when it returns; only wrapped when a sink is set. A call
 * that never returns (exit) or throws is not reported as left: the thread's next state says it.
 */
export function* tracedSyscall<T>(
  sink: KernelTraceSink,
  t: Thread,
  nr: number,
  body: KernelGen<T>,
): KernelGen<T> {
  sink.syscallEntered(t, nr);
  const result = yield* body;
  sink.syscallLeft(t);
  return result;
}
