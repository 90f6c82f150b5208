/**
 * The generic switch path, its accounting, and the idle loop. Redox's `switch()`
 * (context/switch.rs) is the model: take the switch lock, select, switch stacks, and release
 * the lock on the new stack in the finish hook (models.md §1.5). The accounting of a switch
 * (per-CPU switch and migration counts, the migrated context's cache warm-up, wakeup-to-run
 * latency, the CR3 load when the address space differs) is done once it is decided, as
 * Linux's context_switch and sched_info_switch do it.
 */
import { fail } from '../../engine/assert.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { HALT, IRQ_WINDOW, type KernelGen, lock, spend, switchTo, unlock } from '../../hw/effects.ts';
import { migrationWarmNs } from '../../hw/migration.ts';
import type { SpinLock } from '../../hw/spinlock.ts';
import { InjectedKernelFault } from '../fault.ts';
import { mustPark, playDead } from '../hotplug-park.ts';
import { idleExitNs, noteIdleHalt } from '../idle-exit.ts';
import { checkSwitchInvariants } from '../invariants.ts';
import type { Kernel } from '../kernel.ts';
import { programTimersNow } from '../clockevent.ts';
import { type Context, isThread, type Thread, ThreadState } from '../thread.ts';
import { TraceKind } from '../../abi/trace.ts';

export const SWITCHED = 1;
export const ALL_IDLE = 2;

/** Switches `cpu` to whatever the policy selects; returns when the caller's context runs again. */
export function* schedule(k: Kernel, cpu: Cpu): KernelGen<number> {
  const prev = cpu.current as Context;
  k.needResched[cpu.id] = 0;
  const call = k.switchFaultPlan.countCall();
  const switchLock = k.policy.switchLock(cpu.id);
  yield lock(switchLock);
  if (isThread(prev) && prev.preemptLocks > 0 && prev.state === ThreadState.Runnable) {
    yield unlock(switchLock);
    const write = k.programsTimers ? programTimersNow(k, cpu) : null;
    if (write !== null) yield write;
    return SWITCHED; // not preemptable: pretend the switch happened (switch.rs)
  }
  let next: Context | null;
  try {
    if (k.switchFaultPlan.due(call)) throw new InjectedKernelFault(`fault injected in switch ${call}`);
    next = yield* k.policy.select(cpu, prev);
  } catch (error) {
    if (!(error instanceof InjectedKernelFault)) throw error;
    yield* unwindSwitchFault(k, cpu, call);
    return yield* schedule(k, cpu);
  }
  if (next === null) {
    yield unlock(switchLock);
    const write = k.programsTimers ? programTimersNow(k, cpu) : null;
    if (write !== null) yield write;
    return ALL_IDLE;
  }
  if (next === prev) {
    yield unlock(switchLock);
    const write = k.programsTimers ? programTimersNow(k, cpu) : null;
    if (write !== null) yield write;
    return SWITCHED;
  }
  const costNs = beginSwitch(k, cpu, prev, next);
  yield switchTo(next, switchFinish(k, cpu, switchLock, costNs));
  return SWITCHED;
}

/**
 * Bookkeeping of a switch decided on `cpu`; returns the switch's cost in ns. A migrated
 * context's warm-up goes to `pendingWarmNs`, paid after the switch lock is released.
 */
export function beginSwitch(k: Kernel, cpu: Cpu, prev: Context, next: Context): number {
  if (isThread(prev)) {
    prev.running = false;
    prev.lastStintNs = prev.cpuTimeNs - prev.stintStartCpuNs;
  }
  k.stats.switches[cpu.id]!++;
  k.mmu.lazy[cpu.id] = isThread(next) ? 0 : 1; // idle keeps CR3: lazy TLB (kernel/tlb/linux.ts)
  let costNs = k.board.costs.contextSwitchNs;
  if (isThread(next)) costNs += switchIn(k, cpu, next);
  if (isThread(next) && !isThread(prev)) costNs += idleExitNs(k, cpu); // leaving idle (idle-exit.ts)
  if (k.options.checkInvariants) checkSwitchInvariants(k, cpu, prev, next);
  return costNs;
}

/** `next` starts running on `cpu`: its migration, wakeup latency and CR3 load; returns the CR3 cost. */
function switchIn(k: Kernel, cpu: Cpu, next: Thread): number {
  if (next.running) fail(`kernel: context ${next.id} selected while running`);
  if (next.state !== ThreadState.Runnable) fail(`kernel: context ${next.id} selected while not runnable`);
  next.running = true;
  if (next.allowedOn(cpu.id)) next.affinityMovePending = false;
  if (next.lastCpu >= 0 && next.lastCpu !== cpu.id) {
    k.percpu.pendingWarmNs[cpu.id] = migrated(k, next.lastCpu, cpu.id, next.lastStintNs);
  }
  next.lastCpu = cpu.id;
  next.stintStartCpuNs = next.cpuTimeNs;
  if (next.wokenAtNs >= 0) {
    k.stats.recordWakeLatency(k.nowNs - next.wokenAtNs);
    next.wokenAtNs = -1;
  }
  if (k.percpu.loadedAsid[cpu.id] === next.asid) {
    // Back in the space already in CR3 (from idle): flushes it missed while lazy are caught up.
    return k.mmu.catchUp(cpu.id, next.process.vm) ? k.board.costs.tlbFlushNs : 0;
  }
  k.percpu.loadedAsid[cpu.id] = next.asid; // CR3 load: the address space differs
  k.mmu.switchMm(cpu.id, next.process.vm);
  return k.board.costs.addressSpaceSwitchNs;
}

/** Counts a migration and returns the cache warm-up its context pays on arrival (SCHED-5). */
function migrated(k: Kernel, fromCpu: number, toCpu: number, footprintNs: number): number {
  const topology = k.topology;
  k.stats.migrationsIn[toCpu]!++;
  if (!topology.samePackage(fromCpu, toCpu)) k.stats.migrationsCrossPackage++;
  if (topology.nodeOf(fromCpu) !== topology.nodeOf(toCpu)) k.stats.migrationsCrossNode++;
  const warmNs = migrationWarmNs(topology, k.board.costs, fromCpu, toCpu, true, footprintNs);
  k.stats.migrationWarmNs += warmNs;
  return warmNs;
}

/**
 * A kernel fault taken inside a switch (SCHED-9): unwinding drops every guard the CPU holds, as
 * Rust drops lock guards while it unwinds, and with them the switch lock, the switch-in-progress
 * flag (Redox's CONTEXT_SWITCH_LOCK). Without this the CPU, and every CPU that later switches,
 * would spin on it forever. The caller then retries the switch, so the CPU keeps scheduling.
 */
function* unwindSwitchFault(k: Kernel, cpu: Cpu, call: number): KernelGen<void> {
  k.stats.switchFaults++;
  k.traceDecision(TraceKind.SwitchFaultUnwound, cpu.id, call);
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
  const write = k.programsTimers ? programTimersNow(k, cpu) : null;
  if (write !== null) yield write;
  if (k.policy.afterSwitch !== undefined) yield* k.policy.afterSwitch(cpu);
  const warmNs = k.percpu.pendingWarmNs[cpu.id]!;
  if (warmNs > 0) {
    k.percpu.pendingWarmNs[cpu.id] = 0;
    yield spend(warmNs);
  }
}

/** A CPU's idle context (startup/mod.rs run_userspace): switch, then `hlt` or `nop`. */
export function* idleLoop(k: Kernel, cpu: Cpu): KernelGen<void> {
  for (;;) {
    const result = yield* schedule(k, cpu);
    if (k.contextPool.wantsRefill(cpu.id)) {
      // The context pool's background refill (issue 24, context-pool.ts): one context per pass,
      // charged to this CPU's idle time, then look for work again before the next.
      yield spend(k.board.costs.contextAllocNs);
      k.contextPool.refill(cpu.id);
      continue;
    }
    if (result === ALL_IDLE) {
      if (mustPark(k, cpu.id)) {
        yield* playDead(k, cpu); // an offline CPU leaves the address spaces and its IPIs (hotplug-park.ts)
        continue;
      }
      k.noteHalt(cpu);
      noteIdleHalt(k, cpu);
      yield HALT;
    } else {
      yield IRQ_WINDOW;
    }
  }
}
