/**
 * Named POSIX semaphores (LIBC-4): sem_open, sem_close, sem_unlink. A named semaphore is a
 * sem_t (sem.ts, process-shared) in a named shared-memory object, `/sem.<name>` in the kernel's
 * shm namespace (src/kernel/shm.ts), as glibc keeps it in /dev/shm/sem.<name>: every process
 * that opens the name maps the same frames, so sem_wait/sem_post work across processes through
 * shared futex keys. Failures return SEM_FAILED (sem_open) or -1, with errno.
 *
 * improved (glibc's sem_open.c and sem_close.c):
 * - the name may start with any number of `/`; what follows must be 1..NAME_MAX-4 bytes with no
 *   `/` (EINVAL, ENAMETOOLONG);
 * - O_CREAT creates it with `mode` and `value` (EINVAL above SEM_VALUE_MAX), initialised before
 *   any other process can open it; O_CREAT|O_EXCL on an existing name is EEXIST; a missing name
 *   without O_CREAT is ENOENT; EACCES when `mode` does not let the caller read and write it;
 * - opening a name this process has open already returns the same sem_t (glibc finds the
 *   mapping by inode and counts the opens);
 * - sem_close drops one open, unmapping at the last (EINVAL for a sem_t sem_open did not give);
 * - sem_unlink removes the name (ENOENT, EACCES when the caller may not); processes that have it
 *   open keep using it, and the object goes when the last of them closes it or exits.
 *
 * relibc does not have them: its sem_open, sem_close and sem_unlink are `todo!("named
 * semaphores")` and not even exported (`// #[unsafe(no_mangle)]`), so a C program using them
 * does not link. The relibc variant fails loudly here: a call aborts the process.
 */
import type { Program } from '../abi/effects.ts';
import { EACCES, EINVAL, ENAMETOOLONG, EPERM } from '../abi/errno.ts';
import type { Guest } from '../abi/guest.ts';
import {
  NAME_MAX,
  O_CREAT,
  O_EXCL,
  O_RDWR,
  SYS_MUNMAP,
  SYS_SHM_OPEN,
  SYS_SHM_UNLINK,
} from '../abi/syscalls.ts';
import { failWith } from './errno.ts';
import { SEM_BYTES, SEM_FAILED, SEM_VALUE_MAX } from './layout.ts';
import { threadScratch } from './scratch.ts';
import type { sem_t } from './sem.ts';
import { syscall } from './sys.ts';
import { libcOf } from './select.ts';

export { SEM_FAILED } from './layout.ts';

/** The sem_t words sem.ts lays out: value, waiter count, flags (bit 0: process-shared). */
const SEM_PSHARED = 1;

interface OpenSem {
  ino: number;
  refs: number;
}

/** This process's open named semaphores, by address (glibc's tree of mappings). */
function opened(t: Guest): Map<sem_t, OpenSem> {
  let m = t.data.namedSems as Map<sem_t, OpenSem> | undefined;
  if (m === undefined) t.data.namedSems = m = new Map();
  return m;
}

function relibcLacks(call: string): never {
  throw new Error(`relibc: ${call} is not implemented (todo!("named semaphores"), not exported)`);
}

/** The shm object name for a semaphore name, or an errno. */
function objectName(name: string): string | number {
  const bare = name.replace(/^\/+/, '');
  if (bare.length === 0 || bare.includes('/')) return EINVAL;
  if (new TextEncoder().encode(bare).length > NAME_MAX - 4) return ENAMETOOLONG;
  return `/sem.${bare}`;
}

/**
 * sem_open(name, oflag, mode, value): the semaphore's address, or SEM_FAILED with errno. `mode`
 * and `value` are used only when O_CREAT creates it.
 */
export function* sem_open(t: Guest, name: string, oflag: number, mode = 0, value = 0): Program<sem_t> {
  if (!libcOf(t).sem.hasNamed) relibcLacks('sem_open');
  const object = objectName(name);
  if (typeof object === 'number') {
    failWith(t, object);
    return SEM_FAILED;
  }
  const creating = (oflag & O_CREAT) !== 0;
  if (creating && (!Number.isSafeInteger(value) || value < 0 || value > SEM_VALUE_MAX)) {
    failWith(t, EINVAL);
    return SEM_FAILED;
  }
  const inoAddr = yield* threadScratch(t);
  const flags = O_RDWR | (oflag & (O_CREAT | O_EXCL));
  const init = creating ? [value, 0, SEM_PSHARED] : null;
  const addr = yield* syscall(t, SYS_SHM_OPEN, object, flags, mode, SEM_BYTES, inoAddr, init);
  if (addr < 0) {
    failWith(t, -addr);
    return SEM_FAILED;
  }
  const ino = t.load32(inoAddr);
  const table = opened(t);
  for (const [existing, open] of table) {
    if (open.ino !== ino) continue;
    open.refs++;
    yield* syscall(t, SYS_MUNMAP, addr, SEM_BYTES); // the same object is mapped already
    return existing;
  }
  table.set(addr, { ino, refs: 1 });
  return addr;
}

/** sem_close: 0, or -1 with errno EINVAL for an address that is not an open named semaphore. */
export function* sem_close(t: Guest, s: sem_t): Program<number> {
  if (!libcOf(t).sem.hasNamed) relibcLacks('sem_close');
  const table = opened(t);
  const open = table.get(s);
  if (open === undefined) return failWith(t, EINVAL);
  if (--open.refs > 0) return 0;
  table.delete(s);
  const r = yield* syscall(t, SYS_MUNMAP, s, SEM_BYTES);
  return r < 0 ? failWith(t, -r) : 0;
}

/** sem_unlink: 0, or -1 with errno ENOENT, EINVAL, ENAMETOOLONG or EACCES. */
export function* sem_unlink(t: Guest, name: string): Program<number> {
  if (!libcOf(t).sem.hasNamed) relibcLacks('sem_unlink');
  const object = objectName(name);
  if (typeof object === 'number') return failWith(t, object);
  const r = yield* syscall(t, SYS_SHM_UNLINK, object);
  // glibc maps unlink's EPERM (the sticky /dev/shm) to EACCES.
  if (r === -EPERM) return failWith(t, EACCES);
  return r < 0 ? failWith(t, -r) : 0;
}
