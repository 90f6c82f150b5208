/**
 * Which descriptor semantics a kernel has: `redox`, the baseline (Redox's kernel pipe and
 * scheme code as it behaves), or `linux`, the improved kernel (Linux fs/pipe.c, fs/namei.c).
 * KernelOptions.fd says; without it the kernel follows its futex ABI (linux → linux), as the
 * policy presets pair the improved kernel with Linux futexes (machine/defaults.ts).
 */
import type { Kernel } from '../kernel.ts';

export type FdMode = 'redox' | 'linux';
export const FD_MODES: readonly FdMode[] = ['redox', 'linux'];

export interface FdOptions {
  mode: FdMode;
  /**
   * Improved kernel only: requests a user scheme may hold unread before a client gets EBUSY
   * (SVC-7). Redox's queue (`todo: WaitQueue<Sqe>`) is unbounded, and so is the baseline's.
   */
  schemeQueueMax?: number;
}

/** The improved kernel's default request-queue bound (SVC-7); scenarios may set another. */
export const SCHEME_QUEUE_MAX_DEFAULT = 128;

/** The request-queue bound of `k`'s user schemes: Infinity on the baseline (Redox: unbounded). */
export function schemeQueueMax(k: Kernel): number {
  if (fdMode(k) === 'redox') return Number.POSITIVE_INFINITY;
  return k.options.fd?.schemeQueueMax ?? SCHEME_QUEUE_MAX_DEFAULT;
}

export function fdMode(k: Kernel): FdMode {
  return k.options.fd?.mode ?? (k.options.futex?.mode === 'linux' ? 'linux' : 'redox');
}
