/**
 * Red Bear's priority inheritance (P8-futex-pi as written, models.md §2): a waiter lowers the
 * owner's Redox priority to its own, one level deep, and the saved priority comes back only
 * when the owner's waiter list empties. Linux mode's rt_mutex chain boosting is pi.ts's
 * `adjustChain`.
 */
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import type { Thread } from '../thread.ts';

/** Red Bear's boost: the owner's Redox priority drops to the waiter's, one level deep. */
export function* redbearBoost(k: Kernel, cpu: Cpu, owner: Thread, waiter: Thread): KernelGen<void> {
  if (waiter.prio >= owner.prio) return;
  if (owner.piSavedPrio < 0) owner.piSavedPrio = owner.prio;
  owner.prio = waiter.prio;
  k.futex.counts.pi_boosts++;
  yield* k.policy.prioChanged(cpu, owner);
}

/** The owner's last waiter left: its own priority back. */
export function* redbearRestore(k: Kernel, cpu: Cpu, owner: Thread): KernelGen<void> {
  if (owner.piSavedPrio < 0) return;
  owner.prio = owner.piSavedPrio;
  owner.piSavedPrio = -1;
  yield* k.policy.prioChanged(cpu, owner);
}
