/**
 * madvise(addr, length, advice) (mm/madvise.c), Linux 28: MADV_DONTNEED only, on private
 * anonymous memory: the pages' entries are zapped, the range is shot down from every TLB
 * (kernel/tlb/), then each page gets a fresh zeroed frame, so the next read sees zeros. Shared
 * pages are left as they are (their contents live in the shared object). Errnos as Linux:
 * EINVAL for an unaligned address, a negative length or advice it does not implement here,
 * ENOMEM when part of the range is not mapped (after doing the mapped parts).
 */
import { EINVAL } from '../abi/errno.ts';
import { MADV_DONTNEED, SYS_MADVISE } from '../abi/syscalls.ts';
import type { Cpu } from '../hw/cpu.ts';
import { type KernelGen, spend } from '../hw/effects.ts';
import type { Kernel } from './kernel.ts';
import { argNum, type SyscallTable } from './syscall-types.ts';
import type { Thread } from './thread.ts';
import { flushTlbRange } from './tlb/flush.ts';

function* sysMadvise(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  addr: number,
  length: number,
  advice: number,
): KernelGen<number> {
  if (advice !== MADV_DONTNEED) return -EINVAL;
  const vm = t.process.vm;
  const batch = vm.dontneedEntries(addr, length);
  if (typeof batch === 'number') return batch;
  const pages = batch.regions.reduce((n, r) => n + r.pages, 0);
  if (pages > 0) yield* flushTlbRange(k, cpu, vm, batch.vpn, batch.pages);
  yield spend(pages * (k.board.costs.pageMapNs + k.board.costs.pageZeroNs));
  return vm.finishDontneed(batch);
}

export const MADVISE_SYSCALLS: SyscallTable = {
  [SYS_MADVISE]: (k, cpu, t, a) => sysMadvise(k, cpu, t, argNum(a[0]), argNum(a[1], -1), argNum(a[2])),
};
