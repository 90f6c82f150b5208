/**
 * The user address space's layout and the arithmetic on its addresses (issue 15: 64-bit user
 * address spaces), as Linux lays out an x86-64 process with 4-level paging and no randomization:
 *
 *   [USER_BASE, ...)             mmap_min_addr (64 KiB): nothing maps below it
 *   ... MMAP_BASE downward        mmap's top-down area: thread stacks, heaps, shared objects
 *   [MMAP_BASE, STACK_TOP - 8M)   the gap Linux keeps for the main stack to grow into
 *   [.., STACK_TOP)               the main thread's stack (proc.ts startMainThread)
 *   TASK_SIZE = 0x7fff_ffff_f000  the end of user space; 2^47 is the end of the canonical half
 *
 * Addresses are JS numbers: exact up to 2^53, which holds every 48-bit address. Nothing here (or
 * in any code handling an address) uses a 32-bit operator (`>>> 0`, `| 0`, `>>> PAGE_SHIFT`)
 * on one: those truncate past 2^32. Words in guest memory stay 32-bit; a pointer stored in guest
 * memory takes two words (`splitAddr`, `joinAddr`), as an x86-64 pointer is eight bytes.
 */
import { PAGE_SIZE } from '../hw/memory.ts';

/** mmap_min_addr's default on x86 (mm/Kconfig DEFAULT_MMAP_MIN_ADDR = 65536). */
export const USER_BASE = 0x0001_0000;
/**
 * TASK_SIZE_MAX with 4-level paging (arch/x86/include/asm/page_64_types.h): 2^47 minus one guard
 * page, so that a user access can never run off the canonical half (the SYSRET erratum).
 */
export const TASK_SIZE = 0x7fff_ffff_f000;
/** The end of user space (the model's older name for TASK_SIZE). */
export const USER_TOP = TASK_SIZE;
/** STACK_TOP = TASK_SIZE without randomization (arch/x86/include/asm/processor.h). */
export const STACK_TOP = TASK_SIZE;
/**
 * Where mmap's top-down search starts (arch/x86/mm/mmap.c mmap_base): TASK_SIZE minus the stack
 * gap, the stack rlimit (8 MiB) plus stack_guard_gap (256 pages), raised to the 128 MiB minimum
 * (SIZE_128M), no random offset. mm/util.c's generic mmap_base computes the same with MIN_GAP.
 */
export const MMAP_BASE = TASK_SIZE - 128 * 1024 * 1024;
/** The lowest non-canonical address of the lower half (bits 47..63 must be copies of bit 47). */
export const CANONICAL_LOW_END = 2 ** 47;
/** The lowest canonical address of the upper (kernel) half, 0xffff_8000_0000_0000. */
export const CANONICAL_HIGH_START = 2 ** 64 - 2 ** 47;

/** The virtual page number of `addr` (no 32-bit truncation). */
export function vpnOf(addr: number): number {
  return Math.floor(addr / PAGE_SIZE);
}

/** The page index of `addr` within a region starting at page-aligned `start`. */
export function pageIndex(addr: number, start: number): number {
  return Math.floor((addr - start) / PAGE_SIZE);
}

/**
 * True when `addr` is a canonical 48-bit address: below 2^47, or in the upper half. A negative
 * number is read as the sign-extended 64-bit value guest code meant (-4 is 0xffff...fffc).
 */
export function isCanonical(addr: number): boolean {
  if (addr < 0) return addr >= -CANONICAL_LOW_END;
  return addr < CANONICAL_LOW_END || addr >= CANONICAL_HIGH_START;
}

/** True when [addr, addr + bytes) lies inside user space [0, TASK_SIZE) (access_ok's range check). */
export function inUserRange(addr: number, bytes: number): boolean {
  return addr >= 0 && bytes >= 0 && addr + bytes <= TASK_SIZE;
}

/** The unsigned 64-bit value of an address as a number (si_addr, messages): a negative one sign-extended. */
export function unsignedAddr(addr: number): number {
  return addr < 0 ? 2 ** 64 + addr : addr;
}

/** An address as two 32-bit words, [low, high], for guest memory or a trace record. */
export function splitAddr(addr: number): [number, number] {
  return [addr % 2 ** 32, Math.floor(addr / 2 ** 32)];
}

/** The address two 32-bit words hold (low, high), as `splitAddr` wrote them. */
export function joinAddr(low: number, high: number): number {
  return high * 2 ** 32 + low;
}
