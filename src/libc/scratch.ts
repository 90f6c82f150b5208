/**
 * A per-thread scratch buffer for structs a libc call passes to the kernel through guest memory
 * (sched_param, sched_attr, timespec, signal sets, wait status, proc-handle values), as a C caller
 * would use its stack: 256 bytes (a 2048-CPU mask fits), allocated once per thread, never shared
 * between threads, so one thread's call cannot overwrite another's while the kernel reads it.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { malloc } from './malloc.ts';

export const SCRATCH_BYTES = 256;

export function* threadScratch(t: Guest): Program<number> {
  let buffers = t.data.threadScratch as Map<number, number> | undefined;
  if (buffers === undefined) t.data.threadScratch = buffers = new Map();
  let addr = buffers.get(t.tid);
  if (addr === undefined) {
    addr = yield* malloc(t, SCRATCH_BYTES);
    buffers.set(t.tid, addr);
  }
  return addr;
}
