/**
 * Per-CPU P-states (HW-15): a table of core clocks with the power each draws, and the
 * IA32_PERF_CTL write that moves a CPU between them. A request takes effect after the
 * transition latency (intel_pstate's INTEL_CPUFREQ_TRANSITION_LATENCY, 20 µs, models-2.md
 * §12.4); until then the core keeps its old clock, and a request made meanwhile replaces the
 * target. When the new clock applies, a compute burst in flight runs its remaining cycles at it
 * (cpu.ts `setCoreClock`). The TSC is invariant and does not change (tsc.ts).
 *
 * Energy is an estimate, not a measurement: each state's active power times the time the CPU was
 * busy in it, plus one idle (C1) power times the time it was halted, summed per CPU. The default
 * powers follow P ≈ static + dynamic · (f/fmax)³ (dynamic power ∝ f·V² with V roughly ∝ f);
 * scenarios may give their own table.
 */
import { assert } from '../engine/assert.ts';
import type { Engine } from '../engine/engine.ts';
import type { Cpu } from './cpu.ts';
import type { TscBank } from './tsc.ts';

export interface PStateSpec {
  /** Core clocks, highest first (P0 first); the highest is the nominal clock the TSC counts at. */
  mhz: readonly number[];
  /** Active power of each state, mW. */
  activeMw: readonly number[];
  /** Power of a halted CPU, mW. */
  idleMw: number;
  transitionNs: number;
}

/** Default powers: 1.5 W static plus 10.5 W · (f/fmax)³ of dynamic power at P0 (estimate). */
export function defaultActiveMw(mhz: readonly number[]): number[] {
  const max = mhz[0]!;
  return mhz.map((f) => Math.round(1500 + 10_500 * (f / max) ** 3));
}

export class PStates {
  readonly spec: PStateSpec;
  readonly #engine: Engine;
  readonly #cpus: readonly Cpu[];
  readonly #tsc: TscBank;
  readonly #kind: number = 0;
  /** The applied state, and the one last requested, per CPU. */
  readonly state: Uint8Array;
  readonly requested: Uint8Array;
  /** Completed transitions, per CPU. */
  readonly transitions: Uint32Array;
  /** Busy and halted ns per CPU and state (index cpu · states + state), up to `#sinceNs`. */
  readonly busyNs: Float64Array;
  readonly idleNs: Float64Array;
  readonly #sinceNs: Float64Array;
  readonly #sinceIdleNs: Float64Array;
  /** Bumped per request, so only the newest request's event applies. */
  readonly #generation: Uint32Array;

  constructor(engine: Engine, cpus: readonly Cpu[], tsc: TscBank, spec: PStateSpec) {
    assert(spec.mhz.length > 0 && spec.mhz.length === spec.activeMw.length, 'pstate: one power per state');
    this.spec = spec;
    this.#engine = engine;
    this.#cpus = cpus;
    this.#tsc = tsc;
    const n = cpus.length;
    const cells = n * spec.mhz.length;
    this.state = new Uint8Array(n);
    this.requested = new Uint8Array(n);
    this.transitions = new Uint32Array(n);
    this.busyNs = new Float64Array(cells);
    this.idleNs = new Float64Array(cells);
    this.#sinceNs = new Float64Array(n);
    this.#sinceIdleNs = new Float64Array(n);
    this.#generation = new Uint32Array(n);
    this.#kind = engine.register(
      'pstate',
      (cpuId, generation) => {
        if (generation === this.#generation[cpuId]) this.#apply(cpuId);
      },
      true,
    );
  }

  get count(): number {
    return this.spec.mhz.length;
  }

  mhz(state: number): number {
    return this.spec.mhz[state]!;
  }

  /** The lowest-power state, the last entry. */
  get lowest(): number {
    return this.spec.mhz.length - 1;
  }

  /** WRMSR IA32_PERF_CTL on `cpuId`: the state applies after the transition latency. */
  request(cpuId: number, state: number): void {
    assert(Number.isInteger(state) && state >= 0 && state < this.count, `pstate: no state ${state}`);
    if (state === this.requested[cpuId]) return;
    this.requested[cpuId] = state;
    const generation = ++this.#generation[cpuId]!;
    this.#engine.after(this.spec.transitionNs, this.#kind, cpuId, generation);
  }

  /** Folds the time since the last fold into `cpuId`'s current state. */
  account(cpuId: number): void {
    const now = this.#engine.nowNs;
    const idle = this.#cpus[cpuId]!.idleSoFarNs;
    const cell = cpuId * this.count + this.state[cpuId]!;
    const idleDelta = Math.max(0, idle - this.#sinceIdleNs[cpuId]!);
    const wall = now - this.#sinceNs[cpuId]!;
    this.idleNs[cell]! += Math.min(wall, idleDelta);
    this.busyNs[cell]! += Math.max(0, wall - idleDelta);
    this.#sinceNs[cpuId] = now;
    this.#sinceIdleNs[cpuId] = idle;
  }

  /** The energy estimate so far, every CPU, in mJ (mW · ns / 1e9). */
  energyMj(): number {
    let sum = 0;
    for (let cpuId = 0; cpuId < this.#cpus.length; cpuId++) {
      this.account(cpuId);
      for (let s = 0; s < this.count; s++) {
        const cell = cpuId * this.count + s;
        sum += this.busyNs[cell]! * this.spec.activeMw[s]! + this.idleNs[cell]! * this.spec.idleMw;
      }
    }
    return sum / 1e9;
  }

  #apply(cpuId: number): void {
    this.account(cpuId);
    const state = this.requested[cpuId]!;
    this.state[cpuId] = state;
    this.transitions[cpuId]!++;
    const clock = this.#tsc.cyclesPerNs[cpuId]! * (this.mhz(state) / this.mhz(0));
    this.#cpus[cpuId]!.setCoreClock(clock);
  }
}
