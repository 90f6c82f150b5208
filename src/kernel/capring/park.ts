/**
 * Park words (RING-4; capOS's park, models-2.md §11.6): a futex-like park/unpark on a 32-bit user
 * word, through the ParkSpace (private keys) and SharedParkSpace (shared keys) capabilities, as
 * ring operations. PARK checks the word under the park lock and, if it still holds the expected
 * value, queues the submitter; the operation completes (result 0) when an UNPARK on the same key
 * takes it, or at once with -EAGAIN. Keys are the futex table's (kernel/futex/table.ts key():
 * the physical address for shared words, -(pid * 2^32 + vaddr) - 1 for private ones, as Linux's
 * get_futex_key keys private futexes by mm and address). As capOS's: no priority inheritance,
 * no requeue, no robust list.
 *
 * Thread mode skips a parked entry whose reference went stale (its thread exited) without
 * spending a wake on it; process mode, which cannot tell, wakes it and its CQE lands in the
 * shared CQ (complete.ts counts it).
 */
import { EAGAIN, EFAULT, EINVAL } from '../../abi/errno.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, lock, spend, unlock } from '../../hw/effects.ts';
import { SpinLock } from '../../hw/spinlock.ts';
import type { Kernel } from '../kernel.ts';
import type { Thread } from '../thread.ts';
import { getUser32, wordOk } from '../uaccess.ts';
import { complete } from './complete.ts';
import type { CapProcess, CapringKernel, PendingOp } from './state.ts';

const PARK_LOCKS = new WeakMap<CapringKernel, SpinLock>();

function parkLock(cs: CapringKernel): SpinLock {
  let l = PARK_LOCKS.get(cs);
  if (l === undefined) PARK_LOCKS.set(cs, (l = new SpinLock('CAPRING_PARK')));
  return l;
}

/** The word's key, or a negative errno when it is misaligned or unmapped. */
export function parkKey(k: Kernel, t: Thread, addr: number, shared: boolean): number {
  if (addr % 4 !== 0) return -EINVAL;
  const phys = t.process.vm.physicalAddress(addr);
  if (phys < 0 || !wordOk(t, addr, false)) return -EFAULT;
  return shared ? phys : k.futex.privateKey(t.process.vm, addr); // never an errno (table.ts)
}

export function* park(
  k: Kernel,
  cpu: Cpu,
  cs: CapringKernel,
  cp: CapProcess,
  t: Thread,
  op: PendingOp,
  word: { addr: number; expected: number; shared: boolean },
): KernelGen<void> {
  yield spend(k.board.costs.futexHashNs);
  const key = parkKey(k, t, word.addr, word.shared);
  if (key === -EINVAL || key === -EFAULT) return yield* complete(k, cpu, cs, cp, op, key);
  const l = parkLock(cs);
  yield lock(l);
  if (getUser32(t, word.addr) !== word.expected >>> 0) {
    yield unlock(l);
    return yield* complete(k, cpu, cs, cp, op, -EAGAIN);
  }
  let list = cs.parked.get(key);
  if (list === undefined) cs.parked.set(key, (list = []));
  list.push({ ref: op.ref, pid: cp.process.pid, op });
  cs.counts.parks++;
  yield unlock(l);
}

/** Unparks up to `count` parked on the word, oldest first; returns how many it woke. */
export function* unpark(
  k: Kernel,
  cpu: Cpu,
  cs: CapringKernel,
  t: Thread,
  word: { addr: number; count: number; shared: boolean },
): KernelGen<number> {
  yield spend(k.board.costs.futexHashNs);
  const key = parkKey(k, t, word.addr, word.shared);
  if (key === -EINVAL || key === -EFAULT) return key;
  const l = parkLock(cs);
  yield lock(l);
  const list = cs.parked.get(key) ?? [];
  const taken: typeof list = [];
  while (list.length > 0 && taken.length < word.count) {
    const entry = list.shift()!;
    const owner = cs.processes.get(entry.pid);
    if (owner === undefined) continue; // its process is gone
    if (cs.options.rings === 'thread' && owner.refs.resolve(entry.ref) === null) {
      cs.counts.staleRejected++; // the generation check: no wake is spent on an exited thread
      continue;
    }
    taken.push(entry);
  }
  if (list.length === 0) cs.parked.delete(key);
  yield unlock(l);
  for (const entry of taken) {
    yield spend(k.board.costs.futexWakeOneNs);
    yield* complete(k, cpu, cs, cs.processes.get(entry.pid)!, entry.op, 0);
  }
  cs.counts.unparks += taken.length;
  return taken.length;
}
