/**
 * Contexts (threads) and their states, as Redox's `Context` has them (models.md §1.1): the
 * kernel's unit of scheduling. The idle context of each CPU is a context too, never queued.
 */
import { DL_PRIO, isRtPolicy, MAX_RT_PRIO, SCHED_DEADLINE, SCHED_OTHER } from '../abi/sched.ts';
import type { ExecContext, Frame } from '../hw/context.ts';
import type { PiState } from './futex/pi.ts';
import type { DonationLock } from './locks/donation.ts';
import type { Process } from './process.ts';
import type { PendingRestart } from './restart.ts';
import { NO_DEADLINE } from '../engine/deadline.ts';

export enum ThreadState {
  /** Can run: queued, or running on a CPU (see `running`). */
  Runnable = 0,
  /** Soft-blocked: a wakeup, a timeout or a signal makes it runnable. */
  Blocked = 1,
  /** Created through the proc scheme, not yet started (HardBlocked{NotYetStarted}). */
  NotYetStarted = 2,
  Dead = 3,
}

export const THREAD_STATE_NAMES = ['runnable', 'blocked', 'not-yet-started', 'dead'] as const;

/** Redox priority levels (0 most favoured); prio p is Linux nice p-20. */
export const PRIO_LEVELS = 40;
export const PRIO_DEFAULT = 20;

export class Thread implements ExecContext {
  readonly id: number = 0;
  readonly process: Process;
  readonly frames: Frame[] = [];
  cpuTimeNs = 0;
  state = ThreadState.NotYetStarted;
  /** On a CPU right now (Redox `running`). */
  running = false;
  /** The CPU it last ran on, or -1 (Redox `cpu_id`). */
  lastCpu = -1;
  /** cpuTimeNs when it last went on a CPU. */
  stintStartCpuNs = 0;
  /**
   * CPU time of its last stint on a CPU: a bound on the cache footprint a migration makes it
   * refetch (it cannot have brought in more than it had time to; SCHED-5). Infinity before its
   * first stint ends.
   */
  lastStintNs = Number.POSITIVE_INFINITY;
  /** Redox priority 0..39 (nice + 20): the static priority of a normal context. */
  prio = PRIO_DEFAULT;
  /** Scheduling class (SCHED_OTHER, SCHED_FIFO, ... from abi/sched.ts). */
  policy = SCHED_OTHER;
  /** RT priority 1..99 for FIFO and RR, 0 otherwise (sched_param.sched_priority). */
  rtPriority = 0;
  /**
   * SCHED_DEADLINE parameters (sched_attr runtime, deadline, period; ns), 0 for other classes.
   * The run-time state of the constant-bandwidth server is the policy's (sched/deadline.ts).
   */
  dlRuntimeNs = 0;
  dlDeadlineNs = 0;
  dlPeriodNs = 0;
  /**
   * The kernel priority a PI boost lends this context (the top PI waiter's effective priority,
   * Linux's `pi_top_task` prio), or Infinity when nothing is boosting it.
   */
  piBoost = Number.POSITIVE_INFINITY;
  /**
   * PI locks it owns that have (or had) waiters: their top waiters make its boost. Made on first
   * use: most threads never own a contended PI lock, and an empty Set is 150 bytes a thread.
   */
  /** Its own priority for lock donation (DonationTask): normal_prio. */
  basePrio(): number {
    return normalPrio(this);
  }

  get piHeld(): Set<PiState> {
    if (this.#piHeld === null) this.#piHeld = new Set();
    return this.#piHeld;
  }
  #piHeld: Set<PiState> | null = null;
  /** The PI lock it is blocked on, for walking the chain of owners; null otherwise. */
  piWaiting: PiState | null = null;
  /** Red Bear PI: the `prio` to restore when its waiters are gone, or -1 when not boosted. */
  piSavedPrio = -1;
  /** The thread pointer (fs base) a batched creation set (proc-create.ts); 0 when none was given. */
  tlsBase = 0;
  /** The priority a donating kernel lock's waiters lend it (locks/donation.ts), or Infinity. */
  lockBoost = Number.POSITIVE_INFINITY;
  /** The donating kernel lock it spins for, or null. */
  lockWaiting: DonationLock | null = null;
  /** set_robust_list: the head's guest address (0 = none) and the length it was given. */
  robustHead = 0;
  robustLen = 0;
  /** Absolute monotonic deadline of a timed block, or NO_DEADLINE (Redox `wake`). */
  wakeNs = NO_DEADLINE;
  /** The exact CLOCK_REALTIME deadline of a realtime-timed block (see Kernel.realtimeWaiters). */
  realtimeDeadlineNs = 0n;
  /** The timer slack of the current timed block (timeout.ts), kept for a clock step's re-arm. */
  timerSlackNs = 0;
  /** Set when a timed block ended by its deadline rather than a wakeup. */
  timedOut = false;
  /** Set when a signal ended a block (EINTR). */
  interrupted = false;
  /** A system call that asked to be restarted, until the return to user mode settles it. */
  restart: PendingRestart | null = null;
  /**
   * What it waits for while blocked, as deadlock reports show it: `blockedWhat`, and for a futex
   * the word's address and a note (`pid 7`, `owner 12`). Kept in parts and joined when read, so
   * a futex wait builds no string (issue 14: a parked thread held ~150 bytes of them).
   */
  blockedWhat = '';
  blockedAddr = -1;
  blockedNote = '';
  blockedNoteValue = 0;

  get blockedOn(): string {
    if (this.blockedAddr < 0) return this.blockedWhat;
    return `${this.blockedWhat} 0x${this.blockedAddr.toString(16)} ${this.blockedNote} ${this.blockedNoteValue}`;
  }

  /** Blocked on `what` at the futex word `addr` (-1: none) with a note, e.g. ('pid', 7). */
  setBlockedOn(what: string, addr = -1, note = '', noteValue = 0): void {
    this.blockedWhat = what;
    this.blockedAddr = addr;
    this.blockedNote = note;
    this.blockedNoteValue = noteValue;
  }
  /** Time it was last made runnable by a wakeup, for wakeup-latency statistics; -1 if none. */
  wokenAtNs = -1;
  /** The process is being killed: exit at the next return to user mode. */
  killPending = false;
  /** Preemption is deferred while > 0 (Redox `preempt_locks`). */
  preemptLocks = 0;
  /** Allowed CPUs (1 = allowed, indexed by CPU id); null means all (SCHED-8). */
  affinity: Uint8Array | null = null;
  /**
   * Set when its mask was changed to exclude the CPU it is running on: it may keep that CPU
   * only until its next switch, which the change forced (cleared when it is switched in).
   */
  affinityMovePending = false;
  /**
   * NUMA hints (HW-14, SCHED-6): the node of the memory its last memory-bound compute touched
   * (-1: none yet), and what share of that compute, in thousandths, stalled on memory. The
   * kernel learns them where Linux's NUMA hinting faults learn numa_preferred_nid.
   */
  memNode = -1;
  memPermille = 0;
  /** Signals sent to this thread and not yet taken (bit sig-1, see abi/signal.ts). */
  sigPending = 0;
  /** Blocked signals (rt_sigprocmask). */
  sigMask = 0;
  /**
   * The mask to put back once a signal that ended a masked wait is delivered (Linux's
   * current->saved_sigmask under TIF_RESTORE_SIGMASK: cap_enter's CAP_ENTER_SIGMASK); null: none.
   */
  savedSigMask: number | null = null;
  /** The set a sigtimedwait waits for, so such a signal wakes it though blocked; 0 otherwise. */
  sigWaitSet = 0;
  /** Guest address the kernel clears and futex-wakes at exit (CLONE_CHILD_CLEARTID). */
  clearTidAddr = 0;
  exitValue: unknown = undefined;
  stackTop = 0;
  /** Scheduler-private state, owned by the active policy. */
  sched: unknown = null;

  constructor(id: number, process: Process) {
    this.id = id;
    this.process = process;
  }

  get asid(): number {
    return this.process.pid;
  }

  allowedOn(cpuId: number): boolean {
    const online = this.process.cpuOnline;
    if (online !== null && online[cpuId] === 0) return false; // offline (kernel/hotplug.ts)
    return this.affinity === null || this.affinity[cpuId] === 1;
  }
}

/**
 * The priority a context's own class and parameters give it on the kernel's one scale
 * (Linux `normal_prio`): deadline -1, RT 99 - rtPriority, normal 100 + (nice + 20).
 * Lower is more important.
 */
export function normalPrio(t: Thread): number {
  if (t.policy === SCHED_DEADLINE) return DL_PRIO;
  if (isRtPolicy(t.policy)) return MAX_RT_PRIO - 1 - t.rtPriority;
  return MAX_RT_PRIO + t.prio;
}

/** The priority it is scheduled at: its own, or a PI or lock-donation boost if more important. */
export function effectivePrio(t: Thread): number {
  const boost = t.piBoost < t.lockBoost ? t.piBoost : t.lockBoost;
  return boost < normalPrio(t) ? boost : normalPrio(t);
}

/** A CPU's idle context (Redox's `[kmain]`), pinned to its CPU. Ids are -1 - cpuId. */
export class IdleContext implements ExecContext {
  readonly id: number = 0;
  readonly frames: Frame[] = [];
  cpuTimeNs = 0;
  readonly asid = 0;
  readonly cpuId: number = 0;

  constructor(cpuId: number) {
    this.cpuId = cpuId;
    this.id = -1 - cpuId;
  }
}

export type Context = Thread | IdleContext;

export function isThread(ctx: ExecContext): ctx is Thread {
  return ctx.id >= 0;
}
