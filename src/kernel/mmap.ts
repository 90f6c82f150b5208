/**
 * mmap(addr, length, prot, flags, fd, offset) and mremap(old, old_len, new_len, flags, new)
 * on anonymous memory, with Linux's checks in Linux's order (issue 15, stage 6): mm/mmap.c
 * (ksys_mmap_pgoff, do_mmap, __get_unmapped_area, round_hint_to_min), arch/x86/kernel/
 * sys_x86_64.c (the offset check, the top-down search honouring a free hint) and mm/mremap.c
 * (SYSCALL_DEFINE5(mremap), mremap_to, vma_to_resize, move_vma). MAP_FIXED replaces what is in
 * its range: those pages are unmapped and shot down from every TLB before the new ones appear;
 * a moved mremap keeps its frames and shoots the old range down before returning.
 *
 * The model's regions are not merged as Linux merges VMAs, so "the VMA at addr" here is the run
 * of adjacent regions from addr with the same protection and sharing (`vmaEnd`).
 */
import { EACCES, EBADF, EEXIST, EFAULT, EINVAL, ENODEV, ENOMEM, ENOTSUP, EPERM } from '../abi/errno.ts';
import { O_ACCMODE, O_RDONLY } from '../abi/fd.ts';
import {
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_SHARED_VALIDATE,
  MAP_TYPE,
  MREMAP_FIXED,
  MREMAP_MAYMOVE,
  PROT_WRITE,
  SYS_MMAP,
  SYS_MREMAP,
} from '../abi/syscalls.ts';
import type { Cpu } from '../hw/cpu.ts';
import { type KernelGen, spend } from '../hw/effects.ts';
import { PAGE_SIZE } from '../hw/memory.ts';
import { fdsOf } from './fd/process-fds.ts';
import type { Kernel } from './kernel.ts';
import { regionEnd } from './regions.ts';
import { argNum, type SyscallTable } from './syscall-types.ts';
import type { Thread } from './thread.ts';
import { flushTlbRange } from './tlb/flush.ts';
import { unsignedAddr, USER_BASE, USER_TOP, vpnOf } from './user-layout.ts';
import type { AddressSpace } from './vm.ts';

/** MREMAP_DONTUNMAP (uapi/linux/mman.h): a Linux flag this model does not implement. */
const MREMAP_DONTUNMAP = 4;
/** The flags this mmap knows (MAP_SHARED_VALIDATE refuses any other with EOPNOTSUPP). */
const MAP_KNOWN = MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;

const pageAlign = (bytes: number): number => Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE;

/**
 * Where a mapping of `bytes` goes (__get_unmapped_area): the fixed address after its range and
 * alignment checks, a free page-aligned hint, or the top-down search. A negated errno on failure.
 */
function placeMapping(vm: AddressSpace, addr: number, bytes: number, fixed: boolean): number {
  if (bytes > USER_TOP - USER_BASE) return -ENOMEM; // len > TASK_SIZE
  if (fixed) {
    if (addr > USER_TOP - bytes) return -ENOMEM;
    if ((addr & (PAGE_SIZE - 1)) !== 0) return -EINVAL;
    return addr < USER_BASE ? -EPERM : addr; // security_mmap_addr: below mmap_min_addr
  }
  if (addr !== 0) {
    // round_hint_to_min, then PAGE_ALIGN: a hint is used when its range is in the space and free.
    const hint = pageAlign(Math.max(addr, USER_BASE));
    if (hint <= USER_TOP - bytes && vm.isFree(hint, hint + bytes)) return hint;
  }
  const start = vm.findFree(bytes / PAGE_SIZE);
  return start < 0 ? -ENOMEM : start;
}

/** munmap's three steps over [addr, addr + bytes): entries cleared, shootdown, frames dropped. */
function* unmapRange(k: Kernel, cpu: Cpu, vm: AddressSpace, addr: number, bytes: number): KernelGen<void> {
  if (bytes <= 0) return;
  const batch = vm.unmapEntries(addr, bytes);
  if (typeof batch === 'number') return;
  if (batch.regions.length > 0) yield* flushTlbRange(k, cpu, vm, batch.vpn, batch.pages);
  yield spend(vm.finishUnmap(batch) * k.board.costs.pageMapNs);
}

/**
 * mmap of a descriptor (ksys_mmap_pgoff then do_mmap's file checks, in Linux's order): EBADF
 * for no such descriptor, EINVAL for a length that is not positive or a bad mapping type,
 * EACCES for a shared writable mapping of a file not opened for writing, ENODEV for a file its
 * scheme cannot map; otherwise the scheme maps it (Redox's fmap: memory: is the one that can).
 * The address argument is not honoured: Redox's physmap maps anywhere (mmap_anywhere).
 */
function* mmapFile(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  fd: number,
  length: number,
  prot: number,
  flags: number,
  offset: number,
): KernelGen<number> {
  const slot = fdsOf(t.process).get(fd);
  if (slot === undefined) return -EBADF;
  if (!(length > 0)) return -EINVAL;
  const type = flags & MAP_TYPE;
  if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== MAP_SHARED_VALIDATE) return -EINVAL;
  const writable = (slot.file.flags & O_ACCMODE) !== O_RDONLY;
  if (type !== MAP_PRIVATE && (prot & PROT_WRITE) !== 0 && !writable) return -EACCES;
  const map = slot.file.file.mmap;
  if (map === undefined) return -ENODEV;
  return yield* map.call(slot.file.file, k, cpu, t, offset, pageAlign(length), prot, flags);
}

function* sysMmap(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  signedAddr: number,
  length: number,
  prot: number,
  flags: number,
  fd: number,
  offset: number,
): KernelGen<number> {
  if ((offset & (PAGE_SIZE - 1)) !== 0) return -EINVAL; // sys_mmap: offset_in_page(off)
  if ((flags & MAP_ANONYMOUS) === 0) return yield* mmapFile(k, cpu, t, fd, length, prot, flags, offset);
  if (!(length > 0)) return -EINVAL;
  const vm = t.process.vm;
  const bytes = pageAlign(length);
  const fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) !== 0;
  // An address argument is an unsigned long: a negative number is a sign-extended 64-bit value
  // far past TASK_SIZE (ENOMEM for MAP_FIXED, an ignored hint otherwise), never truncated.
  const addr = placeMapping(vm, unsignedAddr(signedAddr), bytes, fixed);
  if (addr < 0) return addr;
  if ((flags & MAP_FIXED_NOREPLACE) !== 0 && !vm.isFree(addr, addr + bytes)) return -EEXIST;
  const type = flags & MAP_TYPE;
  if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== MAP_SHARED_VALIDATE) return -EINVAL;
  if (type === MAP_SHARED_VALIDATE && (flags & ~MAP_KNOWN) !== 0) return -ENOTSUP;
  // MAP_FIXED over existing pages: mmap_region unmaps them (with their shootdown) first.
  if (fixed && !vm.isFree(addr, addr + bytes)) yield* unmapRange(k, cpu, vm, addr, bytes);
  // Demand paging (mm-options.ts): a private page is zeroed and mapped at its first touch instead.
  const pages = vm.mapsEagerly(type !== MAP_PRIVATE) ? bytes / PAGE_SIZE : 0;
  yield spend(pages * (k.board.costs.pageZeroNs + k.board.costs.pageMapNs));
  const node = k.topology.memoryNodeOf(cpu.id);
  const hinted = fixed || signedAddr !== 0 ? addr : -1;
  const mapped = vm.mmapAnonymous(bytes, prot, type !== MAP_PRIVATE, node, hinted);
  return mapped < 0 ? -ENOMEM : mapped;
}

/** The end of "the VMA" holding `addr`: adjacent regions with its protection and sharing. */
function vmaEnd(vm: AddressSpace, addr: number): number {
  const first = vm.regionAt(addr);
  if (first === undefined) return -1;
  let end = regionEnd(first);
  for (;;) {
    const next = vm.regionAt(end);
    if (next === undefined || next.prot !== first.prot || next.shared !== first.shared) return end;
    end = regionEnd(next);
  }
}

/**
 * move_vma: the pages of [from, from + oldBytes) move to `to` with their frames (the old range
 * shot down from every TLB), and `newBytes - oldBytes` fresh pages follow them. Returns `to`,
 * or -ENOMEM when the fresh pages have no frames (nothing moved then).
 */
function* moveRange(
  k: Kernel,
  cpu: Cpu,
  vm: AddressSpace,
  from: number,
  oldBytes: number,
  newBytes: number,
  to: number,
): KernelGen<number> {
  const model = vm.regionAt(from)!;
  const growPages = (newBytes - oldBytes) / PAGE_SIZE;
  const node = k.topology.memoryNodeOf(cpu.id);
  const fresh = growPages > 0 ? vm.freshFrames(growPages, model.shared, node) : null;
  if (growPages > 0 && fresh === null) return -ENOMEM;
  // The new range is mapped before the shootdown of the old one (move_vma under mmap_lock, then
  // move_ptes' flush): a concurrent mmap on another CPU must not find the destination free
  // while this call waits for its acks. The frames stay referenced throughout.
  const moved = vm.detach(from, from + oldBytes);
  for (const r of moved) vm.attach({ ...r, start: to + (r.start - from) });
  if (fresh !== null)
    vm.attach({
      start: to + oldBytes,
      pages: growPages,
      prot: model.prot,
      shared: model.shared,
      frames: fresh,
    });
  yield* flushTlbRange(k, cpu, vm, vpnOf(from), oldBytes / PAGE_SIZE);
  const costs = k.board.costs;
  const zeroed = vm.mapsEagerly(model.shared) ? growPages : 0;
  yield spend((oldBytes / PAGE_SIZE) * costs.pageMapNs + zeroed * (costs.pageZeroNs + costs.pageMapNs));
  return to;
}

/** mremap_to (MREMAP_FIXED): the destination is unmapped first, then the old range moves there. */
function* mremapTo(
  k: Kernel,
  cpu: Cpu,
  vm: AddressSpace,
  addr: number,
  oldBytes: number,
  newBytes: number,
  to: number,
): KernelGen<number> {
  if (to % PAGE_SIZE !== 0) return -EINVAL;
  if (newBytes > USER_TOP - USER_BASE || to > USER_TOP - newBytes || to < USER_BASE) return -EINVAL;
  if (addr + oldBytes > to && to + newBytes > addr) return -EINVAL; // the ranges overlap
  yield* unmapRange(k, cpu, vm, to, newBytes);
  if (oldBytes > newBytes) {
    yield* unmapRange(k, cpu, vm, addr + newBytes, oldBytes - newBytes);
    oldBytes = newBytes;
  }
  if (oldBytes > vmaEnd(vm, addr) - addr) return -EFAULT; // vma_to_resize
  return yield* moveRange(k, cpu, vm, addr, oldBytes, newBytes, to);
}

function* sysMremap(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  signedAddr: number,
  oldLength: number,
  newLength: number,
  flags: number,
  newAddr: number,
): KernelGen<number> {
  if ((flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP)) !== 0) return -EINVAL;
  if ((flags & MREMAP_FIXED) !== 0 && (flags & MREMAP_MAYMOVE) === 0) return -EINVAL;
  const addr = unsignedAddr(signedAddr);
  if (signedAddr % PAGE_SIZE !== 0 || !(oldLength >= 0) || !(newLength >= 0)) return -EINVAL;
  const oldBytes = pageAlign(oldLength);
  const newBytes = pageAlign(newLength);
  if (newBytes === 0) return -EINVAL;
  const vm = t.process.vm;
  const vma = vm.regionAt(addr);
  if (vma === undefined) return -EFAULT;
  if (oldBytes === 0 && !vma.shared) return -EINVAL; // a zero old_len duplicates shared mappings only
  if (oldBytes === 0 || (flags & MREMAP_DONTUNMAP) !== 0) {
    throw new Error(
      'mremap: MREMAP_DONTUNMAP and a zero old_len (duplicating a shared mapping) are not modelled',
    );
  }
  if ((flags & MREMAP_FIXED) !== 0)
    return yield* mremapTo(k, cpu, vm, addr, oldBytes, newBytes, unsignedAddr(newAddr));
  if (oldBytes >= newBytes) {
    yield* unmapRange(k, cpu, vm, addr + newBytes, oldBytes - newBytes);
    return addr;
  }
  const end = vmaEnd(vm, addr);
  if (oldBytes > end - addr) return -EFAULT; // vma_to_resize: the old range leaves its VMA
  // Grow in place when the old range ends its VMA and the pages above are free and in the space.
  if (oldBytes === end - addr && addr + newBytes <= USER_TOP && vm.isFree(addr + oldBytes, addr + newBytes)) {
    const pages = (newBytes - oldBytes) / PAGE_SIZE;
    const frames = vm.freshFrames(pages, vma.shared, k.topology.memoryNodeOf(cpu.id));
    if (frames === null) return -ENOMEM;
    const top = vm.regionAt(addr + oldBytes - PAGE_SIZE)!;
    vm.attach({ start: addr + oldBytes, pages, prot: top.prot, shared: top.shared, frames });
    const zeroed = vm.mapsEagerly(vma.shared) ? pages : 0;
    yield spend(zeroed * (k.board.costs.pageZeroNs + k.board.costs.pageMapNs));
    return addr;
  }
  if ((flags & MREMAP_MAYMOVE) === 0) return -ENOMEM;
  const to = vm.findFree(newBytes / PAGE_SIZE);
  if (to < 0) return -ENOMEM;
  return yield* moveRange(k, cpu, vm, addr, oldBytes, newBytes, to);
}

const num = argNum;

export const MMAP_SYSCALLS: SyscallTable = {
  [SYS_MMAP]: (k, cpu, t, a) =>
    sysMmap(k, cpu, t, num(a[0]), num(a[1], -1), num(a[2]), num(a[3]), num(a[4], -1), num(a[5])),
  [SYS_MREMAP]: (k, cpu, t, a) =>
    sysMremap(k, cpu, t, num(a[0]), num(a[1], -1), num(a[2], -1), num(a[3]), num(a[4])),
};
