/**
 * The `memory:` kernel scheme (issue 18), as Redox's redox-os/kernel src/scheme/memory.rs
 * (663e6641): how a userspace driver maps physical memory.
 *
 * Paths (a leading `/` dropped; more than 64 bytes ENOENT): `<kind>[@<type>][?<flags>]` with
 * kind `zeroed` (or empty: fresh zeroed memory), `physical` (a borrow of physical memory) or
 * `translation` (virtual-to-physical lookups); type `wb` (or empty), `wc`, `uc` or `dev`; flags
 * a comma list of `phys_contiguous`. Anything else is ENOENT. A caller that is not root may open
 * only `zeroed@wb` without flags (EACCES otherwise), as memory.rs's `ctx.uid != 0` check.
 *
 * mmap of an open handle is its fmap: `zeroed` maps fresh zeroed pages as an anonymous mapping
 * would (EOPNOTSUPP for phys_contiguous with MAP_SHARED, as memory.rs); `physical` maps the
 * physical range [offset, offset + length) (EINVAL unless page-aligned, as `physmap`): here only
 * a device's BAR can be borrowed, as a window whose registers the driver's mmio calls reach
 * (kernel/devio/syscalls.ts); RAM is not (EINVAL, not modelled). `translation` cannot be mapped
 * (EOPNOTSUPP); its lookup is a Redox `call`, which this descriptor layer does not have.
 *
 * Faithfulness note: a Redox driver's loads and stores on its uncached BAR mapping are the
 * device accesses; here the window's pages have no frames (a plain access faults) and each
 * register access is a call naming an address in the window (mmio_read/mmio_write), which pays
 * a system-call entry beside `mmioReadNs`/`mmioWriteNs`, as before the scheme existed.
 */
import { EACCES, EBADF, EINVAL, ENOENT, ENOMEM, ENOTSUP } from '../../abi/errno.ts';
import { MAP_PRIVATE, MAP_SHARED, MAP_TYPE } from '../../abi/syscalls.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import { PAGE_SIZE } from '../../hw/memory.ts';
import { addBuiltinScheme, type KernelScheme, type SchemeFile } from '../fd/scheme.ts';
import type { Kernel } from '../kernel.ts';
import type { Region } from '../regions.ts';
import type { Thread } from '../thread.ts';

const PATH_MAX_BYTES = 64;

/** memory.rs HandleTy. */
export type MemoryHandle = 'zeroed' | 'physical' | 'translation';
/** memory.rs MemoryType, by its path suffix. */
export type MemoryType = 'wb' | 'wc' | 'uc' | 'dev';

export interface MemoryPath {
  readonly handle: MemoryHandle;
  readonly type: MemoryType;
  readonly physContiguous: boolean;
}

const HANDLES: Record<string, MemoryHandle> = {
  '': 'zeroed',
  zeroed: 'zeroed',
  physical: 'physical',
  translation: 'translation',
};
const TYPES: Record<string, MemoryType> = { '': 'wb', wb: 'wb', wc: 'wc', uc: 'uc', dev: 'dev' };

/** memory.rs kopenat's parse: the handle, its memory type and flags, or -ENOENT. */
export function parseMemoryPath(raw: string): MemoryPath | number {
  if (raw.length > PATH_MAX_BYTES) return -ENOENT;
  const path = raw.replace(/^\/+/, '');
  const at = path.indexOf('@');
  const kind = at < 0 ? path : path.slice(0, at);
  const rest = at < 0 ? '' : path.slice(at + 1);
  const q = rest.indexOf('?');
  const type = TYPES[q < 0 ? rest : rest.slice(0, q)];
  const handle = HANDLES[kind];
  if (handle === undefined || type === undefined) return -ENOENT;
  let physContiguous = false;
  for (const flag of (q < 0 ? '' : rest.slice(q + 1)).split(',')) {
    if (flag === 'phys_contiguous') physContiguous = true;
    else if (flag !== '') return -ENOENT;
  }
  return { handle, type, physContiguous };
}

/** A BAR window of some process: the region that holds it and the physical address it starts at. */
const WINDOWS = new WeakMap<Region, number>();

/**
 * The physical address behind `addr` in `t`'s BAR windows, or -1: a register call's address
 * must lie in a window its process mapped through memory:physical (unmapped since: -1).
 */
export function windowPhysical(t: Thread, addr: number): number {
  const region = t.process.vm.regionAt(addr);
  const base = region === undefined ? undefined : WINDOWS.get(region);
  return base === undefined || region === undefined ? -1 : base + (addr - region.start);
}

class MemoryFile implements SchemeFile {
  readonly #path: MemoryPath;

  constructor(path: MemoryPath) {
    this.#path = path;
  }

  // memory.rs implements none of kread, kwrite, kfstat: KernelScheme's defaults answer EBADF.
  *read(k: Kernel): KernelGen<number> {
    yield spend(k.board.costs.schemeCallNs);
    return -EBADF;
  }

  *write(k: Kernel): KernelGen<number> {
    yield spend(k.board.costs.schemeCallNs);
    return -EBADF;
  }

  *fstat(k: Kernel): KernelGen<number> {
    yield spend(k.board.costs.schemeCallNs);
    return -EBADF;
  }

  *mmap(
    k: Kernel,
    cpu: Cpu,
    t: Thread,
    offset: number,
    bytes: number,
    prot: number,
    flags: number,
  ): KernelGen<number> {
    const p = this.#path;
    if (p.handle === 'translation') return -ENOTSUP;
    const pages = bytes / PAGE_SIZE;
    const costs = k.board.costs;
    const vm = t.process.vm;
    if (p.handle === 'zeroed') {
      const shared = (flags & MAP_TYPE) !== MAP_PRIVATE;
      if (p.physContiguous && (flags & MAP_TYPE) === MAP_SHARED) return -ENOTSUP;
      yield spend(pages * (costs.pageZeroNs + costs.pageMapNs));
      const addr = vm.mmapAnonymous(bytes, prot, shared, k.topology.memoryNodeOf(cpu.id));
      return addr < 0 ? -ENOMEM : addr;
    }
    if (offset % PAGE_SIZE !== 0) return -EINVAL;
    const fn = k.devio?.functions.find((f) => offset >= f.bar0 && offset + bytes <= f.bar0 + f.barBytes);
    if (fn === undefined) return -EINVAL; // not a device's registers: borrowing RAM is not modelled
    yield spend(pages * costs.pageMapNs);
    const region = vm.reserveWindow(pages);
    if (region === null) return -ENOMEM;
    WINDOWS.set(region, offset);
    return region.start;
  }

  *close(): KernelGen<void> {}
}

function memoryScheme(): KernelScheme {
  return {
    name: 'memory',
    *open(k, _cpu, t, rawPath) {
      yield spend(k.board.costs.schemeCallNs);
      const path = parseMemoryPath(rawPath);
      if (typeof path === 'number') return path;
      const plain = path.handle === 'zeroed' && path.type === 'wb' && !path.physContiguous;
      if (t.process.uid !== 0 && !plain) return -EACCES;
      return new MemoryFile(path);
    },
  };
}

addBuiltinScheme(() => memoryScheme());
