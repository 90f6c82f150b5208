/**
 * `smpsim/policy`: what you need to write your own scheduler policy (issue 22). A policy module
 * exports `createPolicy(host: SchedHost): SchedPolicy`; `[kernel] scheduler = { module = "…" }`
 * or `--policy-module FILE` runs it, and `smpsim check-policy FILE` puts it through the
 * conformance suite beside dwrr, redbear and fair. docs/tutorial.md walks through one;
 * examples/policies/ holds two.
 *
 * A policy is kernel code: its methods are generators of effects on the CPU that runs them
 * (`yield lock(l)`, `yield spend(ns)`, `yield sendIpi(cpu, vector)`), which is how taking a lock
 * or sending an IPI costs simulated time and can contend.
 * @module smpsim/policy
 */
export type { HotplugMoves, SchedHost, SchedPolicy } from './kernel/sched/policy.ts';
export {
  POLICY_EXPORT_SIGNATURE,
  type PolicyModule,
  type PolicyProblem,
  policyProblem,
} from './kernel/sched/module-policy.ts';
export type { Cpu } from './hw/cpu.ts';
export {
  IPI_ALL,
  IPI_ALL_BUT_SELF,
  IPI_SELF,
  type KernelGen,
  lock,
  sendIpi,
  spend,
  tryLock,
  unlock,
} from './hw/effects.ts';
export { SpinLock } from './hw/spinlock.ts';
export { reschedule, TimedSleepers, TurnCounter } from './kernel/sched/policy-kit.ts';
export { VEC_IPI_SWITCH, VEC_IPI_WAKEUP } from './hw/vectors.ts';
export { LOCK_IDLE_CONTEXTS, LOCK_RUN_CONTEXTS, LOCK_RUN_QUEUE, LOCK_SWITCH } from './kernel/lock-order.ts';
export {
  type Context,
  type IdleContext,
  isThread,
  PRIO_LEVELS,
  type Thread,
  ThreadState,
} from './kernel/thread.ts';
export { NO_DEADLINE } from './engine/deadline.ts';
export { POLICY_PRESETS, type PolicyPreset } from './machine/defaults.ts';
export { SCHED_POLICIES, type SchedPolicyName } from './machine/config.ts';
