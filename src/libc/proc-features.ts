/**
 * What thread and process creation the kernel offers, as the libc learns it: the kernel names
 * its features in the environment (`SMPSIM_PROC`, abi/syscalls.ts PROC_FEATURES_ENV), as Linux
 * hands glibc its capabilities in the auxiliary vector. Absent, the kernel is Redox's baseline:
 * three proc-scheme round trips per thread, spawn as a fork-equivalent then exec.
 */
import type { Guest } from '../abi/guest.ts';
import { PROC_FEATURES_ENV } from '../abi/syscalls.ts';

export type ProcFeature = 'batched' | 'shm' | 'vfork';

/** Whether the kernel this process runs on offers `feature`. */
export function procFeature(t: Guest, feature: ProcFeature): boolean {
  const value = t.env[PROC_FEATURES_ENV];
  return value?.split(',').includes(feature) === true;
}
