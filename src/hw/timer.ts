/**
 * Timer hardware: the 8254 PIT on the BSP (channel 0, mode 2) and the per-CPU LAPIC timer in
 * periodic mode. Each raises its vector on its CPU; what the tick does is the kernel's business.
 */
import { ChoiceKind } from '../engine/decider.ts';
import type { Engine } from '../engine/engine.ts';
import type { Cpu } from './cpu.ts';
import { VEC_LAPIC_TIMER, VEC_PIT } from './vectors.ts';

/** The PIT's input clock, 1.193182 MHz (Intel 8254 datasheet). */
export const PIT_INPUT_HZ = 1_193_182;
/** Redox's divisor (`device/pit.rs`): about 246 Hz, not the 148 Hz the plans say (HW-12). */
export const PIT_DIVISOR_REDOX = 4847;

/** The PIT period in ns for a divisor: 4847 gives 4,062,247 ns. */
export function pitPeriodNs(divisor: number): number {
  return Math.round((divisor * 1e9) / PIT_INPUT_HZ);
}

/** Starts the PIT on `bsp`; it raises VEC_PIT every period from one period after boot. */
export function startPit(engine: Engine, bsp: Cpu, divisor: number): number {
  const periodNs = pitPeriodNs(divisor);
  const kind = engine.register('pit', () => {
    bsp.raise(VEC_PIT);
    engine.after(periodNs, kind, 0, 0);
  });
  engine.after(periodNs, kind, 0, 0);
  return periodNs;
}

/**
 * Starts every CPU's LAPIC timer in periodic mode at `hz`. Each CPU programs its timer at its own
 * moment during boot, so the phases differ; they are drawn from the decider (a Boot choice).
 */
export function startLapicPeriodic(engine: Engine, cpus: readonly Cpu[], hz: number): number {
  const periodNs = Math.round(1e9 / hz);
  const kind = engine.register('lapic-timer', (cpuId) => {
    cpus[cpuId]!.raise(VEC_LAPIC_TIMER);
    engine.after(periodNs, kind, cpuId, 0);
  });
  for (const cpu of cpus) {
    const phaseNs = engine.decider.choose(ChoiceKind.Boot, periodNs);
    engine.after(periodNs + phaseNs, kind, cpu.id, 0);
  }
  return periodNs;
}
