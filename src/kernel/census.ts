/**
 * sys_census (SYS_CENSUS, services' number 1060): the kernel's live object counts, as Redox's
 * `sys:` scheme reports them to userspace (`sys:context` lists the contexts, `sys:memory` the
 * frames in use). The stress run's init (SVC-9) takes one after boot and one at the end of its
 * window at the same phase of its fault schedule: any difference is a leak of frames (page
 * tables, stacks, mappings not freed), threads (contexts never torn down), processes or zombies
 * (children nobody reaped) or descriptors (fds of live processes never closed).
 */
import { EFAULT } from '../abi/errno.ts';
import { CENSUS_FIELDS, SYS_CENSUS } from '../abi/syscalls.ts';
import { type KernelGen, spend } from '../hw/effects.ts';
import { fdTableIfAny } from './fd/process-fds.ts';
import type { Kernel } from './kernel.ts';
import { ProcessState } from './process.ts';
import type { SyscallTable } from './syscall-types.ts';
import { argNum } from './syscall-types.ts';
import { type Thread, ThreadState } from './thread.ts';
import { putUser32 } from './uaccess.ts';

export type Census = Record<(typeof CENSUS_FIELDS)[number], number>;

/** The counts now: a plain function of the kernel, so reports and tests can take one too. */
export function takeCensus(k: Kernel): Census {
  let threads = 0;
  for (const t of k.threads.values()) if (t.state !== ThreadState.Dead) threads++;
  let processes = 0;
  let zombies = 0;
  let fds = 0;
  for (const p of k.processes.values()) {
    if (p.state === ProcessState.Zombie) zombies++;
    if (p.state !== ProcessState.Alive) continue;
    processes++;
    fds += fdTableIfAny(p)?.fds().length ?? 0;
  }
  return { frames: k.board.memory.framesInUse, threads, processes, zombies, fds };
}

/** Reading a `sys:` file costs a scheme call, as the other kernel schemes' reads do. */
function* sysCensus(k: Kernel, t: Thread, bufAddr: number): KernelGen<number> {
  yield spend(k.board.costs.schemeCallNs);
  if (bufAddr <= 0) return -EFAULT;
  const c = takeCensus(k);
  CENSUS_FIELDS.forEach((f, i) => {
    putUser32(t, bufAddr + 4 * i, c[f]);
  });
  return CENSUS_FIELDS.length;
}

export const CENSUS_SYSCALLS: SyscallTable = {
  [SYS_CENSUS]: (k, _cpu, t, a) => sysCensus(k, t, argNum(a[0])),
};
