/** The raw futex(2) call for kernel futex tests (libc/sys.ts has it, for guest programs too), and gettid. */
import type { Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { SYS_GETTID } from '../../src/abi/syscalls.ts';
import { syscall } from '../../src/libc/sys.ts';

export { futex } from '../../src/libc/sys.ts';

export function gettid(t: Guest): Program<number> {
  return syscall(t, SYS_GETTID);
}
