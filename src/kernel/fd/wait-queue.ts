/**
 * A queue of threads blocked on a scheme object (a pipe's readers or writers, a server's
 * request queue), as Redox's WaitCondition and Linux's wait_queue_head_t: a sleeper checks its
 * condition, then blocks; a waker wakes them all and each re-checks (pipe_read/pipe_write loop).
 */
import { EINTR } from '../../abi/errno.ts';
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { schedule } from '../sched/switch.ts';
import { signalPending } from '../signal.ts';
import type { Thread } from '../thread.ts';
import { NO_TIMEOUT } from '../timeout.ts';

export class WaitQueue {
  readonly #sleepers = new Set<Thread>();
  readonly reason: string;

  constructor(reason: string) {
    this.reason = reason;
  }

  get size(): number {
    return this.#sleepers.size;
  }

  /**
   * Blocks `t` until woken; returns the CPU it runs on afterwards, or -EINTR when a signal is
   * pending (before or after the sleep), as an interruptible wait returns -ERESTARTSYS.
   */
  *sleep(k: Kernel, cpu: Cpu, t: Thread): KernelGen<Cpu | number> {
    if (signalPending(t)) return -EINTR;
    this.#sleepers.add(t);
    k.blockCurrent(cpu, t, this.reason, NO_TIMEOUT);
    yield* schedule(k, cpu);
    this.#sleepers.delete(t);
    if (signalPending(t)) return -EINTR;
    return k.cpuOf(t);
  }

  /** poll: `t` sleeps on several queues at once; it adds itself to each, then blocks. */
  add(t: Thread): void {
    this.#sleepers.add(t);
  }

  remove(t: Thread): void {
    this.#sleepers.delete(t);
  }

  /** Wakes every sleeper (each re-checks its condition). */
  *wakeAll(k: Kernel, cpu: Cpu): KernelGen<void> {
    for (const t of [...this.#sleepers]) {
      this.#sleepers.delete(t);
      yield* k.wakeThread(cpu, t);
    }
  }
}
