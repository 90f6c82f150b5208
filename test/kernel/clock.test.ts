// The kernel's clocks (kernel/clock/): udelay's fixed point as Linux's __const_udelay, udelay and
// the Redox spin wait timed against the true clock, and the boot calibrations on a machine, each
// against bounds the model gives (the PIT's 1.193182 MHz, an inb of portIoNs, RDTSC of rdtscNs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveCostModel } from '../../src/hw/cost-model.ts';
import type { Cpu } from '../../src/hw/cpu.ts';
import { KernelOp, type KernelGen } from '../../src/hw/effects.ts';
import { TscBank } from '../../src/hw/tsc.ts';
import { PIT_INPUT_HZ } from '../../src/hw/timer.ts';
import { spinWait, udelay, udelayTicks } from '../../src/kernel/clock/delay.ts';
import type { TscCalibration } from '../../src/kernel/clock/tsc-calibrate.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { defaultRunConfig } from '../../src/machine/defaults.ts';
import { buildMachine } from '../../src/machine/build.ts';
import { runConfig } from '../../src/report/run.ts';

test("udelay's TSC ticks are Linux's fixed point: us x 0x10c7 x 4 x (lpj x HZ/4) >> 32, plus one", () => {
  // 1000 x 4295 x 4 = 17,180,000; x 3,000,000 x 250 = 1.2885e16; >> 32 = 3,000,022.85 -> 3,000,022 + 1.
  assert.equal(udelayTicks(1000, 3_000_000), 3_000_023);
  assert.equal(udelayTicks(10, 2_000_000), 20_001); // 171,800 x 5e8 >> 32 = 20,000.15 -> 20,000 + 1
});

/** Runs kernel code that only spends time against a fake kernel; returns the ns it took. */
function runTimed(gen: KernelGen<void>, clock: { nowNs: number }): number {
  const start = clock.nowNs;
  for (let r = gen.next(); !r.done; r = gen.next()) {
    assert.equal(r.value.op, KernelOp.Spend);
    clock.nowNs += (r.value as { ns: number }).ns;
  }
  return clock.nowNs - start;
}

function fakeKernel(tscKhz: number, trueCyclesPerNs: number): { k: Kernel; clock: { nowNs: number } } {
  const clock = { nowNs: 1_000_000 };
  const k = {
    clock: { tscKhz },
    board: { costs: resolveCostModel({}), tsc: new TscBank([trueCyclesPerNs], 3) },
    get nowNs() {
      return clock.nowNs;
    },
  } as unknown as Kernel;
  return { k, clock };
}

test('udelay waits the calibrated ticks at the true TSC rate, overshooting by at most one poll', () => {
  // Calibrated 3,000,000 kHz but the TSC really runs 1000 ppm faster: the delay is 1000 ppm short.
  const { k, clock } = fakeKernel(3_000_000, 3.003);
  const cpu = { id: 0, cyclesPerNs: 3 } as Cpu;
  const ns = runTimed(udelay(k, cpu, 1000), clock);
  const costs = resolveCostModel({});
  const exactNs = udelayTicks(1000, 3_000_000) / 3.003;
  const pollNs = costs.rdtscNs + Math.round(costs.pauseCycles / 3);
  assert.ok(ns >= exactNs && ns <= exactNs + pollNs + costs.rdtscNs, `udelay(1000) took ${ns} ns`);
});

test('udelay refuses to run with no calibrated TSC, as the Redox baseline has none', () => {
  const { k } = fakeKernel(0, 3);
  assert.throws(() => udelay(k, { id: 0, cyclesPerNs: 3 } as Cpu, 10).next(), /not calibrated/);
});

test("Redox's spin-count wait lasts longer at a lower core clock (K7, K15)", () => {
  const { k, clock } = fakeKernel(0, 3);
  const costs = resolveCostModel({});
  const atMax = runTimed(spinWait(k, { id: 0, cyclesPerNs: 3 } as Cpu, 100_000), clock);
  const atHalf = runTimed(spinWait(k, { id: 0, cyclesPerNs: 1.5 } as Cpu, 100_000), clock);
  assert.equal(atMax, Math.round((100_000 * costs.pauseCycles) / 3));
  assert.equal(atHalf, Math.round((100_000 * costs.pauseCycles) / 1.5));
});

function calibrate(calibration: TscCalibration, costs: Record<string, number> = {}): Record<string, number> {
  const config = defaultRunConfig('fair', 2);
  config.clock = { calibration };
  config.costs = { cpuSkewPpm: 0, ...costs };
  config.workloads = [{ kind: 'spin', threads: 1, iterations: 1, cycles: 3000 }];
  const report = runConfig(config);
  assert.equal(report.error, undefined);
  return report.metrics;
}

test('quick_pit_calibrate: under 500 ppm (d1 + d2 < delta / 2048) within its 50 ms', () => {
  const m = calibrate('quick-pit');
  assert.equal(m['clock.calibrated'], 1);
  assert.ok(Math.abs(m['clock.tsc_error_ppm']!) < 489, `error ${m['clock.tsc_error_ppm']} ppm`);
  const steps = m['clock.calibration_rounds']!;
  assert.ok(steps >= 1 && (steps * 256 * 1000) / PIT_INPUT_HZ <= 50, `${steps} high-byte steps`);
});

test('the PM timer reference: one 279 ns tick at each end of a 10 ms window, under 60 ppm', () => {
  const m = calibrate('pit-pmtimer');
  assert.ok(Math.abs(m['clock.tsc_error_ppm']!) < 60, `error ${m['clock.tsc_error_ppm']} ppm`);
  assert.equal(m['clock.calibration_rounds'], 1, 'PIT and reference agree within 10% at once');
});

test('the Redox baseline calibrates nothing and spends no boot time on it', () => {
  const m = calibrate('redox');
  assert.equal(m['clock.calibrated'], 0);
  assert.equal(m['clock.tsc_khz'], 0);
  assert.equal(m['clock.calibration_ns'], 0);
});

test('a slow port (12 us per inb) starves the PIT loop below loopmin; the PM timer reference takes over', () => {
  // 10 ms / 12 us = 833 polls < 1000, and 50 ms / 12 us = 4166 < 5000 on the CAL2 retry: every
  // window is refused. The reference bracket is 12 us = 36,000 cycles, under the 50,000 limit.
  const alone = calibrate('pit', { portIoNs: 12_000 });
  assert.equal(alone['clock.calibrated'], 0, 'no reference: Linux disables the TSC (0 kHz)');
  const withRef = calibrate('pit-pmtimer', { portIoNs: 12_000 });
  assert.equal(withRef['clock.calibrated'], 1);
  assert.ok(Math.abs(withRef['clock.tsc_error_ppm']!) < 100, `error ${withRef['clock.tsc_error_ppm']} ppm`);
  assert.equal(withRef['clock.calibration_rounds'], 3, 'the reference is used after the three windows');
});

test("the periodic LAPIC tick runs at the calibrated count: TMICT = lapic_timer_period / 16, at each CPU's true bus clock", () => {
  const config = defaultRunConfig('fair', 4);
  config.clock = { calibration: 'pit-pmtimer' };
  config.workloads = [{ kind: 'spin', threads: 1, iterations: 1, cycles: 3000 }];
  const { board, kernel } = buildMachine(config);
  const periods = kernel.lapicPeriods!;
  assert.deepEqual(periods.ns, [1e6, 1e6, 1e6, 1e6], 'nominal until the boot calibrates');
  board.engine.run({ simNsMax: 200_000_000, eventsMax: 10_000_000 });
  const perJiffy = kernel.clock.lapicPeriodPerJiffy;
  assert.ok(perJiffy > 0);
  const busClocks = Math.floor(perJiffy / 16) * 16;
  for (let cpu = 0; cpu < 4; cpu++) {
    const ns = periods.ns[cpu]!;
    assert.equal(ns, Math.round((busClocks * 1e9) / board.tsc.lapicBusHz(cpu)), `cpu ${cpu}`);
    // Off by the BSP's calibration error (< 60 ppm with the PM timer), this CPU's crystal against
    // the BSP's (each drawn within +-cpuSkewPpm 3000 of nominal: up to 6000 apart) and the
    // truncation to 16 clocks (16 of ~100,000 per 1 ms: 160 ppm).
    assert.ok(Math.abs(ns - 1e6) < ((60 + 6000 + 160) / 1e6) * 1e6, `cpu ${cpu} ticks every ${ns} ns`);
    const againstBsp = (ns * board.tsc.lapicBusHz(cpu)) / (periods.ns[0]! * board.tsc.lapicBusHz(0));
    assert.ok(Math.abs(againstBsp - 1) < 1e-6, 'the same count on every CPU, in bus clocks');
  }
  assert.ok(new Set(periods.ns).size > 1, 'skewed crystals: the same count lasts differently on each CPU');
});

test('without [clock] the periodic tick keeps its nominal period (no calibration to program it from)', () => {
  const config = defaultRunConfig('fair', 2);
  config.workloads = [{ kind: 'spin', threads: 1, iterations: 1, cycles: 3000 }];
  assert.equal(buildMachine(config).kernel.lapicPeriods, null);
});
