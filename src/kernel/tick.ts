/**
 * The scheduler tick and what defers it (HW-12, SCHED-1, SCHED-9).
 *
 * Periodic sources (the PIT relayed by IPI, the LAPIC timer) tick every CPU every period, idle
 * or not. With the LAPIC timer in TSC-deadline mode the kernel is tickless: after every switch
 * and every tick it programs the CPU's next deadline from what the policy next needs there
 * (`SchedPolicy.nextTickNs`: its slice end, its earliest timer), so a halted CPU with nothing due
 * gets no interrupt. One deadline can stand for several nominal periods; the tick passes that
 * count to the policy, whose quantum is counted in periods (the programming is clockevent.ts's,
 * which also folds in the improved kernel's hrtimers, hrtimer.ts).
 *
 * A tick that wants to preempt a context holding preempt locks (Redox `preempt_locks`) does
 * not switch; the switch is remembered and made when the count drops to 0 (`preemptEnable`).
 */
import { fail } from '../engine/assert.ts';
import type { Cpu } from '../hw/cpu.ts';
import type { KernelGen } from '../hw/effects.ts';
import { programTimersNow } from './clockevent.ts';
import { cpufreqUpdate } from './cpufreq/cpufreq.ts';
import { runDueTimers } from './hrtimer.ts';
import type { Kernel } from './kernel.ts';
import { schedule } from './sched/switch.ts';
import { isThread, type Thread } from './thread.ts';

/**
 * A timer interrupt on `cpu`: account it, fire the hrtimers due (improved kernel: in
 * high-resolution mode the tick is itself an hrtimer, so a timer whose slack reaches it rides
 * it), let the policy tick, switch or defer the switch, and program the one-shot.
 */
export function* tick(k: Kernel, cpu: Cpu): KernelGen<void> {
  k.stats.ticks++;
  if (k.hotplug.online[cpu.id] === 0) k.hotplug.offlineTicks++; // never, if hotplug.ts works
  const current = cpu.current;
  if (!isThread(current)) k.stats.idleTicks++;
  if (k.hrtimers?.hasDue(cpu.id, k.nowNs)) yield* runDueTimers(k, cpu);
  // cpufreq_update_util, as scheduler_tick's load update calls it: before any switch below.
  if (k.cpufreq !== null) yield* cpufreqUpdate(k, cpu);
  const tickless = k.deadlineTimer !== null;
  const periods = tickless ? elapsedPeriods(k, cpu) : 1;
  if (yield* k.policy.tick(cpu, periods)) {
    if (isThread(current) && current.preemptLocks > 0) {
      k.percpu.preemptDeferred[cpu.id] = 1;
      k.stats.preemptionsDeferred++;
    } else {
      yield* schedule(k, cpu);
    }
  }
  const write = programTimersNow(k, cpu);
  if (write !== null) yield write;
}

/** Whole nominal periods since the deadline now firing was programmed (at least 1). */
function elapsedPeriods(k: Kernel, cpu: Cpu): number {
  const periods = Math.floor((k.nowNs - k.deadlineProgrammedNs[cpu.id]!) / k.tickPeriodNs);
  return periods < 1 ? 1 : periods;
}

/** PreemptGuard::new: the running context may not be preempted until the guard drops. */
export function preemptDisable(t: Thread): void {
  t.preemptLocks++;
}

/**
 * PreemptGuard's drop on `cpu`: when the last guard drops and a tick wanted to preempt
 * meanwhile, the deferred switch happens now rather than at the next quantum.
 */
export function* preemptEnable(k: Kernel, cpu: Cpu, t: Thread): KernelGen<void> {
  if (releasePreemptLock(k, cpu, t)) {
    k.needResched[cpu.id] = 0;
    yield* schedule(k, cpu);
  }
}

/**
 * Drops one preempt lock of `t` (running on `cpu`); true when that made a deferred switch due.
 * The switch is also flagged as a pending reschedule, so a caller that cannot switch here
 * (it is not on the CPU's stack) gets it at the CPU's next return to user mode.
 */
export function releasePreemptLock(k: Kernel, cpu: Cpu, t: Thread): boolean {
  if (t.preemptLocks <= 0) fail(`preempt: context ${t.id} holds no preempt lock`);
  t.preemptLocks--;
  if (t.preemptLocks > 0 || k.percpu.preemptDeferred[cpu.id] === 0) return false;
  k.percpu.preemptDeferred[cpu.id] = 0;
  k.stats.deferredPreemptionsRun++;
  k.needResched[cpu.id] = 1;
  return true;
}
