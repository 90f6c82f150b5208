/**
 * Programming a CPU's one-shot timer (Linux's clock event device, tick_program_event): in
 * TSC-deadline (tickless) mode the deadline is the earliest of what the policy next needs (its
 * slice end, its own timers; HW-12) and, with hrtimers, the earliest hrtimer; with a periodic
 * tick and hrtimers, the separate one-shot carries only the hrtimers and the scheduler's own
 * timers. A write is a WRMSR to IA32_TSC_DEADLINE; the hrtimer device is written only when the
 * value changes (hrtimer_reprogram skips an unchanged expires_next).
 */
import type { Cpu } from '../hw/cpu.ts';
import { type KernelGen, type SpendEffect, spend } from '../hw/effects.ts';
import type { Kernel } from './kernel.ts';
import { NO_DEADLINE } from '../engine/deadline.ts';

/** Programs whatever one-shot `cpu` has from the kernel's current needs (nothing without one). */
export function* programTimers(k: Kernel, cpu: Cpu): KernelGen<void> {
  const write = programTimersNow(k, cpu);
  if (write !== null) yield write;
}

/**
 * programTimers without a generator, for the paths every tick and switch takes (issue 14: one
 * generator fewer each time): programs the one-shot now and returns the register write's cost
 * for the caller to yield, or null when nothing was written.
 */
export function programTimersNow(k: Kernel, cpu: Cpu): SpendEffect | null {
  if (k.deadlineTimer !== null) return programDeadlineNow(k, cpu);
  if (k.hrtimers === null) return null;
  return armHrtimerDevice(k, cpu.id) ? spend(k.board.costs.tscDeadlineWriteNs) : null;
}

/** Tickless: writes the CPU's TSC deadline from the policy's next need and its hrtimers. */
function programDeadlineNow(k: Kernel, cpu: Cpu): SpendEffect {
  const timer = k.deadlineTimer!;
  let deadlineNs = k.policy.nextTickNs(cpu, k.tickPeriodNs);
  if (k.hrtimers !== null) deadlineNs = Math.min(deadlineNs, k.hrtimers.nextHardNs(cpu.id));
  if (deadlineNs !== timer.deadlineNs(cpu.id)) {
    timer.arm(cpu.id, deadlineNs);
    k.deadlineProgrammedNs[cpu.id] = k.nowNs;
  }
  return spend(k.board.costs.tscDeadlineWriteNs);
}

/**
 * The hrtimer one-shot of `cpuId` (periodic-tick modes) armed for its earliest need; true when
 * the value changed. Also how a clock step reaches another CPU's device (clock_was_set's
 * retrigger_next_event IPI, folded into the call).
 */
export function armHrtimerDevice(k: Kernel, cpuId: number): boolean {
  const timers = k.hrtimers!;
  const cpu = k.cpus[cpuId]!;
  const policyNs = k.policy.hrtimerNextNs === undefined ? NO_DEADLINE : k.policy.hrtimerNextNs(cpu);
  const nextNs = Math.min(timers.nextHardNs(cpuId), policyNs);
  if (nextNs === timers.device.deadlineNs(cpuId)) return false;
  timers.device.arm(cpuId, nextNs);
  return true;
}

/** Re-arms `cpuId`'s one-shot at once, with no cost charged: a clock step's retrigger on every CPU. */
export function retrigger(k: Kernel, cpuId: number): void {
  const timer = k.deadlineTimer;
  if (timer !== null && k.hrtimers !== null) {
    const cpu = k.cpus[cpuId]!;
    const deadlineNs = Math.min(k.policy.nextTickNs(cpu, k.tickPeriodNs), k.hrtimers.nextHardNs(cpuId));
    if (deadlineNs !== timer.deadlineNs(cpuId)) timer.arm(cpuId, deadlineNs);
  } else if (k.hrtimers !== null) {
    armHrtimerDevice(k, cpuId);
  }
}
