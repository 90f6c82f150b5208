/**
 * Small pieces most scheduler policies written against `smpsim/policy` need (issue 22), so a
 * worked example is its idea and not its bookkeeping: a per-CPU turn counter, the timed blocks a
 * policy expires itself, and the reschedule request (a flag, and an IPI to another CPU). The
 * built-in policies keep their own (they came first and their trace hashes are fixed); these do
 * what the examples did inline, effect for effect.
 * @module
 */
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, sendIpi } from '../../hw/effects.ts';
import { VEC_IPI_SWITCH } from '../../hw/vectors.ts';
import { NO_DEADLINE } from '../../engine/deadline.ts';
import { isThread, type Thread, ThreadState } from '../thread.ts';
import type { SchedHost } from './policy.ts';

/** Each CPU's ticks into the running thread's turn of `quantumTicks` ticks. */
export class TurnCounter {
  readonly #ticks: Int32Array;

  constructor(
    cpus: number,
    readonly quantumTicks: number,
  ) {
    this.#ticks = new Int32Array(cpus);
  }

  /** Counts `periods` ticks on `cpuId`; true when its turn is over. */
  tick(cpuId: number, periods: number): boolean {
    this.#ticks[cpuId]! += periods;
    return this.#ticks[cpuId]! >= this.quantumTicks;
  }

  /** A new turn starts on `cpuId` (at a pick). */
  reset(cpuId: number): void {
    this.#ticks[cpuId] = 0;
  }

  /** When the running thread's turn on `cpu` ends (NO_DEADLINE on an idle CPU): for nextTickNs. */
  turnEndNs(cpu: Cpu, periodNs: number, nowNs: number): number {
    if (!isThread(cpu.current)) return NO_DEADLINE;
    return nowNs + Math.max(1, this.quantumTicks - this.#ticks[cpu.id]!) * periodNs;
  }
}

/**
 * The timed blocks (a futex wait with a timeout, a nanosleep) a policy expires itself: on a
 * preset without hrtimers (dwrr's, redbear's) the kernel hands them to `armTimeout` and a tick
 * or a pick must find the due ones.
 */
export class TimedSleepers {
  readonly #sleepers = new Set<Thread>();

  /** `armTimeout`: thread `t` blocks until `deadlineNs` at the latest. */
  arm(t: Thread, deadlineNs: number): void {
    t.wakeNs = deadlineNs;
    this.#sleepers.add(t);
  }

  /** `t` woke, or left: it is no longer a sleeper. */
  delete(t: Thread): void {
    this.#sleepers.delete(t);
  }

  /**
   * Every sleeper due by `nowNs` that `accept` takes (all, by default) is woken by its timeout
   * (`host.expireTimeout`) and handed to `onDue` to be queued; one woken otherwise is forgotten.
   */
  expire(host: SchedHost, onDue: (t: Thread) => void, accept: (t: Thread) => boolean = () => true): void {
    const nowNs = host.board.engine.nowNs;
    for (const t of this.#sleepers) {
      if (t.state !== ThreadState.Blocked) this.#sleepers.delete(t);
      else if (t.wakeNs <= nowNs && accept(t)) {
        this.#sleepers.delete(t);
        host.expireTimeout(t);
        onDue(t);
      }
    }
  }

  /** The earliest deadline of a sleeper still blocked, or NO_DEADLINE. */
  dueNs(): number {
    let due = NO_DEADLINE;
    for (const t of this.#sleepers) if (t.state === ThreadState.Blocked) due = Math.min(due, t.wakeNs);
    return due;
  }
}

/** Asks CPU `target` to pick again: its need-resched flag, and an IPI when it is another CPU not yet asked. */
export function* reschedule(host: SchedHost, cpu: Cpu, target: number): KernelGen<void> {
  const flags = host.needResched;
  if (target === cpu.id) flags[target] = 1;
  else if (flags[target] === 0) {
    flags[target] = 1;
    yield sendIpi(target, VEC_IPI_SWITCH);
  }
}
