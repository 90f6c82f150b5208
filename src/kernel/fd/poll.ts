/**
 * poll(fds, nfds, timeoutMs) (Linux fs/select.c do_poll): each pass asks every descriptor's
 * file for its ready events (SchemeFile.poll; a file without one is always readable and
 * writable) and reports those asked for, plus POLLERR, POLLHUP and POLLNVAL (a bad fd), which
 * are always reported; a negative fd is skipped. With nothing ready the thread sleeps on every
 * file's wait queues at once until a wakeup, the timeout (0: do not sleep; negative: none) or
 * a signal (EINTR). Returns the number of entries with events. More than FD_LIMIT entries:
 * EINVAL. Redox has no poll system call (relibc builds it over the `event:` scheme); both
 * kernels here share this one.
 */
import { EFAULT, EINTR, EINVAL } from '../../abi/errno.ts';
import {
  FD_LIMIT,
  POLLERR,
  POLLFD_BYTES,
  POLLFD_EVENTS,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  POLLOUT,
} from '../../abi/fd.ts';
import { SYS_POLL } from '../../abi/syscalls.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { schedule } from '../sched/switch.ts';
import { signalPending } from '../signal.ts';
import { argNum, type SyscallTable } from '../syscall-types.ts';
import type { Thread } from '../thread.ts';
import { afterNs, NO_TIMEOUT } from '../timeout.ts';
import { accessOk, getUser32, putUser32 } from '../uaccess.ts';
import { fdsOf } from './process-fds.ts';
import type { WaitQueue } from './wait-queue.ts';

const ALWAYS = POLLERR | POLLHUP | POLLNVAL;

/** One pass: writes every entry's revents; returns how many have some, and the queues to sleep on. */
function pollPass(t: Thread, fdsAddr: number, nfds: number): [number, WaitQueue[]] {
  const table = fdsOf(t.process);
  const queues: WaitQueue[] = [];
  let count = 0;
  for (let i = 0; i < nfds; i++) {
    const at = fdsAddr + i * POLLFD_BYTES;
    const fd = getUser32(t, at) | 0;
    const events = getUser32(t, at + POLLFD_EVENTS) & 0xffff;
    let revents = 0;
    if (fd >= 0) {
      const slot = table.get(fd);
      if (slot === undefined) revents = POLLNVAL;
      else {
        const state = slot.file.file.poll?.() ?? { ready: POLLIN | POLLOUT, queues: [] };
        revents = state.ready & (events | ALWAYS);
        queues.push(...state.queues);
      }
    }
    putUser32(t, at + POLLFD_EVENTS, events | (revents << 16));
    if (revents !== 0) count++;
  }
  return [count, queues];
}

function* sysPoll(
  k: Kernel,
  cpuAtEntry: Cpu,
  t: Thread,
  fdsAddr: number,
  nfds: number,
  timeoutMs: number,
): KernelGen<number> {
  if (!Number.isInteger(nfds) || nfds < 0 || nfds > FD_LIMIT) return -EINVAL;
  if (nfds > 0 && !accessOk(t, fdsAddr, nfds * POLLFD_BYTES, true)) return -EFAULT;
  const timeout = timeoutMs < 0 ? NO_TIMEOUT : afterNs(k, t, BigInt(Math.floor(timeoutMs)) * 1_000_000n);
  let cpu = cpuAtEntry;
  let timedOut = timeoutMs === 0;
  for (;;) {
    yield spend(nfds * k.board.costs.pollFdNs);
    const [count, queues] = pollPass(t, fdsAddr, nfds);
    if (count > 0 || timedOut || k.nowNs >= timeout.monotonicNs) return count;
    if (signalPending(t)) return -EINTR;
    for (const q of queues) q.add(t);
    k.blockCurrent(cpu, t, 'poll', timeout);
    yield* schedule(k, cpu);
    cpu = k.cpuOf(t);
    for (const q of queues) q.remove(t);
    timedOut = t.timedOut;
  }
}

export const POLL_SYSCALLS: SyscallTable = {
  [SYS_POLL]: (k, cpu, t, a) => sysPoll(k, cpu, t, argNum(a[0]), argNum(a[1], -1), argNum(a[2], -1)),
};
