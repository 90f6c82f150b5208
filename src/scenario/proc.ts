/**
 * `[kernel]` keys of thread and process creation (issue 24, kernel/proc-options.ts):
 * `thread_create = "redox" | "batched"`, `context_pool = N` (0 off), `proc_shm = true|false`,
 * `spawn = "fork-exec" | "vfork"`. Absent, each is the baseline's; when none is given the
 * configuration carries no `proc` at all, so a scenario that never names them is unchanged.
 */
import { CONTEXT_POOL_MAX, type ProcOptions, THREAD_CREATE_MODES } from '../kernel/proc-options.ts';
import { fail, kindOf, own, type ReadContext, readChoice, readInt, type Table } from './fields.ts';

export const KERNEL_PROC_KEYS = ['thread_create', 'context_pool', 'proc_shm', 'spawn'];
const SPAWN_MODES = ['fork-exec', 'vfork'] as const;

export function readKernelProc(ctx: ReadContext, kernel: Table): ProcOptions | undefined {
  if (KERNEL_PROC_KEYS.every((key) => own(kernel, key) === undefined)) return undefined;
  const threadCreate = readChoice(ctx, kernel, 'thread_create', 'kernel', {
    choices: THREAD_CREATE_MODES,
    noun: 'a thread-creation protocol',
    fallback: 'redox',
  });
  const contextPool = readInt(ctx, kernel, 'context_pool', 'kernel', {
    min: 0,
    max: CONTEXT_POOL_MAX,
    fallback: 0,
  });
  const shm = own(kernel, 'proc_shm');
  if (shm !== undefined && typeof shm !== 'boolean') {
    fail(ctx, 'kernel.proc_shm', `expected a boolean, got ${kindOf(shm)}`, 'true, false');
  }
  const spawn = readChoice(ctx, kernel, 'spawn', 'kernel', {
    choices: SPAWN_MODES,
    noun: 'a spawn path',
    fallback: 'fork-exec',
  });
  return { threadCreate, contextPool, shm: shm === true, vforkSpawn: spawn === 'vfork' };
}
