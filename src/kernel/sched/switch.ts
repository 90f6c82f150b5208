/**
 * The generic switch path and the idle loop. Redox's `switch()` (context/switch.rs) is the
 * model: take the switch lock, select, switch stacks, and release the lock on the new stack in
 * the finish hook (models.md §1.5).
 */
import type { Cpu } from '../../hw/cpu.ts';
import { HALT, IRQ_WINDOW, type KernelGen, lock, spend, switchTo, unlock } from '../../hw/effects.ts';
import type { SpinLock } from '../../hw/spinlock.ts';
import { InjectedKernelFault } from '../fault.ts';
import type { Kernel } from '../kernel.ts';
import { programTimers } from '../clockevent.ts';
import { type Context, isThread, ThreadState } from '../thread.ts';

export const SWITCHED = 1;
export const ALL_IDLE = 2;

/** Switches `cpu` to whatever the policy selects; returns when the caller's context runs again. */
export function* schedule(k: Kernel, cpu: Cpu): KernelGen<number> {
  const prev = cpu.current as Context;
  k.needResched[cpu.id] = 0;
  k.scheduleCalls++;
  const switchLock = k.policy.switchLock(cpu.id);
  yield lock(switchLock);
  if (isThread(prev) && prev.preemptLocks > 0 && prev.state === ThreadState.Runnable) {
    yield unlock(switchLock);
    if (k.programsTimers) yield* programTimers(k, cpu);
    return SWITCHED; // not preemptable: pretend the switch happened (switch.rs)
  }
  let next: Context | null;
  try {
    if (k.switchFaultDue()) throw new InjectedKernelFault(`fault injected in switch ${k.scheduleCalls}`);
    next = yield* k.policy.select(cpu, prev);
  } catch (error) {
    if (!(error instanceof InjectedKernelFault)) throw error;
    yield* unwindSwitchFault(k, cpu);
    return yield* schedule(k, cpu);
  }
  if (next === null) {
    yield unlock(switchLock);
    if (k.programsTimers) yield* programTimers(k, cpu);
    return ALL_IDLE;
  }
  if (next === prev) {
    yield unlock(switchLock);
    if (k.programsTimers) yield* programTimers(k, cpu);
    return SWITCHED;
  }
  const costNs = k.beginSwitch(cpu, prev, next);
  yield switchTo(next, switchFinish(k, cpu, switchLock, costNs));
  return SWITCHED;
}

/**
 * A kernel fault taken inside a switch (SCHED-9): unwinding drops every guard the CPU holds, as
 * Rust drops lock guards while it unwinds, and with them the switch lock, the switch-in-progress
 * flag (Redox's CONTEXT_SWITCH_LOCK). Without this the CPU, and every CPU that later switches,
 * would spin on it forever. The caller then retries the switch, so the CPU keeps scheduling.
 */
function* unwindSwitchFault(k: Kernel, cpu: Cpu): KernelGen<void> {
  k.stats.switchFaults++;
  k.traceDecision(0x5f, cpu.id, k.scheduleCalls);
  for (const l of [...k.policy.locks(), ...k.futex.locks()]) {
    if (l.holder === cpu.id) yield unlock(l);
  }
}

/**
 * Runs on the next context's stack: the architectural switch's cost, the lock release, the
 * policy's after-switch work (if it has any), then the cache warm-up of a migrated context.
 */
function* switchFinish(k: Kernel, cpu: Cpu, switchLock: SpinLock, costNs: number): KernelGen<void> {
  yield spend(costNs);
  yield unlock(switchLock);
  if (k.programsTimers) yield* programTimers(k, cpu);
  if (k.policy.afterSwitch !== undefined) yield* k.policy.afterSwitch(cpu);
  const warmNs = k.pendingWarmNs[cpu.id]!;
  if (warmNs > 0) {
    k.pendingWarmNs[cpu.id] = 0;
    yield spend(warmNs);
  }
}

/** A CPU's idle context (startup/mod.rs run_userspace): switch, then `hlt` or `nop`. */
export function* idleLoop(k: Kernel, cpu: Cpu): KernelGen<void> {
  for (;;) {
    const result = yield* schedule(k, cpu);
    if (result === ALL_IDLE) {
      k.noteHalt(cpu);
      yield HALT;
    } else {
      yield IRQ_WINDOW;
    }
  }
}
