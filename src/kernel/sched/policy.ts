/**
 * The scheduler interface every policy implements, and the part of the kernel a policy may use.
 * The generic switch path (`switch.ts`) takes the policy's switch lock, asks it to select, and
 * performs the switch; a policy decides only queues, picks, ticks and wakeup placement.
 */
import type { Board } from '../../hw/board.ts';
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { SpinLock } from '../../hw/spinlock.ts';
import type { Context, IdleContext, Thread } from '../thread.ts';
import type { KernelTopology } from '../topology.ts';

/** What a policy's cpuOffline moved. */
export interface HotplugMoves {
  migrated: number;
  timersMoved: number;
  runningKicked: boolean;
}

/** What policies need from the kernel. */
export interface SchedHost {
  readonly board: Board;
  /** The CPUs the kernel runs on, by CPU id (kernel.ts): policies size their per-CPU state by it. */
  readonly cpus: readonly Cpu[];
  /** The machine as the firmware tables describe it (HW-14); never the board's topology. */
  readonly topology: KernelTopology;
  readonly idle: readonly IdleContext[];
  /** Per-CPU "reschedule at the next return to user mode" flags (Linux TIF_NEED_RESCHED). */
  readonly needResched: Uint8Array;
  /** Makes `t` runnable after a block ended by its deadline (sets `timedOut`). */
  expireTimeout(t: Thread): void;
  /** CPU hotplug state (kernel/hotplug.ts): which CPUs are being taken offline right now. */
  readonly hotplug: { readonly dying: Uint8Array };
  /** Trace hook for scheduling decisions. */
  traceDecision(kind: number, a: number, b: number): void;
}

export interface SchedPolicy {
  readonly name: string;
  /**
   * Whether a blocked context may stay in the policy's queues until a scan finds it (Redox's
   * DWRR and the Red Bear overlay, which skip non-runnable contexts when they select); false
   * for policies that dequeue on block, where a queued blocked context is a bug.
   */
  readonly keepsBlockedQueued: boolean;
  /**
   * Whether the proc scheme serves Red Bear's per-thread `sched-policy` and `priority` handles
   * (P5-proc-setschedpolicy, P7-proc-setpriority; SCHED-11). Upstream Redox (dwrr) has only
   * `name` and `sched-affinity`: opening the other two there gives ENOENT.
   */
  readonly schedHandles: boolean;
  /** The lock held across selection and the switch on `cpuId`. */
  switchLock(cpuId: number): SpinLock;
  /**
   * A timer tick on `cpu`: account, expire timers; true when the CPU should switch now.
   * `periods` is how many nominal tick periods it stands for: 1 for a periodic source, more
   * when a one-shot TSC deadline replaced several ticks (HW-12).
   */
  tick(cpu: Cpu, periods: number): KernelGen<boolean>;
  /**
   * Tickless operation (TSC-deadline, HW-12): the absolute time at which `cpu` next needs a
   * tick, from the policy's own needs (the end of the running context's slice, the earliest
   * timer it must expire), or NO_DEADLINE (engine/deadline.ts) when it needs none. `periodNs` is the nominal tick the
   * policy counts its slices in.
   */
  nextTickNs(cpu: Cpu, periodNs: number): number;
  /**
   * Idle-tick folding (kernel/idle-fold.ts, issue 14): before when the periodic ticks of the
   * idle `cpu` only advance time and counters (no timer, balance or steal of the policy's), or
   * -1 when one may do more now. `otherCpu`: asked about a CPU other than the one folding,
   * for which only what its ticks would change outside its own counters matters. A policy
   * without it is never folded.
   */
  idleFoldUntilNs?(cpu: Cpu, otherCpu: boolean): number;
  /** A context created through the proc scheme is started (made runnable the first time). */
  start(cpu: Cpu, t: Thread): KernelGen<void>;
  /** A blocked context was made Runnable by `cpu`: queue it (or defer it) and kick a CPU. */
  wake(cpu: Cpu, t: Thread): KernelGen<void>;
  /**
   * A timed block begins on `cpu` with an absolute monotonic deadline (without hrtimers: the
   * policy expires it at a tick or switch; with them the kernel's hrtimers do, kernel/hrtimer.ts).
   */
  armTimeout(cpu: Cpu, t: Thread, deadlineNs: number): void;
  /**
   * With hrtimers: when the policy's own timers next fall due on `cpu` (Linux's dl_task_timer
   * replenishing a throttled deadline server, the RT period timer), or NO_DEADLINE.
   */
  hrtimerNextNs?(cpu: Cpu): number;
  /** With hrtimers: runs the policy's timers due on `cpu`; true when the CPU should reschedule. */
  runHrtimers?(cpu: Cpu): KernelGen<boolean>;
  /**
   * Chooses what `cpu` runs next and requeues `prev`; the switch lock is held. Returns the next
   * context (a thread, this CPU's idle context, or `prev` to keep running), or null when there
   * is nothing to run and the CPU should halt.
   */
  select(cpu: Cpu, prev: Context): KernelGen<Context | null>;
  /**
   * `t`'s effective priority changed (a PI boost began or ended, or its class or parameters
   * were set): move it within the policy's queues if it is queued, and preempt if it now
   * outranks what a CPU runs. Called with no policy lock held.
   */
  prioChanged(cpu: Cpu, t: Thread): KernelGen<void>;
  /**
   * The scheduling classes (abi/sched.ts policy numbers) the policy implements, for
   * sched_setscheduler and friends (SCHED-7). Absent: the policy has no such calls at all
   * (the baseline: Redox has no sched_* system calls; they answer ENOSYS).
   */
  readonly classes?: readonly number[];
  /**
   * SCHED_DEADLINE admission may reserve every CPU in full (gedf, as SimSo admits any set).
   * Absent: Linux's cap, sched_rt_runtime_us / sched_rt_period_us = 95% of each CPU.
   */
  readonly dlFullCapacity?: boolean;
  /** sched_yield by the running `t` on `cpu`, before the switch (Linux's yield_task). */
  yieldCurrent?(cpu: Cpu, t: Thread): void;
  /** What sched_rr_get_interval reports for `t` (ns), when the policy has the call. */
  rrIntervalNs?(t: Thread): number;
  /**
   * sched_setaffinity (SCHED-8): gives `t` the CPU mask `mask` (null: every CPU) under the
   * policy's locks and moves it off a CPU the mask excludes. Without this hook the kernel writes
   * the mask at once, unlocked, and it takes effect at the next pick, as in Redox (each pick
   * checks the mask; a running context keeps its CPU until its next switch).
   */
  setAffinity?(cpu: Cpu, t: Thread, mask: Uint8Array | null): KernelGen<void>;
  /**
   * Runs on `cpu` right after a switch, once its switch lock is released (Linux's balance
   * callbacks): work that may only happen once the previous context is off the CPU.
   */
  afterSwitch?(cpu: Cpu): KernelGen<void>;
  /** Checks the policy's own structures (tests run it after every event); throws on a violation. */
  checkInvariants?(threads: Iterable<Thread>): void;
  /**
   * CPU hotplug (kernel/hotplug.ts): CPU `deadId`, already out of the online mask, is emptied:
   * its queued contexts move to online CPUs, its running one is told to switch (the switch moves
   * it), and the policy's own timed blocks move to `toCpu`. Absent: the policy cannot offline a
   * CPU (the Redox baselines).
   */
  cpuOffline?(cpu: Cpu, deadId: number, toCpu: number): KernelGen<HotplugMoves>;
  /** How many contexts are queued on `cpuId` (runnable there, curr excluded), for invariants. */
  queuedOn?(cpuId: number): number;
  /** `t` died or was killed: drop it from every queue the policy keeps. */
  remove(t: Thread): void;
  /** Every context the policy holds as runnable-but-not-running (for invariant checks). */
  queued(): Thread[];
  /** Every lock the policy takes, for contention reports. */
  locks(): SpinLock[];
  /** Policy-specific figures for the report. */
  stats(): Record<string, number>;
}
