/**
 * The TSC calibration a kernel runs at boot (HW-15), by method:
 *
 * - `redox`: what Redox's code does. Its only TSC time source is KVM pvclock; without KVM there is
 *   no PIT-based calibration at all (models-2.md §12.2, `src/arch/x86_shared/device/tsc.rs`), so
 *   the kernel knows no TSC frequency (0 kHz) and its waits are spin counts (delay.ts).
 * - `quick-pit`: Linux's quick_pit_calibrate alone (pit-calibrate.ts).
 * - `pit`: Linux's slow PIT loop alone, with no reference timer: 3 windows of CAL_MS (switching to
 *   CAL2_MS when the first two both failed), the lowest result kept.
 * - `pit-pmtimer`: the slow loop as `pit_hpet_ptimer_calibrate_cpu` runs it with the ACPI PM timer
 *   read around each window (`tsc_read_refs`): the reference wins when the two agree within 10 %.
 * - `linux`: Linux's order (`native_calibrate_cpu_early`, then the late one): the quick PIT
 *   calibration, and `pit-pmtimer` only if it fails. The sim's CPU reports no CPUID 0x15/0x16
 *   frequency leaves, so those earlier steps never answer here.
 */
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import { PM_TIMER_HZ, PORT_PM_TIMER } from '../../hw/pm-timer.ts';
import type { Kernel } from '../kernel.ts';
import { inl, rdtsc } from './io.ts';
import {
  CAL_MS,
  CAL_PIT_LOOPS,
  CAL2_MS,
  CAL2_PIT_LOOPS,
  calLatch,
  pitCalibrateTsc,
  quickPitCalibrate,
} from './pit-calibrate.ts';

export const TSC_CALIBRATIONS = ['redox', 'quick-pit', 'pit', 'pit-pmtimer', 'linux'] as const;
export type TscCalibration = (typeof TSC_CALIBRATIONS)[number];

/** What a calibration found and how: `how` is the line Linux would log. */
export interface TscCalibrationResult {
  khz: number;
  how: string;
  /** PIT windows or high-byte steps used. */
  rounds: number;
}

/** tsc_read_refs: a reference read is trusted only if its TSC bracket is short (no SMI). */
const REF_READ_RETRIES = 5;
const REF_READ_THRESHOLD_CYCLES = 50_000;
const ACPI_PM_MASK = 0xff_ffff;

export function* calibrateTsc(k: Kernel, cpu: Cpu, method: TscCalibration): KernelGen<TscCalibrationResult> {
  if (method === 'redox') return { khz: 0, how: 'no TSC calibration (Redox: KVM pvclock only)', rounds: 0 };
  if (method === 'quick-pit' || method === 'linux') {
    const quick = yield* quickPitCalibrate(k, cpu);
    if (quick.khz > 0) return { khz: quick.khz, how: 'Fast TSC calibration using PIT', rounds: quick.steps };
    if (method === 'quick-pit') return { khz: 0, how: 'Fast TSC calibration failed', rounds: 0 };
  }
  return yield* slowCalibrate(k, cpu, method !== 'pit');
}

interface RefRead {
  tsc: number | null;
  ref: number;
}

function* readRefs(k: Kernel, cpu: Cpu): KernelGen<RefRead> {
  let ref = 0;
  for (let i = 0; i < REF_READ_RETRIES; i++) {
    const t1 = yield* rdtsc(k, cpu);
    ref = (yield* inl(k, PORT_PM_TIMER)) & ACPI_PM_MASK;
    const t2 = yield* rdtsc(k, cpu);
    if (t2 - t1 < REF_READ_THRESHOLD_CYCLES) return { tsc: t2, ref };
  }
  return { tsc: null, ref };
}

/** calc_pmtimer_ref: ΔTSC over the PM timer's elapsed ns, in kHz. */
function pmTimerKhz(deltaTsc: number, pm1: number, pm2: number): number {
  const ticks = pm2 < pm1 ? pm2 + (1 << 24) - pm1 : pm2 - pm1;
  const ns = Math.floor((ticks * 1e9) / PM_TIMER_HZ);
  return ns === 0 ? Number.POSITIVE_INFINITY : Math.floor((deltaTsc * 1e6) / ns);
}

function* slowCalibrate(k: Kernel, cpu: Cpu, withRef: boolean): KernelGen<TscCalibrationResult> {
  let [latch, ms, loopmin] = [calLatch(CAL_MS), CAL_MS, CAL_PIT_LOOPS];
  let pitMin = Number.POSITIVE_INFINITY;
  let refMin = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const before = withRef ? yield* readRefs(k, cpu) : null;
    const window = yield* pitCalibrateTsc(k, cpu, latch, ms, loopmin);
    const after = withRef ? yield* readRefs(k, cpu) : null;
    pitMin = Math.min(pitMin, window.khz ?? Number.POSITIVE_INFINITY);
    if (before !== null && after !== null && before.tsc !== null && after.tsc !== null) {
      refMin = Math.min(refMin, pmTimerKhz(after.tsc - before.tsc, before.ref, after.ref));
      const percent = Math.floor((pitMin * 100) / refMin);
      if (percent >= 90 && percent <= 110) {
        return { khz: refMin, how: `PIT calibration matches PMTIMER. ${i + 1} loops`, rounds: i + 1 };
      }
    }
    // Failed twice: "virtualized environments" get the longer CAL2 window.
    if (i === 1 && pitMin === Number.POSITIVE_INFINITY)
      [latch, ms, loopmin] = [calLatch(CAL2_MS), CAL2_MS, CAL2_PIT_LOOPS];
  }
  if (pitMin === Number.POSITIVE_INFINITY) {
    if (refMin !== Number.POSITIVE_INFINITY)
      return { khz: refMin, how: 'using PMTIMER reference calibration', rounds: 3 };
    return { khz: 0, how: 'Unable to calibrate against PIT', rounds: 3 };
  }
  const how = withRef
    ? 'PIT calibration deviates from PMTIMER; using PIT calibration value'
    : 'Using PIT calibration value';
  return { khz: pitMin, how, rounds: 3 };
}
