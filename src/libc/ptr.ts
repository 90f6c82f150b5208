/**
 * Pointers in guest memory (issue 15): a user address is 48 bits, so a pointer field is eight
 * bytes, two 32-bit words, little-endian (low word first), as an x86-64 `void *` is. libc's
 * objects that hold a pointer (a robust-list node, a condvar's mutex) use these, never a single
 * 32-bit word, which would truncate every address past 2^32.
 */
import type { Guest } from '../abi/guest.ts';

/** The bytes of a pointer field. */
export const PTR_BYTES = 8;

/** The 8-byte pointer at `addr`. */
export function loadPtr(t: Guest, addr: number): number {
  return t.load32(addr + 4) * 2 ** 32 + t.load32(addr);
}

/** Stores an 8-byte pointer (a non-negative integer below 2^53) at `addr`. */
export function storePtr(t: Guest, addr: number, value: number): void {
  t.store32(addr, value % 2 ** 32);
  t.store32(addr + 4, Math.floor(value / 2 ** 32));
}
