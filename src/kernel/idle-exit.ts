/**
 * What leaving a long idle costs on a virtual machine (issue 23). On bare metal a halted CPU
 * leaves C1 in `idleWakeNs` (hw/cpu.ts) however long it halted. A KVM vCPU that halts is polled
 * by its host thread for up to the halt-polling window (KVM_HALT_POLL_NS_DEFAULT, 200 µs on x86:
 * Linux virt/kvm/kvm_main.c kvm_vcpu_halt, arch/x86/include/asm/kvm_host.h); after that the host
 * thread sleeps and the physical core runs something else. Waking such a vCPU takes the host's
 * scheduler, and the thread it then runs finds the caches and TLB refilled with the host's work.
 * fidelity/wakepath.c and calibrate.c's `wake` measure both on the host smpsim runs on.
 *
 * Two charges, for every policy (the generic switch path and the system call entry):
 * - `wakeFromIdleNs`: when a CPU whose idle period (from its first halt to now) lasted at least
 *   `idleDeepAfterNs` switches from its idle context to a thread, added to that switch's cost,
 *   so the woken thread runs that much later;
 * - `coldAfterIdleNs`: the first system call a thread makes on such a CPU after the switch (not
 *   counting clock_gettime, a vDSO read on Linux), spent
 *   at the call's entry (most of a cold start's misses are the kernel's: the futex hash, the run
 *   queues, the wakee's task). A thread that makes no call before the CPU idles again pays none.
 * Idle ticks in between do not end the idle period (Linux idles tickless; smpsim's idle ticks are
 * its own periodic model), and neither does the idle context's own work (the context pool's
 * refill). Both default to 0, where nothing here changes a run.
 * @module
 */
import { SYS_CLOCK_GETTIME } from '../abi/syscalls.ts';
import type { Cpu } from '../hw/cpu.ts';
import { type KernelGen, spend } from '../hw/effects.ts';
import type { Kernel } from './kernel.ts';

/** Per CPU: when its current idle period began (its first halt), or -1 while it runs threads. */
export class IdleExitState {
  readonly idleSinceNs: Float64Array;
  /** The cold start still owed by the next system call on the CPU. */
  readonly coldDebtNs: Float64Array;

  constructor(cpus: number) {
    this.idleSinceNs = new Float64Array(cpus).fill(-1);
    this.coldDebtNs = new Float64Array(cpus);
  }
}

/** The idle loop is about to halt `cpu`: the idle period began now unless it already had. */
export function noteIdleHalt(k: Kernel, cpu: Cpu): void {
  const since = k.idleExit.idleSinceNs;
  if (since[cpu.id]! < 0) since[cpu.id] = k.nowNs;
  k.idleExit.coldDebtNs[cpu.id] = 0; // owed by a call made before the CPU idled again: none was
}

/**
 * `cpu` switches from its idle context to a thread: ends the idle period; returns the extra time
 * the switch takes (wakeFromIdleNs after a deep idle, else 0) and leaves the cold start owed.
 */
export function idleExitNs(k: Kernel, cpu: Cpu): number {
  const s = k.idleExit;
  const since = s.idleSinceNs[cpu.id]!;
  if (since < 0) return 0;
  s.idleSinceNs[cpu.id] = -1;
  const costs = k.board.costs;
  if (k.nowNs - since < costs.idleDeepAfterNs) return 0;
  s.coldDebtNs[cpu.id] = costs.coldAfterIdleNs;
  return costs.wakeFromIdleNs;
}

/**
 * A system call's body, after the cold start its CPU still owes (if it owes one). clock_gettime
 * does not pay it: on Linux it is a vDSO read that enters no kernel (the host programs stamp
 * their times with it), where smpsim's guests make it a call.
 */
export function coldSyscall(k: Kernel, cpu: Cpu, nr: number, body: KernelGen<unknown>): KernelGen<unknown> {
  const owed = k.idleExit.coldDebtNs[cpu.id]!;
  if (owed === 0 || nr === SYS_CLOCK_GETTIME) return body;
  k.idleExit.coldDebtNs[cpu.id] = 0;
  return payThen(owed, body);
}

function* payThen(ns: number, body: KernelGen<unknown>): KernelGen<unknown> {
  yield spend(ns);
  return yield* body;
}
