/**
 * The PI side of a thread's exit (Linux's exit_pi_state_list): the PI locks a dying owner still
 * holds go to their top waiters with OWNER_DIED set. The robust-list walk is robust.ts.
 */
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, lock, spend, unlock } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import type { Thread } from '../thread.ts';
import { pokeProcess32 } from '../uaccess.ts';
import { adjustChain, detachIfIdle, FUTEX_OWNER_DIED, FUTEX_WAITERS, giveTo } from './pi.ts';

/**
 * A thread's exit with PI locks it still owns (Linux's exit_pi_state_list, kernel/futex/core.c,
 * run after the robust-list walk): each lock with waiters goes to its top waiter, which wakes
 * owning it. Linux clears the pi_state's owner and unlocks the rt_mutex; the waiter that takes
 * it then writes the word in fixup_pi_owner as its TID | WAITERS | OWNER_DIED (OWNER_DIED since
 * the pi_state had no owner). Here the exit path writes that word for it, in the waiter's own
 * address space, so FUTEX_LOCK_PI returns 0 over the same word. Linux mode only: Red Bear's
 * patches have no such walk, and its waiters wait on.
 */
export function* exitPiStateList(k: Kernel, cpu: Cpu, t: Thread): KernelGen<void> {
  if (k.futex.mode !== 'linux') return;
  for (const s of [...t.piHeld]) {
    yield lock(s.shard.lock);
    const top = s.owner === t ? s.waiters.shift() : undefined;
    if (top !== undefined) {
      pokeProcess32(top.process.vm, top.lockVaddr, (top.thread.id | FUTEX_WAITERS | FUTEX_OWNER_DIED) >>> 0);
      giveTo(s, top);
      k.futex.counts.pi_owner_died++;
      yield* k.wakeThread(cpu, top.thread);
      yield* adjustChain(k, cpu, top.thread);
      yield spend(k.board.costs.futexWakeOneNs);
    }
    if (s.owner === t) t.piHeld.delete(s);
    detachIfIdle(s);
    yield unlock(s.shard.lock);
  }
}
