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
}

export function fdMode(k: Kernel): FdMode {
  return k.options.fd?.mode ?? (k.options.futex?.mode === 'linux' ? 'linux' : 'redox');
}
