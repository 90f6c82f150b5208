/**
 * The scenario's `[clock]` and `[cpufreq]` tables (HW-15): the boot-time TSC calibration, and
 * the P-state table with its governor. Each absent table keeps the machine as it always was (no
 * calibration; every CPU at `machine.cpu_mhz`, no P-states), so existing scenarios are unchanged.
 */
import type { ClockConfig, CpufreqConfig } from '../machine/config.ts';
import { TSC_CALIBRATIONS } from '../kernel/clock/tsc-calibrate.ts';
import { GOVERNORS } from '../kernel/cpufreq/governors.ts';
import { defaultActiveMw } from '../hw/pstate.ts';
import { checkInt, fail, own, type ReadContext, readChoice, readInt, readTable } from './fields.ts';

const CLOCK_KEYS = ['calibration'];
const CPUFREQ_KEYS = [
  'governor',
  'pstates_mhz',
  'power_mw',
  'idle_mw',
  'transition_latency_us',
  'transition_delay_us',
  'up_threshold',
  'sampling_down_factor',
];
/** Up to 16 P-states (ACPI _PSS tables on desktop parts have about that many). */
const PSTATES_MAX = 16;
const POWER_MW_MAX = 1_000_000;
/** intel_pstate's figures (models-2.md §12.4): 20 µs latency, 500 µs transition delay. */
const TRANSITION_LATENCY_US = 20;
const TRANSITION_DELAY_US = 500;
/** The default table's clocks as fractions of cpu_mhz, rounded to 100 MHz. */
const DEFAULT_STEPS = [1, 0.8, 0.6, 0.4];
const IDLE_MW = 1000;

export function readClock(ctx: ReadContext, value: unknown): ClockConfig | null {
  if (value === undefined) return null;
  const table = readTable(ctx, value, 'clock', CLOCK_KEYS);
  return {
    calibration: readChoice(ctx, table, 'calibration', 'clock', {
      choices: TSC_CALIBRATIONS,
      noun: 'a TSC calibration method',
    }),
  };
}

export function readCpufreq(ctx: ReadContext, value: unknown, cpuMhz: number): CpufreqConfig | null {
  if (value === undefined) return null;
  const table = readTable(ctx, value, 'cpufreq', CPUFREQ_KEYS);
  const governor = readChoice(ctx, table, 'governor', 'cpufreq', { choices: GOVERNORS, noun: 'a governor' });
  const fallbackMhz = DEFAULT_STEPS.map((f) => Math.max(100, Math.round((cpuMhz * f) / 100) * 100));
  const pstatesMhz =
    readInts(ctx, own(table, 'pstates_mhz'), 'cpufreq.pstates_mhz', 100, 10_000) ?? fallbackMhz;
  if (pstatesMhz[0] !== cpuMhz) {
    fail(
      ctx,
      'cpufreq.pstates_mhz',
      `the first state is ${pstatesMhz[0]} MHz, not machine.cpu_mhz`,
      `clocks starting at ${cpuMhz}`,
    );
  }
  for (let i = 1; i < pstatesMhz.length; i++) {
    if (pstatesMhz[i]! >= pstatesMhz[i - 1]!) {
      fail(
        ctx,
        `cpufreq.pstates_mhz.${i}`,
        `${pstatesMhz[i]} is not below the state before it`,
        'clocks in falling order',
      );
    }
  }
  const powerMw =
    readInts(ctx, own(table, 'power_mw'), 'cpufreq.power_mw', 0, POWER_MW_MAX) ?? defaultActiveMw(pstatesMhz);
  if (powerMw.length !== pstatesMhz.length) {
    fail(
      ctx,
      'cpufreq.power_mw',
      `${powerMw.length} powers for ${pstatesMhz.length} states`,
      'one power per state',
    );
  }
  const p = 'cpufreq';
  return {
    governor,
    pstatesMhz,
    powerMw,
    idleMw: readInt(ctx, table, 'idle_mw', p, { min: 0, max: POWER_MW_MAX, fallback: IDLE_MW }),
    transitionLatencyUs: readInt(ctx, table, 'transition_latency_us', p, {
      min: 0,
      max: 10_000,
      fallback: TRANSITION_LATENCY_US,
    }),
    transitionDelayUs: readInt(ctx, table, 'transition_delay_us', p, {
      min: 1,
      max: 100_000,
      fallback: TRANSITION_DELAY_US,
    }),
    // Linux's ranges: up_threshold 1..100 (MAX_FREQUENCY_UP_THRESHOLD), sampling_down_factor 1..100000.
    upThreshold: readInt(ctx, table, 'up_threshold', p, { min: 1, max: 100, fallback: 80 }),
    samplingDownFactor: readInt(ctx, table, 'sampling_down_factor', p, { min: 1, max: 100_000, fallback: 1 }),
  };
}

/** A list of 1..PSTATES_MAX integers in [min, max], or undefined when absent. */
function readInts(
  ctx: ReadContext,
  value: unknown,
  field: string,
  min: number,
  max: number,
): number[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.length > PSTATES_MAX) {
    fail(ctx, field, 'expected a list of 1 to 16 integers', `a list of integers ${min}..${max}`);
  }
  return value.map((v, i) => checkInt(ctx, v, `${field}.${i}`, min, max));
}
