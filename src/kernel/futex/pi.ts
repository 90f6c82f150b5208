/**
 * Priority-inheritance futexes (FUTEX-6): LOCK_PI, UNLOCK_PI, TRYLOCK_PI on the Linux word
 * (owner TID in bits 0..29, OWNER_DIED bit 30, WAITERS bit 31), and the requeue-PI pair for PI
 * condition variables. Two behaviours, as the modes have them (models.md §2, §5):
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
 * Signals do not end a PI lock wait: Linux restarts LOCK_PI transparently (ERESTARTNOINTR), so
 * here the waiter keeps waiting and takes the signal when it returns to user mode.
 */
import { EAGAIN, EDEADLK, EINTR, EINVAL, EPERM, ESRCH, ETIMEDOUT } from '../../abi/errno.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, lock, spend, unlock } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { schedule } from '../sched/switch.ts';
import { effectivePrio, type Thread, ThreadState } from '../thread.ts';
import type { Timeout } from '../timeout.ts';
import { lockPair, unlockAll } from './requeue.ts';
import { type FutexShard, type FutexWaiter, newWaiter } from './table.ts';
import { FUTEX_BITSET_MATCH_ANY, type FutexTarget, matches, queueWaiter } from './wait-wake.ts';

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
function enqueueByPrio(list: FutexWaiter[], w: FutexWaiter): void {
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
function ownerOf(k: Kernel, word: number): Thread | null {
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

function attach(shard: FutexShard, key: number, owner: Thread | null): PiState {
  let s = shard.pi.get(key);
  if (s === undefined) {
    s = new PiState(key, shard, owner);
    shard.pi.set(key, s);
    owner?.piHeld.add(s);
  }
  return s;
}

function detachIfIdle(s: PiState): void {
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
 * on the lock's PI state until `timeout` (null: none).
 */
export function* futexLockPi(
  k: Kernel,
  cpuAtEntry: Cpu,
  t: Thread,
  addr: number,
  target: FutexTarget,
  timeout: Timeout | null,
  trylock: boolean,
): KernelGen<number> {
  const table = k.futex;
  const vm = t.process.vm;
  let cpu = cpuAtEntry;
  table.counts.lock_pi++;
  yield spend(k.board.costs.futexHashNs);
  for (;;) {
    yield lock(target.shard.lock);
    const word = vm.load32(addr);
    const ownerTid = word & FUTEX_TID_MASK;
    if (ownerTid === 0) {
      // Free (perhaps with OWNER_DIED kept for the new owner to see): take it.
      const s = piStateOf(target.shard, target.key);
      const more = s !== undefined && s.waiters.length > 0;
      vm.store32(addr, (t.id | (word & FUTEX_OWNER_DIED) | (more ? FUTEX_WAITERS : 0)) >>> 0);
      if (s !== undefined) {
        s.owner = t;
        t.piHeld.add(s);
        yield* adjustChain(k, cpu, t);
      }
      yield unlock(target.shard.lock);
      return 0;
    }
    if (ownerTid === t.id) {
      yield unlock(target.shard.lock);
      return -EDEADLK;
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
    vm.store32(addr, (word | FUTEX_WAITERS) >>> 0);
    const s = attach(target.shard, target.key, owner);
    if (s.owner !== owner) {
      s.owner?.piHeld.delete(s);
      s.owner = owner;
      owner.piHeld.add(s);
    }
    const waiter = newWaiter(t, target.key, addr, FUTEX_BITSET_MATCH_ANY);
    enqueueByPrio(s.waiters, waiter);
    t.piWaiting = s;
    if (table.mode === 'linux') yield* adjustChain(k, cpu, owner);
    else yield* redbearBoost(k, cpu, owner, t);
    k.blockCurrent(cpu, t, `pi-futex 0x${addr.toString(16)} owner ${owner.id}`, timeout);
    yield unlock(target.shard.lock);
    let result: number | null = null;
    while (result === null) {
      yield* schedule(k, cpu);
      cpu = k.cpuOf(t);
      if (waiter.acquired) result = 0;
      else if (waiter.woken)
        result = -1; // redbear: woken to re-compete
      else if (t.timedOut) result = -ETIMEDOUT;
      else if (t.killPending) result = -EINTR;
      else {
        // A signal: Linux restarts LOCK_PI; keep waiting (see the module note).
        k.blockCurrent(cpu, t, `pi-futex 0x${addr.toString(16)} owner ${owner.id}`, timeout);
      }
    }
    if (result === 0) return 0;
    if (result === -1) continue; // re-compete for the word
    yield lock(target.shard.lock);
    if (waiter.acquired) {
      yield unlock(target.shard.lock);
      return 0; // handed the lock as the timeout fired
    }
    const index = s.waiters.indexOf(waiter);
    if (index >= 0) s.waiters.splice(index, 1);
    t.piWaiting = null;
    if (s.waiters.length === 0 && s.owner !== null) {
      vm.store32(addr, (vm.load32(addr) & ~FUTEX_WAITERS) >>> 0);
    }
    const previousOwner = s.owner;
    detachIfIdle(s);
    if (table.mode === 'linux') yield* adjustChain(k, cpu, previousOwner);
    else if (s.waiters.length === 0 && previousOwner !== null) yield* redbearRestore(k, cpu, previousOwner);
    if (result === -ETIMEDOUT) table.counts.timeouts++;
    yield unlock(target.shard.lock);
    return result;
  }
}

/** Red Bear's boost: the owner's Redox priority drops to the waiter's, one level deep. */
function* redbearBoost(k: Kernel, cpu: Cpu, owner: Thread, waiter: Thread): KernelGen<void> {
  if (waiter.prio >= owner.prio) return;
  if (owner.piSavedPrio < 0) owner.piSavedPrio = owner.prio;
  owner.prio = waiter.prio;
  k.futex.counts.pi_boosts++;
  yield* k.policy.prioChanged(cpu, owner);
}

function* redbearRestore(k: Kernel, cpu: Cpu, owner: Thread): KernelGen<void> {
  if (owner.piSavedPrio < 0) return;
  owner.prio = owner.piSavedPrio;
  owner.piSavedPrio = -1;
  yield* k.policy.prioChanged(cpu, owner);
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
  const vm = t.process.vm;
  table.counts.unlock_pi++;
  yield spend(k.board.costs.futexHashNs);
  yield lock(target.shard.lock);
  const word = vm.load32(addr);
  if ((word & FUTEX_TID_MASK) !== t.id) {
    yield unlock(target.shard.lock);
    return -EPERM;
  }
  const s = piStateOf(target.shard, target.key);
  const top = s?.waiters.shift();
  if (s === undefined || top === undefined) {
    vm.store32(addr, 0);
    yield unlock(target.shard.lock);
    return 0;
  }
  if (table.mode === 'linux') {
    // Hand-off: the top waiter owns the lock when it wakes; OWNER_DIED is cleared.
    vm.store32(addr, (top.thread.id | FUTEX_WAITERS) >>> 0);
    giveTo(s, top);
    table.counts.pi_handoffs++;
    yield* k.wakeThread(cpu, top.thread);
    yield* adjustChain(k, cpu, t);
    yield* adjustChain(k, cpu, top.thread);
    detachIfIdle(s);
  } else {
    vm.store32(addr, s.waiters.length > 0 ? FUTEX_WAITERS : 0);
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

/**
 * FUTEX_WAIT_REQUEUE_PI: waits on the condition word `addr` (non-PI) for a CMP_REQUEUE_PI to
 * `addr2`, and returns 0 owning the PI lock at `addr2`. A plain wake before the requeue answers
 * EAGAIN; a timeout ETIMEDOUT; a signal before the requeue EINTR.
 */
export function* futexWaitRequeuePi(
  k: Kernel,
  cpuAtEntry: Cpu,
  t: Thread,
  addr: number,
  target: FutexTarget,
  expected: number,
  to: FutexTarget,
  timeout: Timeout | null,
): KernelGen<number> {
  const table = k.futex;
  let cpu = cpuAtEntry;
  if (target.key === to.key) return -EINVAL;
  const waiter = yield* queueWaiter(
    k,
    cpu,
    t,
    addr,
    target,
    expected,
    timeout,
    FUTEX_BITSET_MATCH_ANY,
    to.key,
  );
  if (typeof waiter === 'number') return waiter;
  for (;;) {
    yield* schedule(k, cpu);
    cpu = k.cpuOf(t);
    if (waiter.acquired) return 0;
    if (waiter.woken) return -EAGAIN;
    const onPi = t.piWaiting;
    if (onPi === null) {
      // Still on the condition word: a timeout or a signal ends the wait.
      const result = t.timedOut ? -ETIMEDOUT : -EINTR;
      const held = yield* lockPair(k, target.shard, to.shard);
      if (waiter.acquired || waiter.woken) {
        yield* unlockAll(held);
        return waiter.acquired ? 0 : -EAGAIN;
      }
      if (t.piWaiting === null) {
        const list = target.shard.buckets.get(target.key);
        const index = list?.indexOf(waiter) ?? -1;
        if (index >= 0) list!.splice(index, 1);
        table.tidy(target.shard, target.key);
        yield* unlockAll(held);
        return result;
      }
      yield* unlockAll(held);
    }
    // Requeued onto the PI lock: wait for the hand-off like LOCK_PI (a timeout still counts).
    if (t.timedOut) {
      yield lock(to.shard.lock);
      if (waiter.acquired) {
        yield unlock(to.shard.lock);
        return 0;
      }
      const s = t.piWaiting!;
      s.waiters.splice(s.waiters.indexOf(waiter), 1);
      t.piWaiting = null;
      const previousOwner = s.owner;
      detachIfIdle(s);
      yield* adjustChain(k, cpu, previousOwner);
      yield unlock(to.shard.lock);
      return -ETIMEDOUT;
    }
    k.blockCurrent(cpu, t, 'futex-requeue-pi (on the PI lock)', timeout);
  }
}

/**
 * FUTEX_CMP_REQUEUE_PI: EAGAIN unless `*addr == compare`; tries to take the PI lock at `addr2`
 * for the top waiter (which then wakes owning it), and moves up to `moveCount` other waiters
 * (and the top one, if it could not take the lock) onto the lock's PI state, boosting its
 * owner. `wakeCount` must be 1. Returns woken + moved.
 */
export function* futexCmpRequeuePi(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  addr: number,
  from: FutexTarget,
  addr2: number,
  to: FutexTarget,
  wakeCount: number,
  moveCount: number,
  compare: number,
): KernelGen<number> {
  const table = k.futex;
  const vm = t.process.vm;
  if (wakeCount !== 1 || moveCount < 0 || from.key === to.key) return -EINVAL;
  table.counts.requeue++;
  yield spend(2 * k.board.costs.futexHashNs);
  const held = yield* lockPair(k, from.shard, to.shard);
  if (vm.load32(addr) !== compare >>> 0) {
    table.counts.eagain++;
    yield* unlockAll(held);
    return -EAGAIN;
  }
  const list = from.shard.buckets.get(from.key) ?? [];
  const candidates = list.filter((w) => matches(table, w, from, t, addr));
  if (candidates.some((w) => w.requeuePiKey !== to.key)) {
    yield* unlockAll(held);
    return -EINVAL; // a waiter that did not ask to be requeued to this PI lock
  }
  let woken = 0;
  let moved = 0;
  const take = (w: FutexWaiter) => list.splice(list.indexOf(w), 1);
  const first = candidates[0];
  if (first !== undefined && (vm.load32(addr2) & FUTEX_TID_MASK) === 0) {
    take(first);
    const word = vm.load32(addr2);
    const more = candidates.length > 1 && moveCount > 0;
    vm.store32(addr2, (first.thread.id | (word & FUTEX_OWNER_DIED) | (more ? FUTEX_WAITERS : 0)) >>> 0);
    const s = attach(to.shard, to.key, null);
    giveTo(s, first);
    first.key = to.key;
    yield* k.wakeThread(cpu, first.thread);
    detachIfIdle(s);
    woken = 1;
    candidates.shift();
  }
  const ownerWord = vm.load32(addr2);
  const owner = ownerOf(k, ownerWord);
  // The top waiter that could not take the lock is requeued in the wake slot, beyond moveCount
  // (Linux's "requeue nr_requeue waiters and possibly one more"): pthread_cond_signal's
  // CMP_REQUEUE_PI(1, 0) queues its waiter on a held PI mutex this way.
  const limit = woken === 1 ? moveCount : moveCount + 1;
  for (const w of candidates) {
    if (moved >= limit || owner === null) break;
    take(w);
    vm.store32(addr2, (vm.load32(addr2) | FUTEX_WAITERS) >>> 0);
    const s = attach(to.shard, to.key, owner);
    w.key = to.key;
    w.requeuePiKey = null;
    enqueueByPrio(s.waiters, w);
    w.thread.piWaiting = s;
    moved++;
    yield spend(k.board.costs.futexWakeOneNs);
  }
  table.tidy(from.shard, from.key);
  if (moved > 0 && owner !== null) yield* adjustChain(k, cpu, owner);
  table.counts.requeued += moved;
  yield* unlockAll(held);
  return woken + moved;
}
