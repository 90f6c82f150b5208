/**
 * The scheduler-owner latch (RING-5, issue 20; the capability-ring seed's first multi-CPU step):
 * one AP owns scheduling while the BSP idles. The BSP starts the root from its boot path and the
 * latch hands every context to the owner for good: the root starts with a mask of the owner
 * alone and every context inherits it (clone copies the creator's mask, SCHED-8), so the
 * policy's placement, stealing and wakeups keep them there and the latch never opens again. The
 * next step, the default, is the policy's per-CPU run queues with reschedule IPIs.
 */
import type { Kernel } from '../kernel.ts';

/** The owner: the first present AP (the BSP on a one-CPU machine); a mask of it alone. */
export function ownerLatchMask(k: Kernel): Uint8Array {
  const present = k.topology.cpus.filter((c) => c.present).map((c) => c.cpuId);
  const owner = present.find((id) => id !== 0) ?? 0;
  return Uint8Array.from(k.topology.cpus, (c) => (c.cpuId === owner ? 1 : 0));
}
