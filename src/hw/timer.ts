/**
 * Timer hardware: the 8254 PIT on the BSP (channel 0, mode 2) and the per-CPU LAPIC timer in
 * periodic mode. Each raises its vector in its CPU's LAPIC; what the tick does is the kernel's
 * business. (The PIT reaches the BSP's LAPIC directly until an IOAPIC routes its line.)
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
  // The next period is queued first, so the interrupt is the handler's last act (accept's tail).
  const kind = engine.register('pit', () => {
    engine.after(periodNs, kind, 0, 0);
    bsp.lapic.accept(VEC_PIT, true);
  });
  engine.after(periodNs, kind, 0, 0);
  return periodNs;
}

/**
 * What may stand for a halted CPU's periodic ticks (kernel/idle-fold.ts, issue 14): asked at a
 * tick of a halted CPU, it either handles that tick and the next ones as running them would
 * and returns when the next tick is due (the timer queues it), or returns -1 (the tick runs).
 */
export interface IdleTickFolder {
  /** Told the event kind of the periodic tick (so it can tell ticks apart in the queue). */
  setTickKind(kind: number): void;
  foldTicks(cpuId: number, periodNs: number): number;
}

/**
 * Each CPU's LAPIC timer period in periodic mode, ns. It starts at the nominal 1/hz; once the
 * kernel writes an initial count (TMICT) from its calibration, the period is that many bus
 * clocks at the CPU's true bus rate (hw/tsc.ts, skewed as its crystal is), from the next reload:
 * so a calibration error is a tick-rate error, as on hardware.
 */
export class LapicPeriods {
  readonly ns: number[];
  readonly #busHz: (cpuId: number) => number;

  constructor(cpus: number, nominalNs: number, busHz: (cpuId: number) => number) {
    this.ns = new Array<number>(cpus).fill(nominalNs);
    this.#busHz = busHz;
  }

  /** TMICT × divide: the bus clocks one period lasts on `cpuId`. */
  program(cpuId: number, busClocks: number): void {
    this.ns[cpuId] = Math.round((busClocks * 1e9) / this.#busHz(cpuId));
  }
}

/**
 * Starts every CPU's LAPIC timer in periodic mode at `hz`. Each CPU programs its timer at its own
 * moment during boot, so the phases differ; they are drawn from the decider (a Boot choice).
 */
export function startLapicPeriodic(
  engine: Engine,
  cpus: readonly Cpu[],
  hz: number,
  folder: IdleTickFolder | null = null,
  periods: LapicPeriods | null = null,
): number {
  const periodNs = Math.round(1e9 / hz);
  const kind = engine.register(
    'lapic-timer',
    (cpuId) => {
      const cpu = cpus[cpuId]!;
      const nowPeriodNs = periods === null ? periodNs : periods.ns[cpuId]!;
      if (cpu.lapic.timerMasked) {
        engine.after(nowPeriodNs, kind, cpuId, 0); // still counting, raising nothing
        return;
      }
      if (folder !== null && cpu.halted) {
        const nextNs = folder.foldTicks(cpuId, nowPeriodNs);
        if (nextNs >= 0) {
          engine.at(nextNs, kind, cpuId, 0);
          return;
        }
      }
      engine.after(nowPeriodNs, kind, cpuId, 0);
      cpu.lapic.accept(VEC_LAPIC_TIMER, true);
    },
    true,
  );
  folder?.setTickKind(kind);
  for (const cpu of cpus) {
    const phaseNs = engine.decider.choose(ChoiceKind.Boot, periodNs, null);
    engine.after(periodNs + phaseNs, kind, cpu.id, 0);
  }
  return periodNs;
}

/**
 * The LAPIC timer in TSC-deadline mode (Intel SDM vol. 3 §11.5.4.1): each CPU writes an absolute
 * deadline to IA32_TSC_DEADLINE and gets one interrupt when the TSC reaches it; writing 0
 * disarms it, and a new write replaces the old deadline. A tickless kernel programs it from what
 * it next needs, so a halted CPU with nothing due gets no interrupt at all (HW-12). The improved
 * kernel's hrtimers program one too when the tick is periodic (kernel/hrtimer.ts); that one
 * raises its own vector, VEC_HRTIMER, so its interrupts are told apart from the tick's.
 */
export class TscDeadlineTimer {
  readonly #engine: Engine;
  readonly #kind: number = 0;
  /** The armed deadline per CPU, or Infinity. */
  readonly #deadlineNs: Float64Array;
  /** Bumped on every write, so an event of a replaced deadline is ignored. */
  readonly #generation: Uint32Array;
  /** Interrupts delivered, per CPU. */
  readonly fired: Uint32Array;

  constructor(engine: Engine, cpus: readonly Cpu[], vector = VEC_LAPIC_TIMER) {
    this.#engine = engine;
    this.#deadlineNs = new Float64Array(cpus.length).fill(Number.POSITIVE_INFINITY);
    this.#generation = new Uint32Array(cpus.length);
    this.fired = new Uint32Array(cpus.length);
    this.#kind = engine.register(
      vector === VEC_LAPIC_TIMER ? 'tsc-deadline' : 'hrtimer',
      (cpuId, generation) => {
        if (generation !== this.#generation[cpuId]) return; // replaced or disarmed
        this.#deadlineNs[cpuId] = Number.POSITIVE_INFINITY;
        if (vector === VEC_LAPIC_TIMER && cpus[cpuId]!.lapic.timerMasked) return; // LVT masked
        this.fired[cpuId]!++;
        cpus[cpuId]!.lapic.accept(vector, true);
      },
      true,
    );
  }

  deadlineNs(cpuId: number): number {
    return this.#deadlineNs[cpuId]!;
  }

  /** Writes IA32_TSC_DEADLINE: Infinity disarms; a deadline in the past fires at once. */
  arm(cpuId: number, deadlineNs: number): void {
    if (deadlineNs === this.#deadlineNs[cpuId]) return; // the same value: nothing changes
    const generation = ++this.#generation[cpuId]!;
    this.#deadlineNs[cpuId] = deadlineNs;
    if (deadlineNs === Number.POSITIVE_INFINITY) return;
    this.#engine.at(Math.max(Math.ceil(deadlineNs), this.#engine.nowNs), this.#kind, cpuId, generation);
  }
}
