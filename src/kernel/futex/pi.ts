/**
 * Priority-inheritance futexes (FUTEX-6): LOCK_PI, UNLOCK_PI, TRYLOCK_PI on the Linux word
 * (owner TID in bits 0..29, OWNER_DIED bit 30, WAITERS bit 31), and what a dying owner leaves.
 * Two behaviours, as the modes have them (models.md §2, §5):
 * - `linux`: waiters queue by priority on the lock's PI state; the owner and every owner up
 *   the chain it blocks on run at the best priority of the waiters behind them (rt_mutex
 *   boosting, transitive, recomputed on every change); UNLOCK_PI hands the lock to the top
 *   waiter, which returns 0 owning it; a chain that closes a cycle is refused with EDEADLK.
 * - `redbear` (P8-futex-pi + P9-futex-pi-cas-fix as written): the owner's `prio` is lowered to
 *   the waiter's, one level deep; unlock stores 0 (plus WAITERS if others remain) and wakes the
 *   single highest-priority waiter, which re-competes for the word; the boost is restored only
 *   when the owner's waiter list empties.
 * Redox has no PI ops (EINVAL, in syscall.ts).
 *
 * Linux mode also has futex_lock_pi's signal rule: a signal ends the rt_mutex wait and the call
 * returns -ERESTARTNOINTR, so it is issued again after the handler runs (restart.ts), whatever
 * SA_RESTART says; Red Bear's waiter keeps waiting and takes the signal when it returns to user
 * mode. A thread that exits owning PI locks hands each to its top waiter with OWNER_DIED set
 * (exit_pi_state_list, pi-exit.ts); Linux's plain and PI waiters share one hash chain, so a PI op on a word
 * whose top waiter is plain is EINVAL (chain.ts). The requeue-PI pair is in requeue-pi.ts.
 */
import { EAGAIN, EDEADLK, EINTR, EINVAL, EPERM, ESRCH, ETIMEDOUT } from '../../abi/errno.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, lock, spend, unlock } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { ERESTARTNOINTR } from '../restart.ts';
import { schedule } from '../sched/switch.ts';
import { signalPending } from '../signal.ts';
import { effectivePrio, type Thread, ThreadState } from '../thread.ts';
import { getUser32, putUser32 } from '../uaccess.ts';
import { plainWaiterOnTop, stamp } from './chain.ts';
import { redbearBoost, redbearRestore } from './pi-redbear.ts';
import type { Timeout } from '../timeout.ts';
import { type FutexShard, type FutexWaiter, newWaiter } from './table.ts';
import { FUTEX_BITSET_MATCH_ANY, type FutexTarget } from './wait-wake.ts';

export const FUTEX_TID_MASK = 0x3fffffff;
export const FUTEX_OWNER_DIED = 0x40000000;
export const FUTEX_WAITERS = 0x80000000;

/** Linux's max_lock_depth: the longest owner chain walked before giving up with EDEADLK. */
export const PI_CHAIN_DEPTH_MAX = 1024;

/** The kernel side of one PI lock while it has waiters (Linux's pi_state with its rt_mutex). */
export class PiState {
  readonly key: number;
  readonly shard: FutexShard;
  owner: Thread | null;
  /** Blocked lockers, best effective priority first, FIFO among equals. */
  readonly waiters: FutexWaiter[] = [];

  constructor(key: number, shard: FutexShard, owner: Thread | null) {
    this.key = key;
    this.shard = shard;
    this.owner = owner;
  }
}

/** Inserts `w` after every waiter of the same or better priority. */
export function enqueueByPrio(list: FutexWaiter[], w: FutexWaiter): void {
  const prio = effectivePrio(w.thread);
  let i = list.length;
  while (i > 0 && effectivePrio(list[i - 1]!.thread) > prio) i--;
  list.splice(i, 0, w);
}

function topPrio(s: PiState): number {
  const top = s.waiters[0];
  return top === undefined ? Number.POSITIVE_INFINITY : effectivePrio(top.thread);
}

/** The owner named by a word, if it is a live thread. */
export function ownerOf(k: Kernel, word: number): Thread | null {
  const owner = k.threads.get(word & FUTEX_TID_MASK);
  return owner === undefined || owner.state === ThreadState.Dead ? null : owner;
}

/**
 * Recomputes the PI boost of `start` and of every owner up the chain it blocks on (Linux's
 * rt_mutex_adjust_prio_chain), requeueing each blocked owner in its lock's waiter list.
 */
export function* adjustChain(k: Kernel, cpu: Cpu, start: Thread | null): KernelGen<void> {
  let o = start;
  for (let depth = 0; o !== null && depth < PI_CHAIN_DEPTH_MAX; depth++) {
    let boost = Number.POSITIVE_INFINITY;
    for (const s of o.piHeld) boost = Math.min(boost, topPrio(s));
    if (boost === o.piBoost) return;
    o.piBoost = boost;
    k.futex.counts.pi_boosts++;
    yield spend(k.board.costs.futexPiChainStepNs);
    yield* k.policy.prioChanged(cpu, o);
    const blockedOn = o.piWaiting;
    if (blockedOn === null) return;
    const entry = blockedOn.waiters.find((w) => w.thread === o);
    if (entry !== undefined) {
      blockedOn.waiters.splice(blockedOn.waiters.indexOf(entry), 1);
      enqueueByPrio(blockedOn.waiters, entry);
    }
    o = blockedOn.owner;
  }
}

/** Would `t` waiting for a lock owned by `owner` close a cycle (or a chain too long to walk)? */
function closesCycle(t: Thread, owner: Thread): boolean {
  let o: Thread | null = owner;
  for (let depth = 0; o !== null; depth++) {
    if (o === t || depth >= PI_CHAIN_DEPTH_MAX) return true;
    o = o.piWaiting?.owner ?? null;
  }
  return false;
}

function piStateOf(shard: FutexShard, key: number): PiState | undefined {
  return shard.pi.get(key);
}

export function attach(shard: FutexShard, key: number, owner: Thread | null): PiState {
  let s = shard.pi.get(key);
  if (s === undefined) {
    s = new PiState(key, shard, owner);
    shard.pi.set(key, s);
    owner?.piHeld.add(s);
  }
  return s;
}

export function detachIfIdle(s: PiState): void {
  if (s.waiters.length > 0) return;
  s.owner?.piHeld.delete(s);
  s.shard.pi.delete(s.key);
}

/** Makes `w`'s thread the owner of `s` (a hand-off, an acquisition after a requeue, a dead owner's). */
export function giveTo(s: PiState, w: FutexWaiter): void {
  s.owner?.piHeld.delete(s);
  s.owner = w.thread;
  w.thread.piHeld.add(s);
  w.thread.piWaiting = null;
  w.acquired = true;
  w.woken = true;
}

/**
 * LOCK_PI / TRYLOCK_PI: takes the word for `t` if it is free; otherwise (unless trylock) waits
 * on the lock's PI state until `timeout` (NO_TIMEOUT: none).
 */
export function* futexLockPi(
  k: Kernel,
  cpuAtEntry: Cpu,
  t: Thread,
  addr: number,
  target: FutexTarget,
  timeout: Timeout,
  trylock: boolean,
): KernelGen<number> {
  const table = k.futex;
  let cpu = cpuAtEntry;
  table.counts.lock_pi++;
  yield spend(k.board.costs.futexHashNs);
  for (;;) {
    yield lock(target.shard.lock);
    const word = getUser32(t, addr);
    const ownerTid = word & FUTEX_TID_MASK;
    if (ownerTid === t.id) {
      yield unlock(target.shard.lock);
      return -EDEADLK;
    }
    // futex_lock_pi_atomic looks at the word's top waiter before the word itself: a plain
    // waiter there means the word is used as a plain futex too (attach_to_pi_state's case [3]).
    if (table.mode === 'linux' && plainWaiterOnTop(target.shard, target.key)) {
      yield unlock(target.shard.lock);
      return -EINVAL;
    }
    if (ownerTid === 0) {
      // Free (perhaps with OWNER_DIED kept for the new owner to see): take it.
      const s = piStateOf(target.shard, target.key);
      const more = s !== undefined && s.waiters.length > 0;
      putUser32(t, addr, (t.id | (word & FUTEX_OWNER_DIED) | (more ? FUTEX_WAITERS : 0)) >>> 0);
      if (s !== undefined) {
        s.owner = t;
        t.piHeld.add(s);
        yield* adjustChain(k, cpu, t);
      }
      yield unlock(target.shard.lock);
      return 0;
    }
    if (trylock) {
      yield unlock(target.shard.lock);
      return -EAGAIN;
    }
    const owner = ownerOf(k, word);
    if (owner === null) {
      // The word names no live thread: a dead owner without a robust list, or garbage.
      yield unlock(target.shard.lock);
      return (word & FUTEX_OWNER_DIED) !== 0 ? -EAGAIN : -ESRCH;
    }
    if (table.mode === 'linux' && closesCycle(t, owner)) {
      table.counts.pi_deadlocks++;
      yield unlock(target.shard.lock);
      return -EDEADLK;
    }
    if (table.mode === 'linux' && signalPending(t)) {
      // The rt_mutex wait would end at once: restart after the handler (as below).
      yield unlock(target.shard.lock);
      return -ERESTARTNOINTR;
    }
    const pi: PiWait = { vaddr: addr, target, word, owner, timeout };
    const { s, waiter } = yield* queueOnPiState(k, cpu, t, pi);
    const waited = yield* waitForHandoff(k, cpu, t, waiter, pi);
    cpu = waited.cpu;
    if (waited.result === 0) return 0;
    if (waited.result === RECOMPETE) continue; // re-compete for the word
    return yield* abandonPiWait(k, cpu, t, addr, target, s, waiter, waited.result);
  }
}

/** Red Bear wakes a PI waiter to compete for the word again (not a result the caller sees). */
const RECOMPETE = -1;

/** A LOCK_PI that must wait: the word, what it held when looked at, its owner, until when. */
interface PiWait {
  /** The PI word's guest virtual address. */
  vaddr: number;
  target: FutexTarget;
  /** The word's value as LOCK_PI read it under the shard lock (the owner's tid and flags). */
  word: number;
  owner: Thread;
  /** NO_TIMEOUT: none. */
  timeout: Timeout;
}

/**
 * The word is held by the owner: mark it contended, queue `t` on the lock's PI state by
 * priority, boost the owner (the whole chain in linux mode, one level in Red Bear's), block,
 * and unlock.
 */
function* queueOnPiState(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  pi: PiWait,
): KernelGen<{ s: PiState; waiter: FutexWaiter }> {
  const { vaddr: addr, target, word, owner, timeout } = pi;
  const table = k.futex;
  putUser32(t, addr, (word | FUTEX_WAITERS) >>> 0);
  const s = attach(target.shard, target.key, owner);
  if (s.owner !== owner) {
    s.owner?.piHeld.delete(s);
    s.owner = owner;
    owner.piHeld.add(s);
  }
  const waiter = newWaiter(t, target.key, addr, FUTEX_BITSET_MATCH_ANY);
  stamp(table, waiter); // its place in the hash chain (chain.ts)
  enqueueByPrio(s.waiters, waiter);
  t.piWaiting = s;
  if (table.mode === 'linux') yield* adjustChain(k, cpu, owner);
  else yield* redbearBoost(k, cpu, owner, t);
  k.blockCurrent(cpu, t, 'pi-futex', timeout, addr, 'owner', owner.id);
  yield unlock(target.shard.lock);
  return { s, waiter };
}

/**
 * Sleeps until the lock is handed over (0), a Red Bear re-compete wake, the timeout, a kill
 * (EINTR) or, in linux mode, a signal (ERESTARTNOINTR: the call restarts after the handler).
 */
function* waitForHandoff(
  k: Kernel,
  cpuAtEntry: Cpu,
  t: Thread,
  waiter: FutexWaiter,
  pi: PiWait,
): KernelGen<{ result: number; cpu: Cpu }> {
  const { vaddr: addr, owner, timeout } = pi;
  let cpu = cpuAtEntry;
  for (;;) {
    yield* schedule(k, cpu);
    cpu = k.cpuOf(t);
    if (waiter.acquired) return { result: 0, cpu };
    if (waiter.woken) return { result: RECOMPETE, cpu };
    if (t.timedOut) return { result: -ETIMEDOUT, cpu };
    if (t.killPending) return { result: -EINTR, cpu };
    if (k.futex.mode === 'linux' && t.interrupted) return { result: -ERESTARTNOINTR, cpu };
    // Red Bear: a signal does not end the wait (see the module note).
    k.blockCurrent(cpu, t, 'pi-futex', timeout, addr, 'owner', owner.id);
  }
}

/**
 * The wait ended without the lock: leave the PI state (unless the lock was handed over as the
 * timeout fired: then 0), clear FUTEX_WAITERS when no waiter is left, and undo the boost.
 */
function* abandonPiWait(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  addr: number,
  target: FutexTarget,
  s: PiState,
  waiter: FutexWaiter,
  result: number,
): KernelGen<number> {
  const table = k.futex;
  yield lock(target.shard.lock);
  if (waiter.acquired) {
    yield unlock(target.shard.lock);
    return 0; // handed the lock as the timeout fired
  }
  const index = s.waiters.indexOf(waiter);
  if (index >= 0) s.waiters.splice(index, 1);
  t.piWaiting = null;
  if (s.waiters.length === 0 && s.owner !== null) {
    putUser32(t, addr, (getUser32(t, addr) & ~FUTEX_WAITERS) >>> 0);
  }
  const previousOwner = s.owner;
  detachIfIdle(s);
  if (table.mode === 'linux') yield* adjustChain(k, cpu, previousOwner);
  else if (s.waiters.length === 0 && previousOwner !== null) yield* redbearRestore(k, cpu, previousOwner);
  if (result === -ETIMEDOUT) table.counts.timeouts++;
  if (result === -ERESTARTNOINTR) table.counts.interrupted++;
  yield unlock(target.shard.lock);
  return result;
}

/** UNLOCK_PI: EPERM unless `t` owns the word; hands off (linux) or releases to re-compete (redbear). */
export function* futexUnlockPi(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  addr: number,
  target: FutexTarget,
): KernelGen<number> {
  const table = k.futex;
  table.counts.unlock_pi++;
  yield spend(k.board.costs.futexHashNs);
  yield lock(target.shard.lock);
  const word = getUser32(t, addr);
  if ((word & FUTEX_TID_MASK) !== t.id) {
    yield unlock(target.shard.lock);
    return -EPERM;
  }
  // futex_unlock_pi: a top waiter without PI state means user space mixed the word up.
  if (table.mode === 'linux' && plainWaiterOnTop(target.shard, target.key)) {
    yield unlock(target.shard.lock);
    return -EINVAL;
  }
  const s = piStateOf(target.shard, target.key);
  const top = s?.waiters.shift();
  if (s === undefined || top === undefined) {
    putUser32(t, addr, 0);
    yield unlock(target.shard.lock);
    return 0;
  }
  if (table.mode === 'linux') {
    // Hand-off: the top waiter owns the lock when it wakes; OWNER_DIED is cleared.
    putUser32(t, addr, (top.thread.id | FUTEX_WAITERS) >>> 0);
    giveTo(s, top);
    table.counts.pi_handoffs++;
    yield* k.wakeThread(cpu, top.thread);
    yield* adjustChain(k, cpu, t);
    yield* adjustChain(k, cpu, top.thread);
    detachIfIdle(s);
  } else {
    putUser32(t, addr, s.waiters.length > 0 ? FUTEX_WAITERS : 0);
    top.woken = true;
    top.thread.piWaiting = null;
    s.owner?.piHeld.delete(s);
    s.owner = null;
    yield* k.wakeThread(cpu, top.thread);
    if (s.waiters.length === 0) {
      yield* redbearRestore(k, cpu, t);
      s.shard.pi.delete(s.key);
    }
  }
  yield spend(k.board.costs.futexWakeOneNs);
  yield unlock(target.shard.lock);
  return 0;
}
