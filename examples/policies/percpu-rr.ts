/**
 * A per-CPU round robin with stealing (issue 22's second worked example): each CPU has its own
 * FIFO under its own lock (which is also its switch lock, as fair's run queues are), a woken
 * thread goes back to the CPU it last ran on (or an idle CPU it may run on), and a CPU whose
 * queue is empty steals the newest thread from the first other queue it can lock without
 * waiting (a try-lock, so two stealers never deadlock on each other's queues).
 *
 * Check it: smpsim check-policy examples/policies/percpu-rr.ts
 */
import type { Context, Cpu, KernelGen, SchedHost, SchedPolicy, Thread } from 'smpsim/policy';
import { isThread, LOCK_RUN_QUEUE, lock, reschedule, SpinLock, spend, ThreadState } from 'smpsim/policy';
import { TimedSleepers, TurnCounter, tryLock, unlock } from 'smpsim/policy';

/** Ticks per turn: 4 ms at the fair preset's 1000 Hz tick. */
export const QUANTUM_TICKS = 4;

/** As fifo-rr's: no wakeup preemption, so a woken thread waits up to a 4-tick turn (check-policy checks it). */
export const conformanceExceptions = {
  wake: {
    reason: `no wakeup preemption: the woken thread waits for the running one's ${QUANTUM_TICKS}-tick turn to end`,
    max: QUANTUM_TICKS * 1_000_000 + 100_000,
  },
};

export function createPolicy(host: SchedHost): SchedPolicy {
  return new PerCpuRoundRobin(host);
}

class PerCpuRoundRobin implements SchedPolicy {
  readonly name = 'percpu-rr';
  readonly keepsBlockedQueued = false;
  readonly schedHandles = false;
  readonly #host: SchedHost;
  readonly #locks: SpinLock[];
  readonly #queues: Thread[][];
  /** Which queue holds a thread (absent: none). */
  readonly #where = new Map<Thread, number>();
  /** Timed blocks this policy expires itself (only on a preset without hrtimers). */
  readonly #sleepers = new TimedSleepers();
  readonly #turns: TurnCounter;
  #steals = 0;

  constructor(host: SchedHost) {
    this.#host = host;
    const n = host.cpus.length;
    this.#locks = Array.from({ length: n }, (_, id) => new SpinLock(`rr${id}`, LOCK_RUN_QUEUE, id));
    this.#queues = Array.from({ length: n }, () => []);
    this.#turns = new TurnCounter(n, QUANTUM_TICKS);
  }

  switchLock(cpuId: number): SpinLock {
    return this.#locks[cpuId]!;
  }

  *tick(cpu: Cpu, periods: number): KernelGen<boolean> {
    if (this.#turns.tick(cpu.id, periods)) return true;
    // An idle CPU looks for work to steal, and for a sleeper due on it.
    const idleWithWork = !isThread(cpu.current) && this.#where.size > 0;
    return idleWithWork || this.#sleepers.dueNs() <= this.#host.board.engine.nowNs;
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
    if (this.#where.has(t)) return;
    // An idle CPU with an empty queue it may run on (the one it last ran on first), else its last one.
    const cpus = this.#host.cpus;
    const order = [t.lastCpu, cpu.id, ...cpus.map((c) => c.id)].filter((id) => id >= 0 && t.allowedOn(id));
    const idle = order.find((id) => !isThread(cpus[id]!.current) && this.#queues[id]!.length === 0);
    const target = idle ?? order[0] ?? cpu.id;
    yield lock(this.#locks[target]!);
    if (!this.#where.has(t)) this.#enqueue(target, t);
    yield unlock(this.#locks[target]!);
    if (!isThread(cpus[target]!.current)) yield* reschedule(this.#host, cpu, target);
  }

  #enqueue(id: number, t: Thread): void {
    this.#queues[id]!.push(t);
    this.#where.set(t, id);
  }

  armTimeout(_cpu: Cpu, t: Thread, deadlineNs: number): void {
    this.#sleepers.arm(t, deadlineNs);
  }

  *select(cpu: Cpu, prev: Context): KernelGen<Context | null> {
    this.#turns.reset(cpu.id);
    // Timed blocks due now that may run here join this CPU's queue (its lock is held).
    this.#sleepers.expire(
      this.#host,
      (t) => this.#enqueue(cpu.id, t),
      (t) => t.allowedOn(cpu.id),
    );
    if (isThread(prev) && prev.state === ThreadState.Runnable && !this.#where.has(prev))
      this.#enqueue(cpu.id, prev);
    yield spend(this.#host.board.costs.schedPickNs);
    const next = this.#take(cpu.id, cpu.id, prev) ?? (yield* this.#steal(cpu));
    if (next !== null) return next;
    const idle = this.#host.idle[cpu.id]!;
    return prev === idle ? null : idle;
  }

  /** The oldest (own queue) or newest (a victim's) thread of queue `from` that may run on `cpuId`. */
  #take(from: number, cpuId: number, prev: Context | null): Thread | null {
    const queue = this.#queues[from]!;
    const fits = (t: Thread) => (!t.running || t === prev) && t.allowedOn(cpuId);
    const at = from === cpuId ? queue.findIndex(fits) : queue.findLastIndex(fits);
    if (at < 0) return null;
    const t = queue.splice(at, 1)[0]!;
    this.#where.delete(t);
    return t;
  }

  *#steal(cpu: Cpu): KernelGen<Thread | null> {
    const n = this.#queues.length;
    for (let k = 1; k < n; k++) {
      const victim = (cpu.id + k) % n;
      if (this.#queues[victim]!.length === 0) continue;
      if (!((yield tryLock(this.#locks[victim]!)) as boolean)) continue;
      const t = this.#take(victim, cpu.id, null);
      yield unlock(this.#locks[victim]!);
      if (t !== null) {
        this.#steals++;
        return t;
      }
    }
    return null;
  }

  remove(t: Thread): void {
    this.#sleepers.delete(t);
    const id = this.#where.get(t);
    if (id === undefined) return;
    this.#queues[id]!.splice(this.#queues[id]!.indexOf(t), 1);
    this.#where.delete(t);
  }

  // No priorities; what is queued, on which CPU; the locks; the counters `smpsim run` reports.
  *prioChanged(): KernelGen<void> {}
  queued(): Thread[] {
    return this.#queues.flat().filter((t) => !t.running);
  }
  queuedOn(cpuId: number): number {
    return this.#queues[cpuId]!.filter((t) => !t.running).length;
  }
  locks(): SpinLock[] {
    return this.#locks;
  }
  stats(): Record<string, number> {
    return { steals: this.#steals };
  }
}
