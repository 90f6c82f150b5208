/**
 * Futexes as Redox's code behaves at 2df7467d (FUTEX-1, models.md §2): one global lock over one
 * map keyed by the word's physical address; only WAIT, WAKE and WAIT64 (anything else EINVAL);
 * a waiter matches only the same virtual address and address space; wake order by swap-remove;
 * entries of timed-out waiters are left behind until a later wake consumes them.
 */
import { EAGAIN, EFAULT, EINVAL, ETIMEDOUT } from '../abi/errno.ts';
import { FUTEX_CMD_MASK, FUTEX_WAIT, FUTEX_WAIT64, FUTEX_WAKE } from '../abi/syscalls.ts';
import type { Cpu } from '../hw/cpu.ts';
import { type KernelGen, lock, spend, unlock } from '../hw/effects.ts';
import { SpinLock } from '../hw/spinlock.ts';
import type { Kernel } from './kernel.ts';
import type { Process } from './process.ts';
import { schedule } from './sched/switch.ts';
import { type Thread, ThreadState } from './thread.ts';

interface FutexEntry {
  vaddr: number;
  process: Process;
  thread: Thread;
}

export class FutexTable {
  readonly lock = new SpinLock('FUTEXES');
  readonly map = new Map<number, FutexEntry[]>();
  readonly counts = { wait: 0, wake: 0, woken: 0, eagain: 0, timeouts: 0, stale_consumed: 0 };

  /** Waiter entries in the table (stale ones included). */
  entryCount(): number {
    let n = 0;
    for (const list of this.map.values()) n += list.length;
    return n;
  }
}

/** futex(addr, op, val, timeoutNs): the system call. timeoutNs < 0 means none. */
export function* sysFutex(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  addr: number,
  op: number,
  val: number,
  timeoutNs: number,
): KernelGen<number> {
  const cmd = op & FUTEX_CMD_MASK;
  if (cmd === FUTEX_WAIT || cmd === FUTEX_WAIT64)
    return yield* futexWait(k, cpu, t, addr, val, timeoutNs, cmd);
  if (cmd === FUTEX_WAKE) return yield* futexWake(k, cpu, t, addr, val);
  return -EINVAL;
}

function* futexWait(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  addr: number,
  expected: number,
  timeoutNs: number,
  cmd: number,
): KernelGen<number> {
  const table = k.futex;
  table.counts.wait++;
  if (addr % (cmd === FUTEX_WAIT64 ? 8 : 4) !== 0) return -EINVAL;
  const phys = t.process.vm.physicalAddress(addr);
  if (phys < 0) return -EFAULT;
  yield spend(k.board.costs.futexHashNs);
  yield lock(table.lock);
  // WAIT64 compares the low word only: guest words are 32-bit in this model.
  if (t.process.vm.load32(addr) !== expected >>> 0) {
    table.counts.eagain++;
    yield unlock(table.lock);
    return -EAGAIN;
  }
  const timed = timeoutNs >= 0;
  k.blockCurrent(
    cpu,
    t,
    `futex 0x${addr.toString(16)} pid ${t.process.pid}`,
    timed ? k.nowNs + timeoutNs : -1,
  );
  let list = table.map.get(phys);
  if (list === undefined) table.map.set(phys, (list = []));
  list.push({ vaddr: addr, process: t.process, thread: t });
  yield unlock(table.lock);
  yield* schedule(k, cpu);
  if (timed && t.timedOut) {
    table.counts.timeouts++;
    return -ETIMEDOUT; // the entry stays in the table (Redox does not remove it)
  }
  return 0;
}

function* futexWake(k: Kernel, cpu: Cpu, t: Thread, addr: number, count: number): KernelGen<number> {
  const table = k.futex;
  table.counts.wake++;
  if (addr % 4 !== 0) return -EINVAL;
  const phys = t.process.vm.physicalAddress(addr);
  if (phys < 0) return -EFAULT;
  yield spend(k.board.costs.futexHashNs);
  yield lock(table.lock);
  const list = table.map.get(phys);
  let woken = 0;
  if (list !== undefined) {
    let i = 0;
    while (i < list.length && woken < count) {
      const entry = list[i]!;
      if (entry.vaddr !== addr || entry.process !== t.process) {
        i++;
        continue;
      }
      // swap_remove: the last entry fills the hole, perturbing FIFO order.
      const last = list.pop()!;
      if (i < list.length) list[i] = last;
      if (entry.thread.state === ThreadState.Blocked) yield* k.wakeThread(cpu, entry.thread);
      else table.counts.stale_consumed++;
      woken++;
      yield spend(k.board.costs.futexWakeOneNs);
    }
    if (list.length === 0) table.map.delete(phys);
  }
  table.counts.woken += woken;
  yield unlock(table.lock);
  return woken;
}
