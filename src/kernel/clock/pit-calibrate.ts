/**
 * TSC calibration against the PIT's channel 2 (HW-15), as Linux's arch/x86/kernel/tsc.c does it
 * (models-2.md §12.1), run as kernel code on the BSP over the simulated PIT (hw/pit-channel2.ts):
 *
 * - `quickPitCalibrate` (quick_pit_calibrate): channel 2 in mode 0 from 0xFFFF; it watches the
 *   counter's high byte step down (each step is 256 PIT clocks) and stops as soon as the TSC
 *   uncertainty at the two ends, d1 + d2, is under 1/2048 of the elapsed TSC (< 500 ppm), giving
 *   up after MAX_QUICK_PIT_MS = 50 ms.
 * - `pitCalibrateTsc` (pit_calibrate_tsc): channel 2 in mode 0 loaded with `latch`; it spins
 *   on OUT2 (port 0x61 bit 5), keeping the least and greatest TSC step between polls, and refuses
 *   the result if it polled fewer than `loopmin` times or the greatest step is over 10 times the
 *   least (an SMI hit). Otherwise kHz = ΔTSC / ms.
 *
 * Both return kHz, 0 (quick) or null (slow, Linux's ULONG_MAX) when they fail. The arithmetic is
 * Linux's integer arithmetic, so the error the window and the port latency leave is the one a
 * real kernel would see. No code is copied; the structure and constants follow tsc.c.
 */
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import {
  NMI_SC_GATE2,
  NMI_SC_OUT2,
  NMI_SC_SPEAKER,
  PIT_CH2_MODE0,
  PORT_NMI_SC,
  PORT_PIT_CH2,
  PORT_PIT_CONTROL,
} from '../../hw/pit-channel2.ts';
import { PIT_INPUT_HZ } from '../../hw/timer.ts';
import type { Kernel } from '../kernel.ts';
import { inb, outb, rdtsc } from './io.ts';

export const MAX_QUICK_PIT_MS = 50;
/** MAX_QUICK_PIT_MS * PIT_TICK_RATE / 1000 / 256: high-byte steps in 50 ms. */
export const MAX_QUICK_PIT_ITERATIONS = Math.floor((MAX_QUICK_PIT_MS * PIT_INPUT_HZ) / 1000 / 256);
/** pit_expect_msb's bound on reads of one high-byte value. */
const EXPECT_MSB_READS_MAX = 50_000;

/** The slow loop's windows: CAL_MS 10 (latch 11 931, loopmin 1000), CAL2_MS 50 (59 659, 5000). */
export const CAL_MS = 10;
export const CAL2_MS = 50;
export const calLatch = (ms: number): number => Math.floor(PIT_INPUT_HZ / (1000 / ms));
export const CAL_PIT_LOOPS = 1000;
export const CAL2_PIT_LOOPS = 5000;

/** Gate high, speaker off, channel 2 in mode 0, then the count low byte then high byte. */
export function* loadPitChannel2(k: Kernel, count: number): KernelGen<void> {
  const sc = yield* inb(k, PORT_NMI_SC);
  yield* outb(k, PORT_NMI_SC, (sc & ~NMI_SC_SPEAKER) | NMI_SC_GATE2);
  yield* outb(k, PORT_PIT_CONTROL, PIT_CH2_MODE0);
  yield* outb(k, PORT_PIT_CH2, count & 0xff);
  yield* outb(k, PORT_PIT_CH2, count >>> 8);
}

/** pit_verify_msb: reads the low byte (ignored) and the high byte; true when it is `value`. */
function* pitVerifyMsb(k: Kernel, value: number): KernelGen<boolean> {
  yield* inb(k, PORT_PIT_CH2);
  return (yield* inb(k, PORT_PIT_CH2)) === value;
}

interface MsbSample {
  ok: boolean;
  /** The TSC at the last read that still saw the expected high byte. */
  tsc: number;
  /** How far that TSC can be from the step: from the read before it to after the loop. */
  uncertainty: number;
}

/** pit_expect_msb: polls while the high byte is `value`; needs more than 5 reads to count. */
function* pitExpectMsb(k: Kernel, cpu: Cpu, value: number): KernelGen<MsbSample> {
  let tsc = 0;
  let prevTsc = 0;
  let count = 0;
  for (; count < EXPECT_MSB_READS_MAX; count++) {
    if (!(yield* pitVerifyMsb(k, value))) break;
    prevTsc = tsc;
    tsc = yield* rdtsc(k, cpu);
  }
  const uncertainty = (yield* rdtsc(k, cpu)) - prevTsc;
  return { ok: count > 5, tsc, uncertainty };
}

/** What quick_pit_calibrate found: kHz (0: failed) and the high-byte steps it took. */
export interface QuickPitResult {
  khz: number;
  steps: number;
}

export function* quickPitCalibrate(k: Kernel, cpu: Cpu): KernelGen<QuickPitResult> {
  yield* loadPitChannel2(k, 0xffff);
  // The PIT loads the count on its next edge; one 16-bit read back is the delay Linux uses.
  yield* pitVerifyMsb(k, 0);
  const first = yield* pitExpectMsb(k, cpu, 0xff);
  if (!first.ok) return { khz: 0, steps: 0 };
  for (let i = 1; i <= MAX_QUICK_PIT_ITERATIONS; i++) {
    const next = yield* pitExpectMsb(k, cpu, 0xff - i);
    if (!next.ok) break;
    const delta = next.tsc - first.tsc;
    const uncertainty = first.uncertainty + next.uncertainty;
    // Extrapolated: if even the full 50 ms cannot bring the error under 500 ppm, fail fast.
    if (i === 1 && uncertainty >= Math.floor((delta * MAX_QUICK_PIT_ITERATIONS) / 2048)) break;
    if (uncertainty >= Math.floor(delta / 2048)) continue; // not yet under 500 ppm
    // One more look: every TSC read was stable against the PIT (and the last one serialised).
    if (!(yield* pitVerifyMsb(k, 0xfe - i))) break;
    // kHz = ΔTSC · PIT_TICK_RATE / (i · 256 · 1000), in integers as do_div does.
    return { khz: Number((BigInt(delta) * BigInt(PIT_INPUT_HZ)) / BigInt(i * 256 * 1000)), steps: i };
  }
  return { khz: 0, steps: 0 }; // "Fast TSC calibration failed"
}

/** What one pit_calibrate_tsc window found: kHz, or null for Linux's ULONG_MAX. */
export interface PitWindow {
  khz: number | null;
  loops: number;
  minStep: number;
  maxStep: number;
}

export function* pitCalibrateTsc(
  k: Kernel,
  cpu: Cpu,
  latch: number,
  ms: number,
  loopmin: number,
): KernelGen<PitWindow> {
  yield* loadPitChannel2(k, latch);
  const t1 = yield* rdtsc(k, cpu);
  let tsc = t1;
  let t2 = t1;
  let minStep = Number.POSITIVE_INFINITY;
  let maxStep = 0;
  let loops = 0;
  while (((yield* inb(k, PORT_NMI_SC)) & NMI_SC_OUT2) === 0) {
    t2 = yield* rdtsc(k, cpu);
    const step = t2 - tsc;
    tsc = t2;
    if (step < minStep) minStep = step;
    if (step > maxStep) maxStep = step;
    loops++;
  }
  // Too few polls, or one step ten times the least: an SMI (or a hypervisor) stole the window.
  const disturbed = loops < loopmin || maxStep > 10 * minStep;
  return { khz: disturbed ? null : Math.floor((t2 - t1) / ms), loops, minStep, maxStep };
}
