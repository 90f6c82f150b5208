/**
 * FUTEX_WAIT, WAIT64, WAIT_BITSET, WAKE and WAKE_BITSET over the table, in each mode's rules:
 * redox and redbear wake by swap-remove and leave a timed-out waiter's entry behind (models.md
 * §2); linux wakes in its plist order (chain.ts: real-time waiters by priority, then the rest
 * FIFO), refuses with EINVAL a wake that meets a PI waiter, and a timed-out waiter removes itself
 * (kernel/futex/waitwake.c).
 */
import { EAGAIN, EFAULT, EINTR, EINVAL, ETIMEDOUT } from '../../abi/errno.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { fail } from '../../engine/assert.ts';
import { type KernelGen, lock, spend, unlock } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { ERESTARTSYS } from '../restart.ts';
import { schedule } from '../sched/switch.ts';
import { signalPending } from '../signal.ts';
import { type Thread, ThreadState } from '../thread.ts';
import { getUser32, wordOk } from '../uaccess.ts';
import { chainBefore, enqueue, firstPiWaiter } from './chain.ts';
import { hasTimeout, type Timeout } from '../timeout.ts';
import { type FutexMode, type FutexShard, type FutexTable, type FutexWaiter, newWaiter } from './table.ts';

export const FUTEX_BITSET_MATCH_ANY = 0xffffffff;

/** A futex word resolved: its key and shard, or a negative errno. */
export interface FutexTarget {
  key: number;
  phys: number;
  shard: FutexShard;
}

/** Checks alignment and mapping and finds the word's key and shard (FUTEX-1). */
export function resolveTarget(
  k: Kernel,
  t: Thread,
  addr: number,
  isPrivate: boolean,
  align = 4,
): FutexTarget | number {
  if (addr % align !== 0) return -EINVAL;
  const phys = t.process.vm.physicalAddress(addr, t.lastCpu);
  if (phys < 0 || !wordOk(t, addr, false)) return -EFAULT;
  const table = k.futex;
  // Copy-on-write moves a private page to a new frame at a write, so its futexes cannot be keyed
  // by frame: Linux's get_futex_key keys an anonymous page by (mm, address) even without
  // FUTEX_PRIVATE_FLAG (kernel/futex/core.c). Only with fork = "cow", which needs futex mode
  // linux (scenario/validate.ts), so every other configuration keeps its keys.
  const anonymous = k.mmu.cowFork && t.process.vm.regionAt(addr)?.shared === false;
  const key = table.key(t.process, addr, phys, isPrivate || anonymous);
  return { key, phys, shard: table.shardOf(key, phys) };
}

/**
 * What a futex wait waits for, named, as FUTEX_WAIT, WAIT_BITSET and WAIT_REQUEUE_PI give it.
 * (An object rather than positional arguments: the word's address, its expected value and the
 * bitset are all numbers, and side by side they were easy to swap unnoticed.)
 */
export interface FutexWaitRequest {
  /** The futex word's guest virtual address. */
  vaddr: number;
  /** The word's key and shard (resolveTarget). */
  target: FutexTarget;
  /** The value the word must still hold for the caller to sleep (else EAGAIN): 32 bits, or 64 when `wide`. */
  expectedValue: number;
  /**
   * Redox's FUTEX_WAIT64 (models.md §2: op 3, 8-aligned, `val` a usize): the expected value is
   * compared with the whole 64-bit word, little-endian, both halves (an integer below 2^53, or a
   * negative one taken in two's complement, as a usize is).
   */
  wide?: boolean;
  /** Until when (NO_TIMEOUT: none; one on CLOCK_REALTIME follows clock steps, timeout.ts). */
  timeout: Timeout;
  /** WAIT_BITSET's mask; FUTEX_BITSET_MATCH_ANY for the other waits. */
  bitset: number;
  /** WAIT_REQUEUE_PI: the PI word it is to be requeued onto (its key and address); absent or null for other waits. */
  requeuePi?: { key: number; vaddr: number } | null;
}

/**
 * Sleeps while the word equals the expected value, until the timeout. Returns 0 when woken, or
 * -EAGAIN / -ETIMEDOUT / -EINTR. A signal already
 * pending stops the wait before it blocks (all modes: Redox checks too); one that arrives while
 * it sleeps ends it in linux mode (EINTR, or a restart under SA_RESTART when there is no
 * timeout), while Redox's code returns 0 and leaves the entry.
 */
export function* futexWait(k: Kernel, cpu: Cpu, t: Thread, wait: FutexWaitRequest | null): KernelGen<number> {
  if (wait === null) fail('futex: a wait without a request');
  const table = k.futex;
  const waiter = yield* queueWaiter(k, cpu, t, wait);
  // Linux's futex_wait answers a signal with ERESTARTSYS when it has no timeout (restarted under
  // SA_RESTART, else EINTR) and with EINTR to a handler when it has one (ERESTART_RESTARTBLOCK).
  const interruptedCode = table.mode === 'linux' && !hasTimeout(wait.timeout) ? -ERESTARTSYS : -EINTR;
  // Nothing below reads the request: let it go before sleeping. A suspended generator keeps its
  // parameters alive, and the request (with the target it names) was ~150 bytes of every thread
  // parked here (issue 14: memory per idle thread); `null` is why the parameter may be null.
  wait = null;
  if (waiter === -EINTR) return interruptedCode;
  if (typeof waiter === 'number') return waiter;
  yield* schedule(k, cpu);
  if (waiter.woken) return 0;
  if (t.timedOut) {
    table.counts.timeouts++;
    if (table.mode === 'linux') yield* removeWaiter(k, waiter);
    return -ETIMEDOUT; // redox and redbear leave the entry behind for a later wake to consume
  }
  if (t.interrupted && table.mode === 'linux') {
    table.counts.interrupted++;
    yield* removeWaiter(k, waiter);
    // A wake that raced with the signal took the waiter first: report the wake, as Linux does.
    return waiter.woken ? 0 : interruptedCode;
  }
  return 0;
}

/**
 * The first half of every futex wait: under the shard lock, EAGAIN when the word is not the
 * expected value (WAIT64 compares both 32-bit halves of its 64-bit word: `wordHolds`),
 * EINTR when a signal is already pending; otherwise queue a waiter, block `t` (until the
 * timeout) and unlock. The caller schedules.
 */
export function* queueWaiter(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  wait: FutexWaitRequest,
): KernelGen<FutexWaiter | number> {
  const { vaddr: addr, target, expectedValue: expected, timeout, bitset, requeuePi } = wait;
  const table = k.futex;
  table.counts.wait++;
  yield spend(k.board.costs.futexHashNs);
  yield lock(target.shard.lock);
  if (!wordHolds(t, addr, expected, wait.wide === true)) {
    table.counts.eagain++;
    yield unlock(target.shard.lock);
    return -EAGAIN;
  }
  if (signalPending(t)) {
    yield unlock(target.shard.lock);
    return -EINTR;
  }
  const waiter = newWaiter(t, target.key, addr, bitset, requeuePi?.key ?? null, requeuePi?.vaddr ?? addr);
  enqueue(table, target.shard, target.key, waiter);
  const what = requeuePi === null || requeuePi === undefined ? 'futex' : 'futex-requeue-pi';
  k.blockCurrent(cpu, t, what, timeout, addr, 'pid', t.process.pid);
  yield unlock(target.shard.lock);
  return waiter;
}

/** True when the futex word at `addr` holds `expected`: its low 32 bits, and with `wide` the high 32 too. */
function wordHolds(t: Thread, addr: number, expected: number, wide: boolean): boolean {
  if (getUser32(t, addr) !== expected >>> 0) return false;
  return !wide || getUser32(t, addr + 4) === Math.floor(expected / 2 ** 32) >>> 0;
}

/** A timed-out waiter takes itself out of its bucket (unless a waker got there first). */
function* removeWaiter(k: Kernel, waiter: FutexWaiter): KernelGen<void> {
  // The key may have changed by a requeue while it slept: look it up again under the lock.
  for (;;) {
    const key = waiter.key;
    const shard = k.futex.shardOf(key, key >= 0 ? key : 0);
    yield lock(shard.lock);
    if (waiter.key !== key) {
      yield unlock(shard.lock);
      continue;
    }
    const list = shard.buckets.get(key);
    const index = list?.indexOf(waiter) ?? -1;
    if (index >= 0) list!.splice(index, 1);
    k.futex.tidy(shard, key);
    yield unlock(shard.lock);
    return;
  }
}

/** Does `waiter` wait on what `t`'s wake at `addr` names? Redox also compares address and process. */
export function matches(
  table: FutexTable,
  waiter: FutexWaiter,
  target: FutexTarget,
  t: Thread,
  addr: number,
): boolean {
  if (waiter.key !== target.key) return false;
  return table.mode === 'linux' || (waiter.vaddr === addr && waiter.process === t.process);
}

/**
 * Wakes up to `count` waiters on the target whose bitset meets `bitset`, in chain order; the
 * caller holds the target's shard lock. Returns how many it took off the table, or -EINVAL when
 * it met a waiter that only a PI operation may end before it had woken `count`: a LOCK_PI waiter
 * (linux keeps them on the same hash chain) or a WAIT_REQUEUE_PI waiter. As futex_wake does
 * (kernel/futex/waitwake.c), that test comes before the bitset test, and the waiters it passed
 * on the way stay woken.
 */
export function* wakeLocked(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  addr: number,
  target: FutexTarget,
  count: number,
  bitset: number,
): KernelGen<number> {
  const table = k.futex;
  const list = target.shard.buckets.get(target.key) ?? NO_WAITERS;
  const linux = table.mode === 'linux';
  const pi = linux ? firstPiWaiter(target.shard, target.key) : undefined;
  let woken = 0;
  let invalid = false;
  let i = 0;
  while (i < list.length && woken < count) {
    const waiter = list[i]!;
    if (!matches(table, waiter, target, t, addr)) {
      i++;
      continue;
    }
    if ((pi !== undefined && chainBefore(pi, waiter)) || waiter.requeuePiKey !== null) {
      invalid = true;
      break;
    }
    if ((waiter.bitset & bitset) === 0) {
      i++;
      continue;
    }
    if (linux) {
      // The chain's order (priority, then FIFO) is kept: the woken leave the list in one pass at
      // the end (the shard lock is held throughout), not by a splice each, which made waking all
      // of n waiters O(n²) (issue 14: 100,000 threads on one word).
      i++;
    } else {
      const last = list.pop()!; // swap_remove: the last entry fills the hole
      if (i < list.length) list[i] = last;
    }
    waiter.woken = true;
    if (waiter.thread.state === ThreadState.Blocked) yield* k.wakeThread(cpu, waiter.thread);
    else table.counts.stale_consumed++; // a redox entry left behind by a timeout or a death
    woken++;
    yield spend(k.board.costs.futexWakeOneNs);
  }
  if (linux && woken > 0) dropWoken(list);
  // The chain goes on to the PI waiters: a wake that still wants more reaches one.
  if (pi !== undefined && woken < count) invalid = true;
  table.tidy(target.shard, target.key);
  table.counts.woken += woken;
  return invalid ? -EINVAL : woken;
}

/** Removes the woken waiters from a FIFO bucket, keeping the others' order. */
/** The empty chain of a key with no plain waiters (a word may still have PI waiters). */
const NO_WAITERS: FutexWaiter[] = [];

function dropWoken(list: FutexWaiter[]): void {
  let kept = 0;
  for (const waiter of list) if (!waiter.woken) list[kept++] = waiter;
  list.length = kept;
}

/**
 * How many waiters a wake asking for `count` may take. Linux's futex_wake and futex_wake_op
 * count a waiter before they test the limit (`if (++ret >= nr_wake) break`), so a count of 0 or
 * less still wakes one when there is one; Redox's loop tests first and wakes none.
 */
export function wakeLimit(mode: FutexMode, count: number): number {
  return mode === 'linux' ? Math.max(count, 1) : count;
}

/** FUTEX_WAKE and WAKE_BITSET: wakes up to `count` waiters; returns how many. */
export function* futexWake(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  addr: number,
  target: FutexTarget,
  count: number,
  bitset: number,
): KernelGen<number> {
  k.futex.counts.wake++;
  yield spend(k.board.costs.futexHashNs);
  yield lock(target.shard.lock);
  const woken = yield* wakeLocked(k, cpu, t, addr, target, wakeLimit(k.futex.mode, count), bitset);
  yield unlock(target.shard.lock);
  return woken;
}
