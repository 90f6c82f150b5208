/**
 * The one door between kernel code and user memory (issue 13), as xv6's vm.c keeps copyin and
 * copyout and Linux keeps access_ok, get_user, put_user, copy_from_user and copy_to_user
 * (arch/x86/include/asm/uaccess.h): every system call that reads or writes a guest pointer goes
 * through here, so translation (and later the running CPU's TLB, issue 15) sits in one place.
 *
 * Two kinds of access, as in Linux:
 * - the current thread's own memory (`t`): get_user/put_user/copy_*_user. A faulting address is
 *   EFAULT for the caller to return: `accessOk` first, or a `copyin`/`copyout` that says null or
 *   false. A get/put after a passed check cannot fault; one that does is a kernel bug and throws
 *   the GuestFault the MMU raises.
 * - another process's memory (`AddressSpace`): access_process_vm (mm/memory.c), used where a
 *   thread writes a word for someone else (the exit status for a waiting parent, a dead PI
 *   owner's lock word).
 *
 * A guest thread's own loads, stores and atomics use the `guest*` entries at the bottom, the
 * hardware's path rather than the kernel's; they share the translation. Both translate through
 * the TLB of the CPU the thread runs on (`t.lastCpu`, whose CR3 holds its space), so a stale
 * entry is seen by the kernel's copies as by the guest; access_process_vm walks the other
 * space's page table without a TLB (mm/memory.c uses get_user_pages, a software walk).
 */
import { AtomicOp } from '../abi/effects.ts';
import type { AddressSpace } from './vm.ts';
import type { Process } from './process.ts';
import type { Thread } from './thread.ts';

/**
 * access_ok plus the MMU's checks: true when every 32-bit word of [addr, addr + bytes) is
 * mapped, aligned and allows the access (`write`). A null pointer fails.
 */
export function accessOk(t: Thread, addr: number, bytes: number, write: boolean): boolean {
  if (addr === 0) return false;
  const vm = t.process.vm;
  for (let a = addr; a < addr + bytes; a += 4) if (!vm.canAccess(a, write, t.lastCpu)) return false;
  return true;
}

/** access_ok for one word where a null pointer is checked by the caller (kept as it was). */
export function wordOk(t: Thread, addr: number, write: boolean): boolean {
  return t.process.vm.canAccess(addr, write, t.lastCpu);
}

/** get_user of an unsigned 32-bit word (the range already checked). */
export function getUser32(t: Thread, addr: number): number {
  return t.process.vm.load32(addr, t.lastCpu);
}

/** put_user of a 32-bit word (the range already checked). */
export function putUser32(t: Thread, addr: number, value: number): void {
  t.process.vm.store32(addr, value, t.lastCpu);
}

/** get_user of an unsigned 64-bit word, little-endian; past 2^53 it reads as Infinity. */
export function getUser64(t: Thread, addr: number): number {
  const hi = getUser32(t, addr + 4);
  return hi >= 0x20_0000 ? Number.POSITIVE_INFINITY : hi * 2 ** 32 + getUser32(t, addr);
}

/** put_user of a 64-bit word (a non-negative integer below 2^53), little-endian. */
export function putUser64(t: Thread, addr: number, value: number): void {
  putUser32(t, addr, value % 2 ** 32);
  putUser32(t, addr + 4, Math.floor(value / 2 ** 32));
}

/** copy_from_user (xv6 copyin): `len` bytes from `addr`, or null (EFAULT) when one is not readable. */
export function copyin(t: Thread, addr: number, len: number): Uint8Array | null {
  return t.process.vm.readBytes(addr, len, t.lastCpu);
}

/** copy_to_user (xv6 copyout): `bytes` at `addr`; false (EFAULT), with nothing written, on a fault. */
export function copyout(t: Thread, addr: number, bytes: Uint8Array): boolean {
  return t.process.vm.writeBytes(addr, bytes, t.lastCpu);
}

/** access_process_vm's check: true when `vm` has a writable (or readable) word at `addr`. */
export function processWordOk(vm: AddressSpace, addr: number, write: boolean): boolean {
  return vm.canAccess(addr, write);
}

/** access_process_vm write of one word in another process's memory (the range already checked). */
export function pokeProcess32(vm: AddressSpace, addr: number, value: number): void {
  vm.store32(addr, value);
}

/** access_process_vm read of one word in a process's memory (the range already checked). */
export function peekProcess32(vm: AddressSpace, addr: number): number {
  return vm.load32(addr);
}

/**
 * The model's text segment (issue 20): a guest names a function to run (a new thread's entry, a
 * program) by a number, as a real one passes a code address; function values cannot live in
 * 32-bit words, so libc keeps the numbered entries in its data segment under `table`, and the
 * kernel reads them here. Undefined when there is no such entry.
 */
export function userCode(p: Process, table: string, id: number): unknown {
  const entries = p.data[table];
  return entries instanceof Map ? entries.get(id) : undefined;
}

/** A guest thread's plain load (Guest.load32): a bad address faults the thread. */
export function guestLoad32(t: Thread, addr: number): number {
  return t.process.vm.load32(addr, t.lastCpu);
}

/** A guest thread's plain store (Guest.store32). */
export function guestStore32(t: Thread, addr: number, value: number): void {
  t.process.vm.store32(addr, value, t.lastCpu);
}

/**
 * A guest thread's atomic read-modify-write on the word at `addr` (an Atomic effect, which the
 * CPU has already ordered): returns the old value, as the x86 LOCK-prefixed instruction leaves it.
 */
export function guestAtomic32(t: Thread, kind: AtomicOp, addr: number, a: number, b: number): number {
  const vm = t.process.vm;
  const cpu = t.lastCpu;
  const old = vm.load32(addr, cpu);
  switch (kind) {
    case AtomicOp.Load:
      break;
    case AtomicOp.Store:
    case AtomicOp.Exchange:
      vm.store32(addr, a, cpu);
      break;
    case AtomicOp.CompareExchange:
      if (old === a >>> 0) vm.store32(addr, b, cpu);
      break;
    case AtomicOp.FetchAdd:
      vm.store32(addr, old + a, cpu);
      break;
    case AtomicOp.FetchOr:
      vm.store32(addr, old | a, cpu);
      break;
    case AtomicOp.FetchAnd:
      vm.store32(addr, old & a, cpu);
      break;
  }
  return old;
}
