/**
 * errno: per thread, as POSIX requires. Calls that report failure as -1 (sem_*) leave the error
 * here; pthread_* calls return their error number directly and leave errno alone.
 */
import type { Guest } from '../abi/guest.ts';

function table(t: Guest): Map<number, number> {
  let m = t.data.errno as Map<number, number> | undefined;
  if (m === undefined) t.data.errno = m = new Map();
  return m;
}

/** The calling thread's errno (0 until a call sets it). */
export function errno(t: Guest): number {
  return table(t).get(t.tid) ?? 0;
}

export function setErrno(t: Guest, value: number): void {
  table(t).set(t.tid, value);
}

/** Returns -1 with errno set to `err`, or 0 when `err` is 0: the sem_* convention. */
export function failWith(t: Guest, err: number): number {
  if (err === 0) return 0;
  setErrno(t, err);
  return -1;
}
