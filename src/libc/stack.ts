/**
 * The stack pointer of guest threads. Guest code runs as TypeScript generators, so a call does
 * not touch the simulated stack by itself; a function that wants its frames to live on the
 * thread's stack (recursion, big locals) brackets its body with `stack_enter` and
 * `stack_leave`. Entering stores to every page between the old and new stack pointer, as
 * compilers' stack probes do (-fstack-clash-protection), so a frame cannot step over the guard
 * page: a runaway recursion stores into the PROT_NONE page below the stack and the process gets
 * SIGSEGV (LIBC-8).
 */
import type { Guest } from '../abi/guest.ts';
import { PAGE_SIZE } from './layout.ts';

/** Bytes at the top of every stack that hold the thread descriptor of an initial thread. */
export const STACK_TOP_RESERVED = 16;

function pointers(t: Guest): Map<number, number> {
  let m = t.data.stackPointers as Map<number, number> | undefined;
  if (m === undefined) t.data.stackPointers = m = new Map();
  return m;
}

/** The calling thread's stack pointer. */
export function stack_pointer(t: Guest): number {
  return pointers(t).get(t.tid) ?? t.stackTop - STACK_TOP_RESERVED;
}

/** Pushes a frame of `bytes` (rounded up to 16), touching each page it covers. */
export function stack_enter(t: Guest, bytes: number): number {
  const old = stack_pointer(t);
  const sp = old - Math.ceil(Math.max(bytes, 16) / 16) * 16;
  // Probe one word per page from the old pointer down to the new one, then the new top word.
  // (`probe - probe % 4` aligns a 48-bit address down; `& ~3` would truncate it to 32 bits.)
  for (let probe = old - 4; probe > sp; probe -= PAGE_SIZE) t.store32(probe - (probe % 4), 0);
  t.store32(sp, 0);
  pointers(t).set(t.tid, sp);
  return sp;
}

/** Pops the frame pushed by the matching `stack_enter(t, bytes)`. */
export function stack_leave(t: Guest, bytes: number): void {
  const sp = stack_pointer(t) + Math.ceil(Math.max(bytes, 16) / 16) * 16;
  pointers(t).set(t.tid, sp);
}

/** Forgets a finished thread's pointer (its tid may be reused by nothing, but the map stays small). */
export function stack_forget(t: Guest, tid: number): void {
  pointers(t).delete(tid);
}
