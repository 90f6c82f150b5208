/**
 * The raw futex(2) call for kernel futex tests: every argument as Linux's SYSCALL_DEFINE6(futex)
 * takes it (the timeout slot is a struct timespec pointer, 0 for none, or val2), and gettid.
 */
import type { Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { SYS_FUTEX, SYS_GETTID } from '../../src/abi/syscalls.ts';
import { syscall } from '../../src/libc/sys.ts';

export function futex(
  t: Guest,
  addr: number,
  op: number,
  val = 0,
  val2 = 0,
  addr2 = 0,
  val3 = 0,
): Program<number> {
  return syscall(t, SYS_FUTEX, addr, op, val, val2, addr2, val3);
}

export function gettid(t: Guest): Program<number> {
  return syscall(t, SYS_GETTID);
}
