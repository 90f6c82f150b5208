/**
 * How the kernel creates threads and processes (SCHED-12, issue 24): the baseline is Redox's
 * proc scheme as its code behaves (three round trips per thread, a full context allocation per
 * thread, copies per call, spawn as a fork-equivalent then exec); each field turns on one step of
 * the improved kernel. Every field is optional, and absent means the baseline, so any code that
 * builds a kernel without them gets Redox's behaviour.
 */
import { PROC_FEATURES_ENV } from '../abi/syscalls.ts';

/** `redox`: proc:new-thread, proc:regs, proc:start; `batched`: new-thread with its registers, then start. */
export const THREAD_CREATE_MODES = ['redox', 'batched'] as const;
export type ThreadCreateMode = (typeof THREAD_CREATE_MODES)[number];

export interface ProcOptions {
  /** The thread-creation protocol the kernel offers (the libc learns it from the environment). */
  readonly threadCreate?: ThreadCreateMode;
  /** Pre-created contexts kept per CPU (0: no pool, every creation allocates). */
  readonly contextPool?: number;
  /** Register sets and a fork's handles go through a page shared with the proc scheme. */
  readonly shm?: boolean;
  /** posix_spawn's vfork-style path (spawn without the address-space copy) exists. */
  readonly vforkSpawn?: boolean;
}

/** The largest `[kernel] context_pool`: each entry holds a kernel stack (see context-pool.ts). */
export const CONTEXT_POOL_MAX = 256;

/** The environment entries that advertise `options` (none for the baseline). */
export function procFeaturesEnv(options: ProcOptions | undefined): Record<string, string> {
  const features: string[] = [];
  if (options?.threadCreate === 'batched') features.push('batched');
  if (options?.shm === true) features.push('shm');
  if (options?.vforkSpawn === true) features.push('vfork');
  return features.length === 0 ? {} : { [PROC_FEATURES_ENV]: features.join(',') };
}
