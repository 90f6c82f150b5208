/**
 * `dwrr`: the baseline scheduler as Redox's code behaves at 2df7467d (SCHED-1, models.md §1).
 *
 * One global set of 40 FIFOs under RUN_CONTEXTS, blocked and new contexts in IDLE_CONTEXTS, one
 * global CONTEXT_SWITCH_LOCK around every switch, per-CPU deficit counters, a 3-tick quantum.
 * Its quirks are reproduced, not fixed:
 * - a pick ends the scan and the next scan resumes after it, so each non-empty queue gets at
 *   most one pick per rotation, whatever its weight; priorities 0-20 are effectively equal;
 * - wakeups are deferred: a woken context stays in IDLE_CONTEXTS until some CPU's switch scans
 *   it, and that scan is skipped when the lock is contended (try-lock);
 * - the wakeup IPI is a broadcast whose only effect is to pull idle CPUs out of `hlt`;
 * - a tick that finds the switch lock held skips its switch;
 * - when nothing else is runnable, the previous context still goes through the idle context.
 */
import { assert } from '../../engine/assert.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { IPI_ALL_BUT_SELF, type KernelGen, lock, sendIpi, spend, tryLock, unlock } from '../../hw/effects.ts';
import { SpinLock } from '../../hw/spinlock.ts';
import { VEC_IPI_WAKEUP } from '../../hw/vectors.ts';
import { LOCK_IDLE_CONTEXTS, LOCK_RUN_CONTEXTS, LOCK_SWITCH } from '../lock-order.ts';
import { type Context, isThread, PRIO_LEVELS, type Thread, ThreadState } from '../thread.ts';
import { collectWakeups, dwrrScan, earliestWakeNs } from './dwrr-core.ts';
import { checkPlaces, checkScanState, checkTickCounts, type PlaceList } from './dwrr-invariants.ts';
import type { SchedHost, SchedPolicy } from './policy.ts';
import { TraceKind } from '../../abi/trace.ts';

/** Ticks per quantum (switch.rs `tick`): 3 PIT ticks, about 12.19 ms. */
export const DWRR_QUANTUM_TICKS = 3;
export { DWRR_ITERATIONS_MAX } from './dwrr-core.ts';

export class DwrrPolicy implements SchedPolicy {
  readonly name = 'dwrr';
  readonly keepsBlockedQueued = true;
  readonly schedHandles = false;
  readonly runLock = new SpinLock('RUN_CONTEXTS', LOCK_RUN_CONTEXTS);
  readonly idleLock = new SpinLock('IDLE_CONTEXTS', LOCK_IDLE_CONTEXTS);
  readonly contextSwitchLock = new SpinLock('CONTEXT_SWITCH_LOCK', LOCK_SWITCH);
  /** RUN_CONTEXTS.set: one FIFO per priority level. */
  readonly set: Thread[][] = Array.from({ length: PRIO_LEVELS }, () => []);
  /** IDLE_CONTEXTS: blocked, sleeping and new contexts, and woken ones not yet scanned. */
  readonly idleContexts: Thread[] = [];
  readonly #host: SchedHost;
  /** Per-CPU `balance[40]` deficit counters. */
  readonly #balance: Int32Array[];
  readonly #lastQueue: Int32Array;
  readonly #pitTicks: Int32Array;
  /** The CPU's last switch found nothing (cpu_stats state Idle): `was_idle`. */
  readonly #wasIdle: Uint8Array;
  #scans = 0;
  #scanIterations = 0;
  #skippedWakeupScans = 0;
  #ticksSkippedLockHeld = 0;
  /** The lists a context can be in, for the invariant check. */
  readonly #places: readonly PlaceList[];

  constructor(host: SchedHost) {
    this.#host = host;
    const cpus = host.cpus.length;
    this.#balance = Array.from({ length: cpus }, () => new Int32Array(PRIO_LEVELS));
    this.#lastQueue = new Int32Array(cpus).fill(PRIO_LEVELS - 1);
    this.#pitTicks = new Int32Array(cpus);
    this.#wasIdle = new Uint8Array(cpus);
    this.#places = [
      { name: 'IDLE_CONTEXTS', list: this.idleContexts },
      ...this.set.map((list, prio) => ({ name: `RUN_CONTEXTS[${prio}]`, list })),
    ];
  }

  switchLock(): SpinLock {
    return this.contextSwitchLock;
  }

  *tick(cpu: Cpu, periods: number): KernelGen<boolean> {
    const ticks = (this.#pitTicks[cpu.id]! += periods);
    if (ticks < DWRR_QUANTUM_TICKS) return false;
    if (this.contextSwitchLock.held) {
      this.#ticksSkippedLockHeld++;
      return false;
    }
    return true;
  }

  /**
   * Tickless (TSC-deadline, HW-12): a CPU running a thread needs a tick where its 3-tick quantum
   * ends; a halted CPU needs one only when a sleeper's timeout falls due, since timeouts are
   * checked in switch() and a halted CPU's wakeup runs switch().
   */
  nextTickNs(cpu: Cpu, periodNs: number): number {
    const nowNs = this.#host.board.engine.nowNs;
    if (isThread(cpu.current)) {
      return nowNs + Math.max(1, DWRR_QUANTUM_TICKS - this.#pitTicks[cpu.id]!) * periodNs;
    }
    return earliestWakeNs(this.idleContexts);
  }

  *start(cpu: Cpu, t: Thread): KernelGen<void> {
    // context::spawn puts new contexts in IDLE_CONTEXTS; starting one only unblocks it.
    yield lock(this.idleLock);
    this.idleContexts.push(t);
    yield unlock(this.idleLock);
    t.state = ThreadState.Runnable;
    yield* this.#kick(cpu, t);
  }

  *wake(cpu: Cpu, t: Thread): KernelGen<void> {
    yield* this.#kick(cpu, t);
  }

  /** Context::unblock: a broadcast wakeup IPI unless the context last ran on this CPU. */
  *#kick(cpu: Cpu, t: Thread): KernelGen<void> {
    if (t.lastCpu !== cpu.id) yield sendIpi(IPI_ALL_BUT_SELF, VEC_IPI_WAKEUP);
  }

  armTimeout(_cpu: Cpu, t: Thread, deadlineNs: number): void {
    t.wakeNs = deadlineNs; // checked only inside switch(): timer resolution is one switch
  }

  *select(cpu: Cpu, prev: Context): KernelGen<Context | null> {
    this.#pitTicks[cpu.id] = 0; // every switch() restarts the quantum
    yield* this.#wakeupContexts(prev);
    yield lock(this.runLock);
    const next = yield* this.#scan(cpu, prev);
    if (isThread(prev)) {
      if (prev.state === ThreadState.Runnable) this.set[prev.prio]!.push(prev);
      else yield* this.#toIdleContexts(prev);
    }
    yield unlock(this.runLock);
    if (next !== null) {
      this.#wasIdle[cpu.id] = 0;
      return next;
    }
    const idle = this.#host.idle[cpu.id]!;
    if (this.#wasIdle[cpu.id] === 0 && prev !== idle) return idle; // Kernel state, not Idle
    this.#wasIdle[cpu.id] = 1;
    return null;
  }

  /** wakeup_contexts: move runnable and expired contexts from IDLE_CONTEXTS to the run queues. */
  *#wakeupContexts(prev: Context): KernelGen<void> {
    const got = (yield tryLock(this.idleLock)) as boolean;
    if (!got) {
      this.#skippedWakeupScans++; // "other cpus may be spawning or killing contexts"
      return;
    }
    const visited = this.idleContexts.length;
    const wakeups = collectWakeups(this.idleContexts, prev, this.#host.board.engine.nowNs);
    yield spend(visited * this.#host.board.costs.schedScanPerContextNs);
    yield unlock(this.idleLock);
    if (wakeups.length === 0) return;
    yield lock(this.runLock);
    for (const t of wakeups) this.set[t.prio]!.push(t);
    yield unlock(this.runLock);
  }

  /** select_next_context's scan over the 40 queues (dwrr-core.ts); RUN_CONTEXTS is held. */
  *#scan(cpu: Cpu, prev: Context): KernelGen<Thread | null> {
    const host = this.#host;
    const r = dwrrScan(
      this.set,
      this.#balance[cpu.id]!,
      this.#lastQueue[cpu.id]!,
      cpu.id,
      prev,
      host.board.engine.nowNs,
      this.#expire,
    );
    this.#lastQueue[cpu.id] = r.lastQueue;
    this.#scans++;
    this.#scanIterations += r.iterations;
    host.traceDecision(TraceKind.DwrrPick, cpu.id, r.next === null ? -1 : r.next.id);
    const costs = host.board.costs;
    yield spend(costs.schedPickNs + r.visited * costs.schedScanPerContextNs + r.iterations * 2);
    for (const t of r.blocked) yield* this.#toIdleContexts(t);
    return r.next;
  }

  readonly #expire = (t: Thread): void => this.#host.expireTimeout(t);

  *#toIdleContexts(t: Thread): KernelGen<void> {
    yield lock(this.idleLock);
    this.idleContexts.push(t);
    yield unlock(this.idleLock);
  }

  /**
   * Redox has no priority inheritance and no RT classes: a queued context stays in the queue of
   * the priority it was queued at, and picks up a changed `prio` when it is next requeued.
   */
  *prioChanged(): KernelGen<void> {}

  remove(): void {
    // Dead contexts are dropped lazily when a scan meets them, as Redox drops dead weak refs.
  }

  queued(): Thread[] {
    return this.set.flat().filter((t) => t.state !== ThreadState.Dead);
  }

  locks(): SpinLock[] {
    return [this.contextSwitchLock, this.runLock, this.idleLock];
  }

  /**
   * The policy's invariants (dwrr-invariants.ts): each live context in at most one list, and
   * with no dwrr lock held every started one not running in exactly one; each CPU's deficit
   * counters and `last_queue` in range.
   */
  checkInvariants(threads: Iterable<Thread>): void {
    const allFree = !this.contextSwitchLock.held && !this.runLock.held && !this.idleLock.held;
    checkPlaces(this.#places, threads, allFree);
    for (let id = 0; id < this.#balance.length; id++) {
      checkScanState(id, this.#balance[id]!, this.#lastQueue[id]!);
    }
    checkTickCounts(this.#pitTicks);
    assert(this.#scanIterations >= this.#scans, 'invariant: dwrr counted fewer scan iterations than scans');
  }

  stats(): Record<string, number> {
    return {
      scans: this.#scans,
      scan_iterations: this.#scanIterations,
      wakeup_scans_skipped: this.#skippedWakeupScans,
      ticks_skipped_lock_held: this.#ticksSkippedLockHeld,
    };
  }
}
