/**
 * A driver's register window (issue 18): BAR0 mapped as Redox's common::physmap maps it
 * (redox-os/drivers common/src/lib.rs): open `memory:physical@uc` (O_RDWR | O_CLOEXEC), mmap
 * MAP_SHARED at the BAR's physical address as the offset, close the descriptor (the mapping
 * stays). Registers are then read and written at window + offset (kernel/devio/memory-scheme.ts:
 * each access a call on the mapped address, standing in for an uncached load or store).
 */
import type { Program } from '../../abi/effects.ts';
import { O_CLOEXEC, O_RDWR } from '../../abi/fd.ts';
import type { Guest } from '../../abi/guest.ts';
import {
  MAP_SHARED,
  PROT_READ,
  PROT_WRITE,
  SYS_MMAP,
  SYS_MMIO_READ,
  SYS_MMIO_WRITE,
} from '../../abi/syscalls.ts';
import { close, open } from '../../libc/io.ts';
import { syscall } from '../../libc/sys.ts';

/** Maps `bytes` of physical registers at `physical`; the window's address. Throws on failure. */
export function* mapBar(t: Guest, driver: string, physical: number, bytes: number): Program<number> {
  const fd = yield* open(t, 'memory:physical@uc', O_RDWR | O_CLOEXEC);
  if (fd < 0) throw new Error(`${driver}: open memory:physical@uc failed (${fd})`);
  const addr = yield* syscall(t, SYS_MMAP, 0, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, physical);
  yield* close(t, fd);
  if (addr < 0) throw new Error(`${driver}: mmap of BAR 0x${physical.toString(16)} failed (${addr})`);
  return addr;
}

/** A 32-bit register read at `offset` in the window at `bar`. */
export function mmioRead(t: Guest, bar: number, offset: number): Program<number> {
  return syscall(t, SYS_MMIO_READ, bar + offset);
}

/** A 32-bit register write; 0, or -errno. */
export function mmioWrite(t: Guest, bar: number, offset: number, value: number): Program<number> {
  return syscall(t, SYS_MMIO_WRITE, bar + offset, value);
}
