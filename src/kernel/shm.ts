/**
 * Named shared memory (LIBC-4's named semaphores stand on it): a small namespace of kernel
 * objects, each a set of frames, as Redox's `shm:` scheme (ipcd) or Linux's tmpfs at /dev/shm
 * serves them. One call opens and maps (Redox's open then fmap, in one round trip):
 *
 *   shm_open(name, oflag, mode, bytes, inoAddr, init) -> address | -errno
 *   shm_unlink(name) -> 0 | -errno
 *   shm_truncate(name, bytes) -> 0 | -errno   (1042: ftruncate by name; shm_open maps, it returns no fd)
 *   munmap(addr, length) -> 0 | -errno          (Linux 11; any mapping, not only these)
 *
 * Semantics follow Linux's shm_open over /dev/shm:
 * - a name is `/` then 1..NAME_MAX bytes with no further `/` (EINVAL; ENAMETOOLONG past NAME_MAX);
 * - O_CREAT makes a zero-filled object of `bytes` (whole pages), owned by the caller's uid with
 *   `mode`; O_CREAT|O_EXCL on an existing name is EEXIST; no O_CREAT and no name is ENOENT;
 *   `init` (32-bit words) is written into an object this call creates before any other process
 *   can see it, as glibc's sem_open writes its semaphore into a file it then links into place;
 * - opening needs read (and for O_RDWR, write) permission in `mode` for the caller's class
 *   (owner or other; uid 0 passes), else EACCES; an object smaller than `bytes` is EINVAL;
 * - the mapping is MAP_SHARED, PROT_READ (and PROT_WRITE with O_RDWR); every process mapping the
 *   name maps the same frames, so futexes in it have one key everywhere (FUTEX-1 shared keys);
 * - the object's inode number is stored at `inoAddr` (0: not wanted), as fstat's st_ino tells a
 *   caller two opens reached the same object;
 * - shm_unlink removes the name (ENOENT when there is none; EPERM for a caller that is neither
 *   its owner nor root, /dev/shm being sticky); the frames live until the last mapping of them
 *   goes (munmap, or its process's exit), as an unlinked file lives while it is mapped;
 * - shm_truncate sets the object's size in whole pages, as ftruncate on the /dev/shm file does
 *   (ENOENT with no such name, EACCES without write permission, EINVAL for a negative or unsafe
 *   size): growing adds zeroed frames for later opens; shrinking takes the pages past the new end
 *   out of every mapping (mm/truncate.c truncate_pagecache -> unmap_mapping_range), shot down from
 *   the TLBs, so a touch there is SIGBUS with BUS_ADRERR and the address (mm/filemap.c
 *   filemap_fault past i_size answers VM_FAULT_SIGBUS). Not modelled: a mapping that a shrink cut
 *   is not refilled by a later grow (its pages stay SIGBUS; a new shm_open maps the grown object).
 */
import { EACCES, EEXIST, EFAULT, EINVAL, ENAMETOOLONG, ENOENT, ENOMEM, EPERM } from '../abi/errno.ts';
import {
  NAME_MAX,
  O_CREAT,
  O_EXCL,
  O_RDWR,
  PROT_READ,
  PROT_WRITE,
  SYS_MUNMAP,
  SYS_SHM_OPEN,
  SYS_SHM_TRUNCATE,
  SYS_SHM_UNLINK,
} from '../abi/syscalls.ts';
import type { Cpu } from '../hw/cpu.ts';
import { type KernelGen, spend } from '../hw/effects.ts';
import { PAGE_SIZE } from '../hw/memory.ts';
import type { Kernel } from './kernel.ts';
import { argNum, type SyscallTable } from './syscall-types.ts';
import type { Thread } from './thread.ts';
import { putUser32, wordOk } from './uaccess.ts';
import { flushTlbRange } from './tlb/flush.ts';
import { TraceKind } from '../abi/trace.ts';

interface ShmObject {
  ino: number;
  frames: number[];
  uid: number;
  mode: number;
}

interface Namespace {
  byName: Map<string, ShmObject>;
  nextIno: number;
}

/** Each kernel's namespace, kept beside its own objects (as proc-handles keeps its tables). */
const NAMESPACES = new WeakMap<Kernel, Namespace>();

function namespaceOf(k: Kernel): Namespace {
  let ns = NAMESPACES.get(k);
  if (ns === undefined) NAMESPACES.set(k, (ns = { byName: new Map(), nextIno: 1 }));
  return ns;
}

/** The names in `k`'s namespace, sorted (for tests and reports). */
export function shmNames(k: Kernel): string[] {
  return [...namespaceOf(k).byName.keys()].sort();
}

/** 0 for a valid object name, else the errno (see the module comment). */
function checkName(name: unknown): number {
  if (typeof name !== 'string' || !name.startsWith('/')) return EINVAL;
  const rest = name.slice(1);
  if (rest.length === 0 || rest.includes('/') || rest.includes('\0')) return EINVAL;
  return new TextEncoder().encode(rest).length > NAME_MAX ? ENAMETOOLONG : 0;
}

function* sysShmOpen(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  name: unknown,
  oflag: number,
  mode: number,
  bytes: number,
  inoAddr: number,
  init: unknown,
): KernelGen<number> {
  const costs = k.board.costs;
  yield spend(costs.schemeCallNs);
  const bad = checkName(name);
  if (bad !== 0) return -bad;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) return -EINVAL;
  if (init !== null && init !== undefined && !Array.isArray(init)) return -EINVAL;
  const vm = t.process.vm;
  if (inoAddr !== 0 && !wordOk(t, inoAddr, true)) return -EFAULT;
  const pages = Math.ceil(bytes / PAGE_SIZE);
  const ns = namespaceOf(k);
  const key = name as string;
  let obj = ns.byName.get(key);
  const writable = (oflag & 3) === O_RDWR;
  if (obj !== undefined) {
    if ((oflag & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL)) return -EEXIST;
    const uid = t.process.uid;
    const bits = uid === obj.uid ? (obj.mode >> 6) & 7 : obj.mode & 7;
    const need = writable ? 6 : 4;
    if (uid !== 0 && (bits & need) !== need) return -EACCES;
    if (obj.frames.length < pages) return -EINVAL;
  } else {
    if ((oflag & O_CREAT) === 0) return -ENOENT;
    const words = (init ?? []) as unknown[];
    if (words.length > (pages * PAGE_SIZE) / 4 || words.some((w) => typeof w !== 'number')) return -EINVAL;
    const frames: number[] = [];
    const node = k.topology.memoryNodeOf(cpu.id); // first touch: the creator's node (HW-14)
    for (let i = 0; i < pages; i++) {
      const frame = k.board.memory.allocFrame(node);
      if (frame < 0) {
        for (const f of frames) k.board.memory.freeFrame(f);
        return -ENOMEM;
      }
      frames.push(frame);
      k.frameRefs.set(frame, 1); // the name's reference
    }
    yield spend(pages * costs.pageZeroNs);
    words.forEach((w, i) => {
      k.board.memory.words(frames[Math.floor(i / (PAGE_SIZE / 4))]!)[i % (PAGE_SIZE / 4)] = (w as number) | 0;
    });
    obj = { ino: ns.nextIno++, frames, uid: t.process.uid, mode: mode & 0o777 };
    ns.byName.set(key, obj);
  }
  const mapped = obj.frames.slice(0, pages);
  yield spend(pages * costs.pageMapNs);
  const addr = vm.mapFrames(mapped, writable ? PROT_READ | PROT_WRITE : PROT_READ);
  if (addr < 0) return -ENOMEM;
  if (inoAddr !== 0) putUser32(t, inoAddr, obj.ino);
  k.board.trace.mix(TraceKind.ShmMap, addr, obj.ino); // the address first: the hash takes its 48 bits
  return addr;
}

function* sysShmUnlink(k: Kernel, t: Thread, name: unknown): KernelGen<number> {
  yield spend(k.board.costs.schemeCallNs);
  const bad = checkName(name);
  if (bad !== 0) return -bad;
  const ns = namespaceOf(k);
  const obj = ns.byName.get(name as string);
  if (obj === undefined) return -ENOENT;
  if (t.process.uid !== 0 && t.process.uid !== obj.uid) return -EPERM;
  ns.byName.delete(name as string);
  dropNameRefs(k, obj.frames);
  return 0;
}

/** The name's reference to each frame goes; a frame no mapping holds any more is freed. */
function dropNameRefs(k: Kernel, frames: readonly number[]): void {
  for (const frame of frames) {
    const refs = (k.frameRefs.get(frame) ?? 1) - 1;
    if (refs === 0) {
      k.frameRefs.delete(frame);
      k.board.memory.freeFrame(frame);
    } else {
      k.frameRefs.set(frame, refs);
    }
  }
}

/** shm_truncate(name, bytes): see the module comment. */
function* sysShmTruncate(k: Kernel, cpu: Cpu, t: Thread, name: unknown, bytes: number): KernelGen<number> {
  const costs = k.board.costs;
  yield spend(costs.schemeCallNs);
  const bad = checkName(name);
  if (bad !== 0) return -bad;
  if (!Number.isSafeInteger(bytes) || bytes < 0) return -EINVAL;
  const obj = namespaceOf(k).byName.get(name as string);
  if (obj === undefined) return -ENOENT;
  const uid = t.process.uid;
  const bits = uid === obj.uid ? (obj.mode >> 6) & 7 : obj.mode & 7;
  if (uid !== 0 && (bits & 2) === 0) return -EACCES;
  const pages = Math.ceil(bytes / PAGE_SIZE);
  if (pages > obj.frames.length) {
    const node = k.topology.memoryNodeOf(cpu.id);
    const grown: number[] = [];
    for (let i = obj.frames.length; i < pages; i++) {
      const frame = k.board.memory.allocFrame(node);
      if (frame < 0) {
        for (const f of grown) k.board.memory.freeFrame(f);
        return -ENOMEM;
      }
      grown.push(frame);
    }
    for (const frame of grown) k.frameRefs.set(frame, 1);
    obj.frames.push(...grown);
    yield spend(grown.length * costs.pageZeroNs);
  } else if (pages < obj.frames.length) {
    const dropped = obj.frames.splice(pages);
    yield* unmapPastEnd(k, cpu, new Set(dropped));
    dropNameRefs(k, dropped);
  }
  k.board.trace.mix(TraceKind.ShmTruncate, obj.ino, pages);
  return 0;
}

/** Takes `frames` out of every space that maps them: entries cleared, shot down, references dropped. */
function* unmapPastEnd(k: Kernel, cpu: Cpu, frames: ReadonlySet<number>): KernelGen<void> {
  for (const p of k.processes.values()) {
    const vm = p.vm;
    const cut = vm.cutSharedFrames(frames);
    if (cut.length === 0) continue;
    // One shootdown per run of consecutive pages.
    for (let i = 0; i < cut.length; ) {
      let j = i + 1;
      while (j < cut.length && cut[j]![0] === cut[j - 1]![0] + 1) j++;
      yield* flushTlbRange(k, cpu, vm, cut[i]![0], j - i);
      i = j;
    }
    yield spend(cut.length * k.board.costs.pageMapNs);
    vm.releaseCut(cut);
  }
}

/**
 * munmap(addr, length): 0 or -EINVAL; each page unmapped costs a page-table update. The entries
 * are cleared, the range is shot down from every TLB (kernel/tlb/), then the frames are freed.
 */
function* sysMunmap(k: Kernel, cpu: Cpu, t: Thread, addr: number, length: number): KernelGen<number> {
  const vm = t.process.vm;
  const batch = vm.unmapEntries(addr, length);
  if (typeof batch === 'number') return batch;
  if (batch.regions.length > 0) yield* flushTlbRange(k, cpu, vm, batch.vpn, batch.pages);
  const pages = vm.finishUnmap(batch);
  yield spend(pages * k.board.costs.pageMapNs);
  return 0;
}

const num = argNum;

export const SHM_SYSCALLS: SyscallTable = {
  [SYS_SHM_OPEN]: (k, cpu, t, a) =>
    sysShmOpen(k, cpu, t, a[0], num(a[1]), num(a[2]), num(a[3], -1), num(a[4]), a[5] ?? null),
  [SYS_SHM_UNLINK]: (k, _cpu, t, a) => sysShmUnlink(k, t, a[0]),
  [SYS_SHM_TRUNCATE]: (k, cpu, t, a) => sysShmTruncate(k, cpu, t, a[0], num(a[1], -1)),
  [SYS_MUNMAP]: (k, cpu, t, a) => sysMunmap(k, cpu, t, num(a[0], -1), num(a[1], -1)),
};
