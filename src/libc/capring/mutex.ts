/**
 * A mutex over a park word (RING-4, issue 20): Drepper's three-state lock ("Futexes Are Tricky",
 * mutex #2, as glibc's lowlevellock: 0 free, 1 locked, 2 locked with waiters), with PARK and
 * UNPARK ring calls where the futex version has FUTEX_WAIT and FUTEX_WAKE. `shared` picks the
 * shared park space (a word in memory shared between processes), else the private one.
 */
import { AtomicOp, type Program } from '../../abi/effects.ts';
import type { Guest } from '../../abi/guest.ts';
import { CapOp, CapSlot } from '../../abi/capring.ts';
import { capCall } from './call.ts';

const FREE = 0;
const LOCKED = 1;
const CONTENDED = 2;

/**
 * PARK/UNPARK's arguments: SQE arguments are 32-bit words, so the 48-bit word address goes as
 * its low 32 bits (arg0) and high bits (arg2) around the value (arg1) (issue 15).
 */
export function parkArgs(addr: number, value: number): number[] {
  return [addr % 2 ** 32, value, Math.floor(addr / 2 ** 32)];
}

function space(shared: boolean): number {
  return shared ? CapSlot.SharedParkSpace : CapSlot.ParkSpace;
}

/** PARK: sleeps while the word at `addr` holds `expected`; 0 when unparked, -EAGAIN if it changed. */
export function* capPark(t: Guest, addr: number, expected: number, shared = false): Program<number> {
  const cqe = yield* capCall(t, CapOp.Park, space(shared), parkArgs(addr, expected >>> 0));
  return cqe.result;
}

/** UNPARK: wakes up to `count` parked on the word at `addr`; how many it woke. */
export function* capUnpark(t: Guest, addr: number, count: number, shared = false): Program<number> {
  const cqe = yield* capCall(t, CapOp.Unpark, space(shared), parkArgs(addr, count >>> 0));
  return cqe.result;
}

export function* capMutexLock(t: Guest, addr: number, shared = false): Program<void> {
  let c = (yield t.atomic(AtomicOp.CompareExchange, addr, FREE, LOCKED)) as number;
  if (c === FREE) return;
  if (c !== CONTENDED) c = (yield t.atomic(AtomicOp.Exchange, addr, CONTENDED)) as number;
  while (c !== FREE) {
    yield* capPark(t, addr, CONTENDED, shared);
    c = (yield t.atomic(AtomicOp.Exchange, addr, CONTENDED)) as number;
  }
}

export function* capMutexUnlock(t: Guest, addr: number, shared = false): Program<void> {
  const old = (yield t.atomic(AtomicOp.Exchange, addr, FREE)) as number;
  if (old === CONTENDED) yield* capUnpark(t, addr, 1, shared);
}
