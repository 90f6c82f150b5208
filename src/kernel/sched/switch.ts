/**
 * The generic switch path and the idle loop. Redox's `switch()` (context/switch.rs) is the
 * model: take the switch lock, select, switch stacks, and release the lock on the new stack in
 * the finish hook (models.md §1.5).
 */
import type { Cpu } from '../../hw/cpu.ts';
import { HALT, IRQ_WINDOW, type KernelGen, lock, spend, switchTo, unlock } from '../../hw/effects.ts';
import type { SpinLock } from '../../hw/spinlock.ts';
import type { Kernel } from '../kernel.ts';
import { type Context, isThread, ThreadState } from '../thread.ts';

export const SWITCHED = 1;
export const ALL_IDLE = 2;

/** Switches `cpu` to whatever the policy selects; returns when the caller's context runs again. */
export function* schedule(k: Kernel, cpu: Cpu): KernelGen<number> {
  const prev = cpu.current as Context;
  k.needResched[cpu.id] = 0;
  const switchLock = k.policy.switchLock(cpu.id);
  yield lock(switchLock);
  if (isThread(prev) && prev.preemptLocks > 0 && prev.state === ThreadState.Runnable) {
    yield unlock(switchLock);
    return SWITCHED; // not preemptable: pretend the switch happened (switch.rs)
  }
  const next = yield* k.policy.select(cpu, prev);
  if (next === null) {
    yield unlock(switchLock);
    return ALL_IDLE;
  }
  if (next === prev) {
    yield unlock(switchLock);
    return SWITCHED;
  }
  const costNs = k.beginSwitch(cpu, prev, next);
  yield switchTo(next, switchFinish(k, cpu, switchLock, costNs));
  return SWITCHED;
}

/**
 * Runs on the next context's stack: the architectural switch's cost, the lock release, then
 * the policy's after-switch work (if it has any).
 */
function* switchFinish(k: Kernel, cpu: Cpu, switchLock: SpinLock, costNs: number): KernelGen<void> {
  yield spend(costNs);
  yield unlock(switchLock);
  if (k.policy.afterSwitch !== undefined) yield* k.policy.afterSwitch(cpu);
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
