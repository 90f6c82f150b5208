/**
 * What the Perfetto trace recorder costs a run that does not record (issue 14 item 7, issue 21's
 * seam): with no `--trace` the kernel's `traceSink` is null and every site (wake, timeout,
 * switch, system call entry, interrupt entry; kernel/trace-sink.ts) and the ApicBus IPI site
 * (hw/lapic.ts) pay one null check. That cost cannot be timed against a build without the sites,
 * so the measure gives its two exact parts and one bound:
 *
 * - `site_checks`: how many checks the futex ping-pong workload (the bench's syscall-heaviest)
 *   runs, counted by a sink that only counts (the checks happen whether a sink is set or not),
 *   and `checks_per_effect`;
 * - `null_check_ns`: one check's host cost, timed over a loop of the same `field?.method()`
 *   shape against a field holding null (an upper bound: the loop keeps its own counter);
 * - `off_share`: checks × check cost over the run's wall time with the sink off.
 * Beside it, `counting_sink_ratio`: the run's wall time with the counting sink over without
 * (what a recorder's calls and the syscall wrapper cost before it records anything). The counting
 * sink's run must keep the trace hash of the run without (the sink only reads): checked here.
 *
 * Wall-clock reads are the report layer measuring runs from outside (DESIGN.md, "Determinism").
 * @module
 */
import { buildMachine } from '../machine/build.ts';
import type { RunConfig } from '../machine/config.ts';
import type { KernelTraceSink } from '../kernel/trace-sink.ts';

const REPETITIONS = 3;
/** Iterations of the null-check timing loop. */
const CHECK_LOOP = 20_000_000;

export interface BenchTraceOff {
  workload: string;
  effects: number;
  site_checks: number;
  checks_per_effect: number;
  wall_ms_off: number;
  null_check_ns: number;
  /** site_checks × null_check_ns ÷ wall time with the sink off. */
  off_share: number;
  wall_ms_counting_sink: number;
  counting_sink_ratio: number;
}

/** A sink that counts the calls it gets: one per check that found a sink. */
class CountingSink implements KernelTraceSink {
  calls = 0;
  switched(): void {
    this.calls++;
  }
  woke(): void {
    this.calls++;
  }
  timedOut(): void {
    this.calls++;
  }
  syscallEntered(): void {
    this.calls++;
  }
  // Inside the wrapper, after the one check at entry: not a site of its own.
  syscallLeft(): void {}
  interrupted(): void {
    this.calls++;
  }
}

interface Timed {
  wallMs: number;
  effects: number;
  hash: string;
  checks: number;
}

function runOnce(config: RunConfig, counting: boolean): Timed {
  const machine = buildMachine(config);
  const sink = counting ? new CountingSink() : null;
  let ipis = 0;
  if (sink !== null) {
    machine.kernel.traceSink = sink;
    machine.board.apic.ipiObserver = () => {
      ipis++;
    };
  }
  const start = performance.now();
  const reason = machine.board.engine.run(config.limits);
  const wallMs = performance.now() - start;
  if (!machine.kernel.finished) throw new Error(`bench: ${config.name} did not finish (${reason})`);
  let effects = 0;
  for (const cpu of machine.board.cpus) effects += cpu.effects;
  const checks = sink === null ? 0 : sink.calls + ipis;
  return { wallMs, effects, hash: machine.board.trace.hex(), checks };
}

function best(config: RunConfig, counting: boolean): Timed {
  let out: Timed | null = null;
  for (let i = 0; i < REPETITIONS; i++) {
    const r = runOnce(config, counting);
    if (out === null || r.wallMs < out.wallMs) out = r;
  }
  return out!;
}

interface Holder {
  sink: { hit(): void } | null;
}

/** One `holder.sink?.hit()` against null, in ns (the loop's own cost included: a bound). */
export function nullCheckNs(iterations = CHECK_LOOP): number {
  const holders: Holder[] = [{ sink: null }, { sink: null }];
  let k = 0;
  const start = performance.now();
  for (let i = 0; i < iterations; i++) {
    const h = holders[i & 1]!;
    h.sink?.hit();
    k += h.sink === null ? 1 : 0;
  }
  const ns = ((performance.now() - start) * 1e6) / iterations;
  if (k !== iterations) throw new Error('bench: null-check loop miscounted');
  return ns;
}

/** Runs the measure on `config` (warm-up run first, untimed). */
export function runBenchTraceOff(config: RunConfig, warmup: RunConfig): BenchTraceOff {
  runOnce(warmup, false);
  runOnce(warmup, true);
  const off = best(config, false);
  const counted = best(config, true);
  if (counted.hash !== off.hash || counted.effects !== off.effects) {
    throw new Error(`bench: ${config.name} with a counting trace sink changed the run (hash or effects)`);
  }
  nullCheckNs(CHECK_LOOP / 10);
  const checkNs = nullCheckNs();
  const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
  return {
    workload: config.name,
    effects: off.effects,
    site_checks: counted.checks,
    checks_per_effect: r4(counted.checks / off.effects),
    wall_ms_off: Math.round(off.wallMs * 1000) / 1000,
    null_check_ns: Math.round(checkNs * 1000) / 1000,
    off_share: r4((counted.checks * checkNs) / (off.wallMs * 1e6)),
    wall_ms_counting_sink: Math.round(counted.wallMs * 1000) / 1000,
    counting_sink_ratio: r4(counted.wallMs / off.wallMs),
  };
}

/** The lines `smpsim bench` prints for it. */
export function formatBenchTraceOff(t: BenchTraceOff): string[] {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  return [
    `trace recorder off (${t.workload}): ${t.site_checks} null checks (${t.checks_per_effect}/effect), ` +
      `≤ ${t.null_check_ns} ns each: ≤ ${pct(t.off_share)} of ${t.wall_ms_off} ms; ` +
      `a counting sink: ${t.counting_sink_ratio}× the wall time`,
  ];
}
