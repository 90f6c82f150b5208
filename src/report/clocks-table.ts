/**
 * The README's clock and CPU-frequency tables (HW-15), from the two seed scenarios' runs:
 * tsc-calibration (each method's calibrated kHz and its errors) and cpufreq-governors (each
 * governor's work, burst latency, clock and energy estimate). Rows read the runs' metrics, the
 * main run's under its own name and the `[[compare]]` variants' under `compare.<name>.`, so the
 * figures are the model's; test/readme.test.ts checks them and scripts/update-readme.mjs writes them.
 */
import type { RunReport } from './types.ts';

export const TSC_SCENARIO = 'tsc-calibration.toml';
export const CPUFREQ_SCENARIO = 'cpufreq-governors.toml';

/** The tsc-calibration methods: the main run (linux), then the variants, each with its label. */
const TSC_ROWS: readonly (readonly [prefix: string, label: string])[] = [
  ['', 'linux: quick_pit_calibrate (PIT high-byte steps)'],
  ['pit', 'pit_calibrate_tsc (10 ms OUT2 windows, lowest of 3)'],
  ['pmtimer', 'the PIT loop with the ACPI PM timer as reference'],
  ['redox', 'redox (no calibration: KVM pvclock only)'],
];

const GOVERNOR_ROWS: readonly (readonly [prefix: string, label: string])[] = [
  ['performance', 'performance (as the Redox baseline runs: no cpufreq)'],
  ['powersave', 'powersave'],
  ['ondemand', 'ondemand'],
  ['', 'schedutil'],
];

function metricOf(report: RunReport, prefix: string, name: string): number | undefined {
  return report.metrics[prefix === '' ? name : `compare.${prefix}.${name}`];
}

const fixed = (v: number | undefined, digits: number) => (v === undefined ? '—' : v.toFixed(digits));

export function clocksMarkdown(tsc: RunReport, cpufreq: RunReport): string[] {
  const lines = [
    '| TSC calibration | calibrated kHz | TSC error (ppm) | boot time (ms) | LAPIC error (ppm) | udelay(1000) error (ppm) |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const [prefix, label] of TSC_ROWS) {
    const m = (name: string) => metricOf(tsc, prefix, name);
    const calibrated = (m('clock.tsc_khz') ?? 0) > 0;
    const error = (name: string) => (calibrated ? fixed(m(name), 0) : '—');
    const ms = fixed((m('clock.calibration_ns') ?? 0) / 1e6, 1);
    lines.push(
      `| ${label} | ${fixed(m('clock.tsc_khz'), 0)} | ${error('clock.tsc_error_ppm')} | ${ms} | ${error('clock.lapic_error_ppm')} | ${error('clock.udelay_error_ppm')} |`,
    );
  }
  lines.push(
    '',
    '| governor | bursts done | burst p99 (ms) | mean busy clock (MHz) | energy estimate (J) |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const [prefix, label] of GOVERNOR_ROWS) {
    const m = (name: string) => metricOf(cpufreq, prefix, name);
    const p99 = m('workload.bursty.p99_us');
    const energy = m('cpufreq.energy_mj');
    lines.push(
      `| ${label} | ${fixed(m('workload.bursty.bursts'), 0)} | ${fixed(p99 === undefined ? undefined : p99 / 1000, 2)} | ${fixed(m('cpufreq.mean_busy_mhz'), 0)} | ${fixed(energy === undefined ? undefined : energy / 1000, 2)} |`,
    );
  }
  return lines;
}
