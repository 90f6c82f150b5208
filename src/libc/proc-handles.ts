/**
 * Thread names, scheduling parameters and affinity through the per-thread proc handles, by tid
 * (SCHED-11, LIBC-6): `/proc/<tid>/name`, `sched-policy`, `priority`, `sched-affinity`. Each
 * call opens the handle, moves the value through a buffer in this process's memory, and closes
 * it, as relibc does over Redox's proc scheme. Errors come back as errno values (0 = success).
 */
import type { Program } from '../abi/effects.ts';
import { EINVAL, ERANGE } from '../abi/errno.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { SCHED_FIFO, SCHED_OTHER, SCHED_RR } from '../abi/sched.ts';
import {
  SYS_GETEUID,
  SYS_GETUID,
  SYS_SETRESUID,
  SYS_PROC_HANDLE_CLOSE,
  SYS_PROC_HANDLE_OPEN,
  SYS_PROC_HANDLE_READ,
  SYS_PROC_HANDLE_WRITE,
  SYS_SETUID,
} from '../abi/syscalls.ts';
import { spawn } from './process.ts';
import { SCRATCH_BYTES, threadScratch } from './scratch.ts';
import { syscall } from './sys.ts';

/** Linux TASK_COMM_LEN: a name is at most 15 bytes plus its NUL. */
export const TASK_COMM_LEN = 16;
/** Red Bear's sched-policy encoding (its `SchedPolicy` discriminants). */
const HANDLE_POLICY: Record<number, number> = { [SCHED_FIFO]: 0, [SCHED_RR]: 1, [SCHED_OTHER]: 2 };
const FROM_HANDLE_POLICY = [SCHED_FIFO, SCHED_RR, SCHED_OTHER];

function putBytes(t: Guest, addr: number, bytes: Uint8Array): void {
  for (let w = 0; w < bytes.length; w += 4) {
    let word = 0;
    for (let i = 0; i < 4 && w + i < bytes.length; i++) word |= bytes[w + i]! << (8 * i);
    t.store32(addr + w, word >>> 0);
  }
}

function getBytes(t: Guest, addr: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = (t.load32(addr + (i & ~3)) >>> (8 * (i & 3))) & 0xff;
  return out;
}

/** Reads handle `name` of thread `tid` into the buffer; returns [errno, bytes]. */
function* readHandle(t: Guest, tid: number, name: string, len: number): Program<[number, Uint8Array]> {
  const fd = yield* syscall(t, SYS_PROC_HANDLE_OPEN, `/proc/${tid}/${name}`);
  if (fd < 0) return [-fd, new Uint8Array(0)];
  const buf = yield* threadScratch(t);
  const n = yield* syscall(t, SYS_PROC_HANDLE_READ, fd, buf, len);
  yield* syscall(t, SYS_PROC_HANDLE_CLOSE, fd);
  if (n < 0) return [-n, new Uint8Array(0)];
  return [0, getBytes(t, buf, n)];
}

/** Writes `bytes` to handle `name` of thread `tid`; returns an errno. */
function* writeHandle(t: Guest, tid: number, name: string, bytes: Uint8Array): Program<number> {
  const fd = yield* syscall(t, SYS_PROC_HANDLE_OPEN, `/proc/${tid}/${name}`);
  if (fd < 0) return -fd;
  const buf = yield* threadScratch(t);
  putBytes(t, buf, bytes);
  const n = yield* syscall(t, SYS_PROC_HANDLE_WRITE, fd, buf, bytes.length);
  yield* syscall(t, SYS_PROC_HANDLE_CLOSE, fd);
  return n < 0 ? -n : 0;
}

/** Sets thread `tid`'s name through `name`: ERANGE when it needs more than 15 bytes (glibc). */
export function* proc_set_name(t: Guest, tid: number, name: string): Program<number> {
  const bytes = new TextEncoder().encode(name);
  if (bytes.length >= TASK_COMM_LEN) return ERANGE;
  return yield* writeHandle(t, tid, 'name', bytes);
}

/** [0, thread `tid`'s name], or ERANGE when `len` is below TASK_COMM_LEN (glibc). */
export function* proc_get_name(t: Guest, tid: number, len: number): Program<[number, string]> {
  if (len < TASK_COMM_LEN) return [ERANGE, ''];
  const [err, bytes] = yield* readHandle(t, tid, 'name', len);
  if (err !== 0) return [err, ''];
  const end = bytes.indexOf(0);
  return [0, new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end))];
}

/** Sets a thread's class and RT priority through `sched-policy` (Linux policy numbers). */
export function* proc_set_sched_policy(
  t: Guest,
  tid: number,
  policy: number,
  rtPriority: number,
): Program<number> {
  const encoded = HANDLE_POLICY[policy];
  if (encoded === undefined || rtPriority < 0 || rtPriority > 255) return EINVAL;
  return yield* writeHandle(t, tid, 'sched-policy', Uint8Array.of(encoded, rtPriority));
}

/** [errno, Linux policy, RT priority] from `sched-policy`. */
export function* proc_get_sched_policy(t: Guest, tid: number): Program<[number, number, number]> {
  const [err, bytes] = yield* readHandle(t, tid, 'sched-policy', 2);
  if (err !== 0) return [err, -1, 0];
  return [0, FROM_HANDLE_POLICY[bytes[0]!] ?? -1, bytes[1]!];
}

/** Sets a thread's Redox priority 0..39 (nice + 20) through `priority`. */
export function* proc_set_priority(t: Guest, tid: number, prio: number): Program<number> {
  if (!Number.isInteger(prio) || prio < 0) return EINVAL;
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, prio, true);
  return yield* writeHandle(t, tid, 'priority', bytes);
}

/** [errno, Redox priority] from `priority`. */
export function* proc_get_priority(t: Guest, tid: number): Program<[number, number]> {
  const [err, bytes] = yield* readHandle(t, tid, 'priority', 4);
  if (err !== 0) return [err, -1];
  return [0, new DataView(bytes.buffer).getUint32(0, true)];
}

/** Thread `tid` may run only on `cpus`, through `sched-affinity`; EINVAL when none is online. */
export function* proc_set_affinity(t: Guest, tid: number, cpus: readonly number[]): Program<number> {
  const top = cpus.reduce((m, c) => Math.max(m, c), 0);
  const bytes = new Uint8Array(Math.ceil((top + 1) / 64) * 8);
  for (const c of cpus) {
    if (!Number.isInteger(c) || c < 0 || c >= SCRATCH_BYTES * 8) return EINVAL;
    bytes[c >> 3]! |= 1 << (c & 7);
  }
  return yield* writeHandle(t, tid, 'sched-affinity', bytes);
}

/** [0, the CPUs thread `tid` may run on], from `sched-affinity`. */
export function* proc_get_affinity(t: Guest, tid: number): Program<[number, number[]]> {
  const [err, bytes] = yield* readHandle(t, tid, 'sched-affinity', SCRATCH_BYTES);
  if (err !== 0) return [err, []];
  const cpus: number[] = [];
  for (let i = 0; i < bytes.length * 8; i++) if ((bytes[i >> 3]! & (1 << (i & 7))) !== 0) cpus.push(i);
  return [0, cpus];
}

export function getuid(t: Guest): Program<number> {
  return syscall(t, SYS_GETUID);
}

export function geteuid(t: Guest): Program<number> {
  return syscall(t, SYS_GETEUID);
}

/** seteuid, as glibc's: setresuid(-1, uid, -1) (sysdeps/unix/sysv/linux/seteuid.c); 0 or an errno. */
export function* seteuid(t: Guest, uid: number): Program<number> {
  const r = yield* syscall(t, SYS_SETRESUID, -1, uid, -1);
  return r < 0 ? -r : 0;
}

/** setuid: 0 or an errno (EPERM when a non-root process asks for another uid). */
export function* setuid(t: Guest, uid: number): Program<number> {
  const r = yield* syscall(t, SYS_SETUID, uid);
  return r < 0 ? -r : 0;
}

/**
 * Starts `image.main(arg)` in a new process running as `uid`: the child drops to `uid` before
 * its main runs (fork, setuid, exec). Only a root parent can do this for another uid; the
 * child then exits with status 126 without running `main`. Returns the pid or -errno.
 */
export function spawn_as(t: Guest, uid: number, image: ProgramImage, arg: unknown): Program<number> {
  const wrapped: ProgramImage = {
    name: image.name,
    main: function* (child: Guest, a: unknown): Program<unknown> {
      if ((yield* setuid(child, uid)) !== 0) return 126;
      return yield* image.main(child, a);
    },
  };
  return spawn(t, wrapped, arg);
}
