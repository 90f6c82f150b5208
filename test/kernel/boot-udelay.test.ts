// The bring-up's udelay follows the calibrated TSC (issue 16, HW-15): with `[clock]` the BSP
// calibrates before the APs start, and Linux's INIT delay (init_udelay, 10 ms legacy) is then the
// ticks __const_udelay computes from the calibrated kHz, counted on the BSP's true TSC.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { udelayTicks } from '../../src/kernel/clock/delay.ts';
import { bootRunConfig, runBoot } from '../../src/report/boot-run.ts';

/** INIT sent to the first SIPI on CPU 1, ns: ICR sends and ESR accesses plus init_udelay(10000). */
function initToSipiNs(calibrated: boolean) {
  const config = bootRunConfig({ cpus: 2, protocol: 'linux', legacyDelays: true });
  if (calibrated) config.clock = { calibration: 'pit' };
  const { machine, report } = runBoot(config);
  const rec = report.cpus[1]!;
  assert.equal(rec.status, 'online');
  return { gapNs: rec.sipiNs[0]! - rec.initNs!, machine };
}

test('without [clock] the INIT delay is the nominal 10 ms, with it the calibrated TSC sets it', () => {
  const plain = initToSipiNs(false);
  assert.equal(plain.machine.kernel.clock.tscKhz, 0, 'no calibration ran');
  const cal = initToSipiNs(true);
  const k = cal.machine.kernel;
  const khz = k.clock.tscKhz;
  assert.ok(khz > 0, 'the BSP calibrated before bring-up');
  const trueKhz = k.board.tsc.trueKhz(0);
  assert.notEqual(khz, trueKhz, 'pit_calibrate_tsc has an error, so the delay must move with it');
  // Everything around the delay costs the same in both runs; only the 10 ms udelay differs.
  const expectedNs = Math.round((udelayTicks(10_000, khz) * 1e6) / trueKhz);
  assert.equal(cal.gapNs - plain.gapNs, expectedNs - 10_000_000);
  // The calibration's error is ppm-sized: the delay stays within 0.1% of 10 ms.
  assert.ok(Math.abs(expectedNs - 10_000_000) < 10_000, `${expectedNs} ns`);
});
