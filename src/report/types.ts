/**
 * The JSON report of one run (schema `smpsim.run/1`) and of a scaling study (`smpsim.scale/1`).
 * Field names are snake_case because they are a contract read by other tools.
 * @module
 */

export interface CpuReport {
  id: number;
  /** Time running guest (user-mode) code. */
  user_ns: number;
  /** Time in kernel paths: system calls, interrupts, the scheduler, switches. */
  kernel_ns: number;
  /** Time spinning on a contended kernel lock. */
  spin_ns: number;
  /** Time halted with nothing to run. */
  idle_ns: number;
  /** user_ns + kernel_ns + spin_ns over the run's simulated time. */
  utilisation: number;
  context_switches: number;
  migrations_in: number;
}

export interface LatencySummary {
  count: number;
  p50_ns: number;
  p90_ns: number;
  p99_ns: number;
  max_ns: number;
}

export interface LockReport {
  name: string;
  acquisitions: number;
  contended: number;
  spin_ns: number;
}

export interface ExpectationResult {
  metric: string;
  /** `equals`, `min` or `max`. */
  op: string;
  expected: number;
  /** null when the run produced no such metric. */
  actual: number | null;
  pass: boolean;
  note?: string;
}

export interface RunReport {
  schema: 'smpsim.run/1';
  scenario: string;
  seed: number;
  sim_ns: number;
  events: number;
  trace_hash: string;
  /** The scheduler: a built-in policy's name, or a policy module's own name (issue 22). */
  policy: string;
  tick: string;
  cpus: CpuReport[];
  locks: LockReport[];
  futex: Record<string, number>;
  /** System calls made, by name. */
  syscalls: Record<string, number>;
  wakeup_latency: LatencySummary;
  /**
   * The wakeup latencies' nearest-rank percentiles 0, 1, … 100 in ns (101 values; empty with no
   * wakeups): the distribution `smpsim plot --kind latency-cdf` draws.
   */
  wakeup_cdf_ns: number[];
  processes: { spawned: number; exited: number; killed: number };
  /** Flat metric names (`workload.primes.count`, `cpu.0.utilisation`, …) that `[[expect]]` reads. */
  metrics: Record<string, number>;
  expectations: ExpectationResult[];
  /**
   * Why the run did not do its work (a guest killed, a workload that never started or exited
   * non-zero, a limit, a deadlock), unless the scenario's `[outcome]` declares it; null if it did.
   */
  failure: string | null;
  passed: boolean;
  /** The runs of the `[compare]` variant or `[[compare]]` variants, in order. */
  compare?: { name: string; trace_hash: string; error: string | null }[];
  /** Trace hashes of a `[sweep]`'s runs, in order. */
  sweep_hashes?: string[];
  /** Set when the run ended early: a limit was hit or every thread blocked. */
  error?: string;
  /**
   * Use-after-unmap reads through stale TLB entries (issue 15), the first 16: the CPU, the
   * virtual address, the freed frame the entry kept and the frame mapped there now (-1: none).
   * Present only when there was one.
   */
  tlb_stale_reads?: {
    cpu: number;
    time_ns: number;
    vaddr: number;
    stale_frame: number;
    current_frame: number;
  }[];
  /** Shootdown waits that timed out (the improved protocol's K16 log): who waited for whom. */
  tlb_timeouts?: { initiator: number; targets: number[]; time_ns: number }[];
  /**
   * Text a workload published beside its numbers (its output's `text` table of line lists),
   * by workload name: init's log, critical chain and wait-for graph (issue 19).
   */
  guest_text?: Record<string, Record<string, string[]>>;
}
