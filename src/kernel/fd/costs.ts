/** The time a scheme call spends copying `bytes` between guest and kernel (userCopyNsPerKiB). */
import type { Kernel } from '../kernel.ts';

export function copyCostNs(k: Kernel, bytes: number): number {
  return Math.ceil((bytes * k.board.costs.userCopyNsPerKiB) / 1024);
}
