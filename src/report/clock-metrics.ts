/**
 * The metrics of the clocks and CPU frequency (HW-15): `clock.*` when the scenario has a
 * `[clock]` table (the calibration ran), `cpufreq.*` when it has `[cpufreq]`. Errors are signed
 * ppm against the hardware's true rates (hw/tsc.ts); energy is the P-state table's estimate
 * (hw/pstate.ts), not a measurement.
 */
import { lapicErrorPpm, tscErrorPpm, udelayErrorPpm } from '../kernel/clock/clock.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { MetricInfo, MetricUnit } from '../kernel/stats.ts';

export interface KernelMetricRow extends MetricInfo {
  read(k: Kernel): number;
}

function row(name: string, unit: MetricUnit, meaning: string, read: (k: Kernel) => number): KernelMetricRow {
  return { name, unit, meaning, read };
}

const cpuIds = (k: Kernel): number[] => k.board.cpus.map((c) => c.id);

export const CLOCK_METRICS: readonly KernelMetricRow[] = [
  row(
    'clock.tsc_khz',
    'value',
    'the TSC frequency the kernel calibrated, kHz (0: none)',
    (k) => k.clock.tscKhz,
  ),
  row('clock.tsc_true_khz', 'value', "the BSP's true TSC frequency, kHz", (k) => k.board.tsc.trueKhz(0)),
  row('clock.tsc_error_ppm', 'value', "calibrated against the BSP's true TSC rate, ppm (signed)", (k) =>
    k.clock.tscKhz > 0 ? tscErrorPpm(k, 0) : 0,
  ),
  row(
    'clock.tsc_error_max_ppm',
    'value',
    "the BSP's figure against each CPU's true TSC rate: the largest |error|, ppm",
    (k) => (k.clock.tscKhz > 0 ? Math.max(...cpuIds(k).map((id) => Math.abs(tscErrorPpm(k, id)))) : 0),
  ),
  row('clock.calibrated', 'flag', '1 when the kernel knows its TSC frequency', (k) =>
    k.clock.tscKhz > 0 ? 1 : 0,
  ),
  row(
    'clock.calibration_ns',
    'ns',
    'boot time the TSC and LAPIC calibration took on the BSP',
    (k) => k.clock.calibrationNs,
  ),
  row(
    'clock.calibration_rounds',
    'count',
    'PIT windows (slow loop) or high-byte steps (quick) the calibration used',
    (k) => k.clock.rounds,
  ),
  row(
    'clock.lapic_period',
    'value',
    'LAPIC timer bus clocks per 1 ms jiffy, calibrated (0: none)',
    (k) => k.clock.lapicPeriodPerJiffy,
  ),
  row(
    'clock.lapic_error_ppm',
    'value',
    "calibrated LAPIC period against the BSP's true bus clock, ppm (signed)",
    (k) => (k.clock.lapicPeriodPerJiffy > 0 ? lapicErrorPpm(k) : 0),
  ),
  row(
    'clock.udelay_error_ppm',
    'value',
    'udelay(1000) on the BSP: the time it really took against 1 ms, ppm (signed)',
    (k) => (k.clock.udelayCheckNs > 0 ? udelayErrorPpm(k) : 0),
  ),
];

export const CPUFREQ_METRICS: readonly KernelMetricRow[] = [
  row(
    'cpufreq.energy_mj',
    'value',
    'energy estimate: per-state active power x busy time + idle power x halted time, mJ',
    (k) => k.cpufreq!.hw.energyMj(),
  ),
  row('cpufreq.transitions', 'count', 'P-state transitions completed, every CPU', (k) =>
    k.cpufreq!.hw.transitions.reduce((s, n) => s + n, 0),
  ),
  row('cpufreq.requests', 'count', 'IA32_PERF_CTL writes the governor made', (k) => k.cpufreq!.requests),
  row('cpufreq.samples', 'count', 'governor samples taken, every CPU', (k) => k.cpufreq!.samples),
  row('cpufreq.mean_busy_mhz', 'value', 'core clock averaged over busy time, every CPU, MHz', meanBusyMhz),
  row('cpufreq.min_pstate_share', 'ratio', 'share of busy time spent in the lowest P-state', (k) =>
    busyShare(k, k.cpufreq!.hw.lowest),
  ),
  row('cpufreq.max_pstate_share', 'ratio', 'share of busy time spent in the highest P-state', (k) =>
    busyShare(k, 0),
  ),
];

function busyByState(k: Kernel): number[] {
  const hw = k.cpufreq!.hw;
  const out = new Array<number>(hw.count).fill(0);
  for (const id of cpuIds(k)) {
    hw.account(id);
    for (let s = 0; s < hw.count; s++) out[s]! += hw.busyNs[id * hw.count + s]!;
  }
  return out;
}

function meanBusyMhz(k: Kernel): number {
  const busy = busyByState(k);
  const total = busy.reduce((s, v) => s + v, 0);
  return total === 0 ? 0 : busy.reduce((s, v, i) => s + v * k.cpufreq!.hw.mhz(i), 0) / total;
}

function busyShare(k: Kernel, state: number): number {
  const busy = busyByState(k);
  const total = busy.reduce((s, v) => s + v, 0);
  return total === 0 ? 0 : busy[state]! / total;
}

/** The rows this run reports: clock.* with a calibration, cpufreq.* with P-states. */
export function clockMetrics(k: Kernel, m: Record<string, number>): void {
  if (k.clock.method !== null) for (const r of CLOCK_METRICS) m[r.name] = r.read(k);
  if (k.cpufreq !== null) for (const r of CPUFREQ_METRICS) m[r.name] = r.read(k);
}
