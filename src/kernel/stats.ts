/**
 * What the kernel counts, and the public metric names those counts are reported under (issue
 * 13). A counter's field name is internal and may be renamed; its metric name is a contract
 * that scenario files and the README use, so every one is written here once, in a table keyed
 * by the field it reads (name, unit, meaning, source field). The report builds `kernel.*`,
 * `signal.*` and `futex.*` metrics from these tables only (report/build.ts): renaming a field
 * without its row fails to compile, and no metric name is derived from a field name.
 */
import type { FutexTable } from './futex/table.ts';

/** The unit of a metric's value. */
export type MetricUnit = 'count' | 'ns' | 'ratio' | 'flag' | 'ms' | 'us' | 'pct' | 'per_s' | 'value';

/** A metric as the registry describes it. */
export interface MetricInfo {
  /** The public name (`kernel.ticks`); never changes once a scenario may use it. */
  readonly name: string;
  readonly unit: MetricUnit;
  /** One line: what the number says. */
  readonly meaning: string;
}

/** A row of a source-keyed table: the info and the field it reads. */
export interface MetricRow<Source extends string> extends MetricInfo {
  readonly source: Source;
}

/** The kernel's event counters (every one a public metric; the table below names them). */
export interface KernelCounters {
  interrupts: number;
  spuriousInterrupts: number;
  ticks: number;
  processesSpawned: number;
  processesExited: number;
  processesKilled: number;
  threadsCreated: number;
  /** Thread creations refused because `limits.threads_max` threads were live (EAGAIN). */
  threadLimitHits: number;
  /** Migrations that crossed a package, and a NUMA node (SCHED-5, SCHED-6). */
  migrationsCrossPackage: number;
  migrationsCrossNode: number;
  /** Cache warm-up time charged to migrated contexts (hw/migration.ts). */
  migrationWarmNs: number;
  /** Timer interrupts taken by a CPU running its idle context (HW-12: none when tickless). */
  idleTicks: number;
  /** Ticks that wanted to preempt a context holding preempt locks. */
  preemptionsDeferred: number;
  /** Deferred preemptions made when the last preempt lock dropped. */
  deferredPreemptionsRun: number;
  /** Kernel faults taken inside a switch and unwound (SCHED-9). */
  switchFaults: number;
  signalsSent: number;
  signalsDelivered: number;
  signalsDiscarded: number;
  /** Time spent in the proc scheme's thread-creation calls (SCHED-12; proc.ts, proc-create.ts). */
  procSchemeNs: number;
  /** Boosts a donating kernel lock changed (locks/donation.ts, SCHED-10). */
  lockBoostChanges: number;
  /** Donation walks that met a cycle in the lock graph (EDEADLK). */
  lockCycles: number;
  /** `[kernel] lock_demo`: how long the high thread spun for its lock (ns), and whether it got it. */
  lockDemoHighWaitNs: number;
  lockDemoHighLocked: number;
}

/** Every kernel counter's public metric, in report order. */
const KERNEL_COUNTER_METRICS: { readonly [F in keyof KernelCounters]: MetricInfo } = {
  interrupts: { name: 'kernel.interrupts', unit: 'count', meaning: 'interrupts taken, every vector' },
  spuriousInterrupts: {
    name: 'kernel.spurious_interrupts',
    unit: 'count',
    meaning: 'interrupts with a vector no handler serves',
  },
  ticks: { name: 'kernel.ticks', unit: 'count', meaning: 'timer tick interrupts handled' },
  processesSpawned: { name: 'kernel.processes_spawned', unit: 'count', meaning: 'processes created' },
  processesExited: { name: 'kernel.processes_exited', unit: 'count', meaning: 'processes that exited' },
  processesKilled: {
    name: 'kernel.processes_killed',
    unit: 'count',
    meaning: 'processes that exited killed by a signal',
  },
  threadsCreated: { name: 'kernel.threads_created', unit: 'count', meaning: 'threads created' },
  threadLimitHits: {
    name: 'kernel.thread_limit_hits',
    unit: 'count',
    meaning: 'thread creations refused (EAGAIN) at limits.threads_max',
  },
  migrationsCrossPackage: {
    name: 'kernel.migrations_cross_package',
    unit: 'count',
    meaning: 'migrations between packages (SCHED-5)',
  },
  migrationsCrossNode: {
    name: 'kernel.migrations_cross_node',
    unit: 'count',
    meaning: 'migrations between NUMA nodes (SCHED-6)',
  },
  migrationWarmNs: {
    name: 'kernel.migration_warm_ns',
    unit: 'ns',
    meaning: 'cache warm-up time charged to migrated contexts',
  },
  idleTicks: { name: 'kernel.idle_ticks', unit: 'count', meaning: 'ticks taken by an idle CPU (HW-12)' },
  preemptionsDeferred: {
    name: 'kernel.preemptions_deferred',
    unit: 'count',
    meaning: 'ticks that wanted to preempt a context holding preempt locks',
  },
  deferredPreemptionsRun: {
    name: 'kernel.deferred_preemptions_run',
    unit: 'count',
    meaning: 'deferred preemptions made when the last preempt lock dropped',
  },
  switchFaults: {
    name: 'kernel.switch_faults',
    unit: 'count',
    meaning: 'kernel faults inside a switch, unwound (SCHED-9)',
  },
  signalsSent: { name: 'signal.sent', unit: 'count', meaning: 'signals sent to a thread or a process' },
  signalsDelivered: {
    name: 'signal.delivered',
    unit: 'count',
    meaning: 'signals acted on at a return to user: a handler, or a default that kills',
  },
  signalsDiscarded: {
    name: 'signal.discarded',
    unit: 'count',
    meaning: 'signals dropped when sent: ignored, and neither blocked nor waited for',
  },
  procSchemeNs: {
    name: 'kernel.proc_scheme_ns',
    unit: 'ns',
    meaning: 'time in the proc scheme creating threads: new-thread, regs and start (SCHED-12)',
  },
  lockBoostChanges: {
    name: 'kernel.lock_boost_changes',
    unit: 'count',
    meaning: 'priority boosts set or dropped by donating kernel MCS locks (SCHED-10)',
  },
  lockCycles: {
    name: 'kernel.lock_cycles',
    unit: 'count',
    meaning: 'donation walks that met a cycle in the kernel lock graph (EDEADLK)',
  },
  lockDemoHighWaitNs: {
    name: 'kernel.lock_demo_high_wait_ns',
    unit: 'ns',
    meaning: 'lock_demo: how long the high-priority kernel thread spun for its lock',
  },
  lockDemoHighLocked: {
    name: 'kernel.lock_demo_high_locked',
    unit: 'count',
    meaning: 'lock_demo: times the high-priority kernel thread got its lock',
  },
};

/** The futex table's counters (futex/table.ts). */
export type FutexCounters = FutexTable['counts'];

/** Every futex counter's public metric, in report order (the report's `futex` object too). */
const FUTEX_COUNTER_METRICS: { readonly [F in keyof FutexCounters]: MetricInfo } = {
  wait: { name: 'futex.wait', unit: 'count', meaning: 'futex waits entered (every kind)' },
  wake: { name: 'futex.wake', unit: 'count', meaning: 'FUTEX_WAKE and WAKE_BITSET calls' },
  woken: { name: 'futex.woken', unit: 'count', meaning: 'waiter entries taken by wakes' },
  eagain: { name: 'futex.eagain', unit: 'count', meaning: 'waits or requeues refused: the word changed' },
  timeouts: { name: 'futex.timeouts', unit: 'count', meaning: 'waits ended by their deadline' },
  interrupted: { name: 'futex.interrupted', unit: 'count', meaning: 'waits ended by a signal' },
  stale_consumed: {
    name: 'futex.stale_consumed',
    unit: 'count',
    meaning: 'entries a wake consumed whose waiter had left (redox)',
  },
  requeue: { name: 'futex.requeue', unit: 'count', meaning: 'REQUEUE, CMP_REQUEUE and CMP_REQUEUE_PI calls' },
  requeued: { name: 'futex.requeued', unit: 'count', meaning: 'waiters moved by requeues' },
  wake_op: { name: 'futex.wake_op', unit: 'count', meaning: 'FUTEX_WAKE_OP calls' },
  lock_pi: { name: 'futex.lock_pi', unit: 'count', meaning: 'FUTEX_LOCK_PI calls' },
  unlock_pi: { name: 'futex.unlock_pi', unit: 'count', meaning: 'FUTEX_UNLOCK_PI calls' },
  pi_handoffs: { name: 'futex.pi_handoffs', unit: 'count', meaning: 'PI locks handed to a waiter' },
  pi_boosts: { name: 'futex.pi_boosts', unit: 'count', meaning: 'priority boosts lent to a PI owner' },
  pi_deadlocks: { name: 'futex.pi_deadlocks', unit: 'count', meaning: 'LOCK_PI refused with EDEADLK' },
  robust_walks: { name: 'futex.robust_walks', unit: 'count', meaning: 'robust lists walked at exit' },
  robust_owner_died: {
    name: 'futex.robust_owner_died',
    unit: 'count',
    meaning: 'robust words marked FUTEX_OWNER_DIED',
  },
  pi_owner_died: {
    name: 'futex.pi_owner_died',
    unit: 'count',
    meaning: 'PI locks passed on by a dying owner',
  },
};

/** The futex metric computed from the table rather than counted. */
export const FUTEX_ENTRIES_LEFT: MetricInfo = {
  name: 'futex.entries_left',
  unit: 'count',
  meaning: 'waiter entries still in the table at the end (stale ones included)',
};

function rows<C extends object>(
  table: { readonly [F in keyof C]: MetricInfo },
): MetricRow<keyof C & string>[] {
  return (Object.keys(table) as (keyof C & string)[]).map((source) => ({ ...table[source], source }));
}

/** The kernel counters' rows: the report reads `stats[row.source]` into `metrics[row.name]`. */
export const KERNEL_METRICS: readonly MetricRow<keyof KernelCounters>[] = rows(KERNEL_COUNTER_METRICS);

/** The futex counters' rows: the report reads `futex.counts[row.source]`. */
export const FUTEX_METRICS: readonly MetricRow<keyof FutexCounters>[] = rows(FUTEX_COUNTER_METRICS);

/** A scheduling policy's name (sched/*: `SchedPolicy.name`). */
export type PolicyName = 'fair' | 'dwrr' | 'redbear' | 'gedf';

/** A `sched.*` metric and the policies whose `stats()` report it. */
export interface SchedMetricInfo extends MetricInfo {
  readonly policies: readonly PolicyName[];
}

function sched(key: string, unit: MetricUnit, meaning: string, ...policies: PolicyName[]): SchedMetricInfo {
  return { name: `sched.${key}`, unit, meaning, policies };
}

/**
 * The policies' metrics. A policy's `stats()` names its keys itself (the key is the name
 * without `sched.`); the report refuses a key that is not here, and a test holds each policy's
 * keys equal to its rows, so a renamed policy counter cannot rename a public metric unseen.
 */
export const SCHED_METRICS: readonly SchedMetricInfo[] = [
  sched('steals', 'count', 'idle steals that took a context', 'fair', 'redbear'),
  sched('stolen', 'count', 'contexts taken by idle steals', 'fair'),
  sched('stolen_cross_node', 'count', 'stolen or balanced contexts that changed NUMA node', 'fair'),
  sched('steal_lock_busy', 'count', "steals abandoned: the victim's lock was busy", 'fair'),
  sched('balance_runs', 'count', 'periodic balance passes run', 'fair', 'redbear'),
  sched('balance_moves', 'count', 'contexts moved by periodic balance', 'fair'),
  sched('balance_moves_cross_node', 'count', 'balance moves that changed NUMA node', 'fair'),
  sched('affinity_moves', 'count', 'contexts moved off a CPU their new mask excludes', 'fair'),
  sched('wake_ipis', 'count', 'reschedule IPIs sent by wakeups', 'fair'),
  sched('rq_lock_spin_ns', 'ns', 'time spent spinning on run-queue locks', 'fair'),
  sched('rt_pulls', 'count', 'RT and deadline contexts pulled', 'fair'),
  sched('rt_pushes', 'count', 'RT and deadline contexts pushed', 'fair'),
  sched('rt_throttles', 'count', 'RT bandwidth throttlings', 'fair'),
  sched('dl_throttles', 'count', 'deadline runtime throttlings', 'fair'),
  sched('scans', 'count', 'run-queue scans', 'dwrr'),
  sched('scan_iterations', 'count', 'contexts looked at by run-queue scans', 'dwrr'),
  sched(
    'wakeup_scans_skipped',
    'count',
    'wakeup scans of IDLE_CONTEXTS skipped: its lock was busy',
    'dwrr',
    'redbear',
  ),
  sched(
    'ticks_skipped_lock_held',
    'count',
    'quantum-end ticks that did not switch: the switch lock was held',
    'dwrr',
    'redbear',
  ),
  sched('picks_rt', 'count', 'picks made by the RT pass', 'redbear'),
  sched('picks_vruntime', 'count', 'picks made by the vruntime pass', 'redbear'),
  sched('picks_dwrr', 'count', 'picks made by the DWRR pass', 'redbear'),
  sched('picks_global', 'count', 'picks taken from the global set', 'redbear'),
  sched('balance_migrations', 'count', 'contexts moved by balance', 'redbear'),
  sched(
    'affinity_overwrites',
    'count',
    'masks replaced by a one-CPU mask (assign_context_to_cpu)',
    'redbear',
  ),
  sched('user_masks_lost', 'count', 'user-set masks lost to such a replacement', 'redbear'),
  sched('jobs_ended', 'count', 'deadline jobs ended by sched_yield or by leaving the class', 'gedf'),
  sched('deadline_misses', 'count', 'deadline jobs that ended after their absolute deadline', 'gedf'),
  sched('preemptions', 'count', 'jobs resumed after being taken off their CPU while ready (SimSo)', 'gedf'),
  sched('migrations', 'count', 'jobs resumed on another CPU than they last ran on (SimSo)', 'gedf'),
  sched('releases', 'count', 'parked jobs released at the start of their period', 'gedf'),
  sched('slices_dropped', 'count', 'job slices past the kept 20,000, counted only', 'gedf'),
];

/** Initial room for wakeup latencies; the buffer doubles when full. */
const WAKE_LATENCIES_INITIAL = 1024;

/**
 * The kernel's counters, its per-CPU switch and migration counts, the system calls made, and
 * the wakeup-to-run latencies. Owned by the kernel; every path that counts writes here.
 */
export class KernelStats implements KernelCounters {
  interrupts = 0;
  spuriousInterrupts = 0;
  ticks = 0;
  processesSpawned = 0;
  processesExited = 0;
  processesKilled = 0;
  threadsCreated = 0;
  threadLimitHits = 0;
  migrationsCrossPackage = 0;
  migrationsCrossNode = 0;
  migrationWarmNs = 0;
  idleTicks = 0;
  preemptionsDeferred = 0;
  deferredPreemptionsRun = 0;
  switchFaults = 0;
  signalsSent = 0;
  signalsDelivered = 0;
  signalsDiscarded = 0;
  procSchemeNs = 0;
  lockBoostChanges = 0;
  lockCycles = 0;
  lockDemoHighWaitNs = 0;
  lockDemoHighLocked = 0;
  /** Per CPU: context switches made on it. */
  readonly switches: Uint32Array;
  /** Per CPU: contexts that arrived on it from another CPU. */
  readonly migrationsIn: Uint32Array;
  /** System calls made, by number. */
  readonly syscalls = new Map<number, number>();
  #wakeLatencies = new Float64Array(WAKE_LATENCIES_INITIAL);
  #wakeLatencyCount = 0;

  constructor(cpus: number) {
    this.switches = new Uint32Array(cpus);
    this.migrationsIn = new Uint32Array(cpus);
  }

  countSyscall(nr: number): void {
    this.syscalls.set(nr, (this.syscalls.get(nr) ?? 0) + 1);
  }

  /** Appends one wakeup-to-run latency, doubling the buffer when it is full. */
  recordWakeLatency(ns: number): void {
    if (this.#wakeLatencyCount === this.#wakeLatencies.length) {
      const grown = new Float64Array(this.#wakeLatencies.length * 2);
      grown.set(this.#wakeLatencies);
      this.#wakeLatencies = grown;
    }
    this.#wakeLatencies[this.#wakeLatencyCount++] = ns;
  }

  /** The wakeup-to-run latencies so far, in ns, in the order they were taken (a view). */
  wakeLatencies(): Float64Array {
    return this.#wakeLatencies.subarray(0, this.#wakeLatencyCount);
  }
}
