/**
 * The kernel scheme interface and the registry of schemes by name, as Redox's kernel keeps
 * them (redox-os/kernel src/scheme/mod.rs: `KernelScheme` with kopenat/kread/kwrite/kfstat/
 * close, a scheme list by name). `open("name:path")` goes to the scheme `name` with `path`; a
 * path without a scheme goes to `file:`, Redox's default scheme.
 *
 * An unknown scheme: Redox's `get_scheme` answers ENODEV (src/scheme/mod.rs), which the
 * baseline keeps; the improved kernel answers ENOENT, what Linux's open gives for a path that
 * names nothing (a Linux program sees `name:path` as a relative file name).
 *
 * Every operation is a kernel generator, so it may block (a pipe, a user scheme server) and
 * spend cost-model time (the scheme's own per-call cost).
 */
import type { StatInfo } from '../../abi/fd.ts';
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import type { Thread } from '../thread.ts';
import type { OpenFile } from './open-file.ts';
import type { WaitQueue } from './wait-queue.ts';

/** What an open of a scheme returns: the scheme's own object for the opened resource. */
export interface SchemeFile {
  /** Reads up to `len` bytes into guest memory at `addr` from `file`'s offset; bytes or -errno. */
  read(k: Kernel, cpu: Cpu, t: Thread, file: OpenFile, addr: number, len: number): KernelGen<number>;
  /** Writes `len` bytes from guest memory at `addr`; bytes taken or -errno. */
  write(k: Kernel, cpu: Cpu, t: Thread, file: OpenFile, addr: number, len: number): KernelGen<number>;
  fstat(k: Kernel, t: Thread): KernelGen<StatInfo | number>;
  /** The new offset for lseek, or -errno; absent: the file cannot seek (ESPIPE). */
  seek?(file: OpenFile, offset: number, whence: number): number;
  /** getdents64 into guest memory; absent: not a directory (ENOTDIR). */
  getdents?(k: Kernel, t: Thread, file: OpenFile, addr: number, len: number): KernelGen<number>;
  /**
   * poll: the events ready now (POLLIN, POLLOUT, POLLHUP, POLLERR) and the queues whose wakeups
   * may change them. Absent: always readable and writable, as Linux's DEFAULT_POLLMASK.
   */
  poll?(): PollState;
  /**
   * mmap of this file (Redox's fmap): `bytes` (page-aligned) at file offset `offset` with `prot`
   * and mmap `flags`; the address, or -errno. Absent: the file cannot be mapped (ENODEV, as
   * Linux's do_mmap for a file without ->mmap).
   */
  mmap?(
    k: Kernel,
    cpu: Cpu,
    t: Thread,
    offset: number,
    bytes: number,
    prot: number,
    flags: number,
  ): KernelGen<number>;
  /** The last descriptor referring to this open went (close, exit): the scheme's close. */
  close(k: Kernel, cpu: Cpu): KernelGen<void>;
}

export interface PollState {
  ready: number;
  queues: readonly WaitQueue[];
}

/** A scheme: opens resources by path and, for a filesystem, changes its namespace. */
export interface KernelScheme {
  readonly name: string;
  /**
   * Opens `path` (the part after `name:`) with open(2) `flags` and `mode`; `dir` is the open
   * directory an openat is relative to, else null. A SchemeFile, or -errno.
   */
  open(
    k: Kernel,
    cpu: Cpu,
    t: Thread,
    path: string,
    flags: number,
    mode: number,
    dir: SchemeFile | null,
  ): KernelGen<SchemeFile | number>;
  mkdir?(k: Kernel, t: Thread, path: string, mode: number, dir: SchemeFile | null): KernelGen<number>;
  rmdir?(k: Kernel, t: Thread, path: string, dir: SchemeFile | null): KernelGen<number>;
  unlink?(k: Kernel, t: Thread, path: string, dir: SchemeFile | null): KernelGen<number>;
}

/** Redox's default scheme, for a path that names none. */
export const DEFAULT_SCHEME = 'file';

/** Each kernel's schemes by name, kept beside its own objects (as shm.ts keeps its namespace). */
const REGISTRIES = new WeakMap<Kernel, Map<string, KernelScheme>>();
/** The schemes every kernel starts with (file:, pipe:), added by their modules. */
const BUILTIN: ((k: Kernel) => KernelScheme)[] = [];

/** A scheme module's constructor, run once per kernel on its first descriptor call. */
export function addBuiltinScheme(make: (k: Kernel) => KernelScheme): void {
  BUILTIN.push(make);
}

export function schemesOf(k: Kernel): Map<string, KernelScheme> {
  let map = REGISTRIES.get(k);
  if (map === undefined) {
    map = new Map();
    REGISTRIES.set(k, map);
    for (const make of BUILTIN) {
      const scheme = make(k);
      map.set(scheme.name, scheme);
    }
  }
  return map;
}

/** Registers `scheme`; false when the name is taken. */
export function registerScheme(k: Kernel, scheme: KernelScheme): boolean {
  const map = schemesOf(k);
  if (map.has(scheme.name)) return false;
  map.set(scheme.name, scheme);
  return true;
}

export function unregisterScheme(k: Kernel, name: string): void {
  schemesOf(k).delete(name);
}

/**
 * Splits `name:rest` into the scheme name and the path it serves; a path whose first `:` comes
 * after a `/` (or that has none) belongs to `file:`.
 */
export function splitSchemePath(path: string): [string, string] {
  const colon = path.indexOf(':');
  const slash = path.indexOf('/');
  if (colon < 0 || (slash >= 0 && slash < colon)) return [DEFAULT_SCHEME, path];
  return [path.slice(0, colon), path.slice(colon + 1)];
}
