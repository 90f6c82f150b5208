/**
 * A global FIFO round robin (issue 22's first worked example): one queue for the whole machine
 * under one lock, each CPU takes the head when its quantum of QUANTUM_TICKS ticks ends or its
 * thread blocks, and a preempted thread goes to the tail. A woken thread is queued at the tail
 * and an idle CPU it may run on is told to reschedule; if none is idle it waits its turn.
 *
 * Run it:   smpsim run scenarios/seeds/<any>.toml --policy-module examples/policies/fifo-rr.ts
 * Check it: smpsim check-policy examples/policies/fifo-rr.ts
 */
import type { Context, Cpu, KernelGen, SchedHost, SchedPolicy, Thread } from 'smpsim/policy';
import { isThread, LOCK_SWITCH, lock, reschedule, SpinLock, spend, ThreadState } from 'smpsim/policy';
import { TimedSleepers, TurnCounter, unlock } from 'smpsim/policy';

/** Ticks per turn: 4 ms at the fair preset's 1000 Hz tick. */
export const QUANTUM_TICKS = 4;

/**
 * Where this policy departs from the conformance suite, and the bound it keeps instead
 * (`smpsim check-policy` checks it): a round robin does not preempt on wakeup, so a thread woken
 * while the CPU is busy waits for the rest of the running thread's turn, at most QUANTUM_TICKS
 * ticks of 1 ms on the fair preset, plus the switch.
 */
export const conformanceExceptions = {
  wake: {
    reason: `no wakeup preemption: the woken thread waits for the running one's ${QUANTUM_TICKS}-tick turn to end`,
    max: QUANTUM_TICKS * 1_000_000 + 100_000,
  },
};

export function createPolicy(host: SchedHost): SchedPolicy {
  return new FifoRoundRobin(host);
}

class FifoRoundRobin implements SchedPolicy {
  readonly name = 'fifo-rr';
  readonly keepsBlockedQueued = false;
  readonly schedHandles = false;
  readonly #host: SchedHost;
  /** The one lock: held across every switch, and by every queue change. */
  readonly #lock = new SpinLock('fifo-rr', LOCK_SWITCH);
  readonly #queue: Thread[] = [];
  /** Timed blocks this policy expires itself (only on a preset without hrtimers: dwrr, redbear). */
  readonly #sleepers = new TimedSleepers();
  readonly #turns: TurnCounter;
  #picks = 0;

  constructor(host: SchedHost) {
    this.#host = host;
    this.#turns = new TurnCounter(host.cpus.length, QUANTUM_TICKS);
  }

  switchLock(): SpinLock {
    return this.#lock;
  }

  *tick(cpu: Cpu, periods: number): KernelGen<boolean> {
    return this.#turns.tick(cpu.id, periods) || this.#sleepers.dueNs() <= this.#host.board.engine.nowNs;
  }

  nextTickNs(cpu: Cpu, periodNs: number): number {
    const turnEndNs = this.#turns.turnEndNs(cpu, periodNs, this.#host.board.engine.nowNs);
    return Math.min(turnEndNs, this.#sleepers.dueNs());
  }

  *start(cpu: Cpu, t: Thread): KernelGen<void> {
    t.state = ThreadState.Runnable;
    yield* this.wake(cpu, t);
  }

  *wake(cpu: Cpu, t: Thread): KernelGen<void> {
    this.#sleepers.delete(t);
    yield lock(this.#lock);
    if (!this.#queue.includes(t)) this.#queue.push(t);
    yield unlock(this.#lock);
    // An idle CPU the thread may run on takes it now (the one it last ran on first).
    const cpus = this.#host.cpus;
    const idle = [t.lastCpu, ...cpus.map((c) => c.id)].find(
      (id) => id >= 0 && t.allowedOn(id) && !isThread(cpus[id]!.current),
    );
    if (idle !== undefined) yield* reschedule(this.#host, cpu, idle);
  }

  armTimeout(_cpu: Cpu, t: Thread, deadlineNs: number): void {
    this.#sleepers.arm(t, deadlineNs);
  }

  *select(cpu: Cpu, prev: Context): KernelGen<Context | null> {
    this.#turns.reset(cpu.id);
    // Timed blocks due now become runnable and join the queue (the switch lock is held).
    this.#sleepers.expire(this.#host, (t) => this.#queue.push(t));
    if (isThread(prev) && prev.state === ThreadState.Runnable && !this.#queue.includes(prev))
      this.#queue.push(prev);
    yield spend(this.#host.board.costs.schedPickNs);
    const at = this.#queue.findIndex((t) => (!t.running || t === prev) && t.allowedOn(cpu.id));
    if (at >= 0) {
      this.#picks++;
      return this.#queue.splice(at, 1)[0]!;
    }
    const idle = this.#host.idle[cpu.id]!;
    return prev === idle ? null : idle;
  }

  *prioChanged(): KernelGen<void> {}

  remove(t: Thread): void {
    this.#sleepers.delete(t);
    const at = this.#queue.indexOf(t);
    if (at >= 0) this.#queue.splice(at, 1);
  }

  queued(): Thread[] {
    return this.#queue.filter((t) => !t.running);
  }

  locks(): SpinLock[] {
    return [this.#lock];
  }

  stats(): Record<string, number> {
    return { picks: this.#picks, queued: this.#queue.length };
  }
}
