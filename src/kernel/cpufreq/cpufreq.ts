/**
 * The cpufreq core (HW-15): one policy per CPU (as intel_pstate and amd-pstate give), its
 * governor, and the update hook the scheduler tick calls (Linux's cpufreq_update_util from
 * scheduler_tick). The governor's decision is governors.ts's; this file keeps what each one
 * samples and when:
 *
 * - ondemand samples every sampling_rate = max(2 ticks, transition delay)
 *   (CPUFREQ_DBS_MIN_SAMPLING_INTERVAL, cpufreq_governor.c), times sampling_down_factor after a
 *   jump to the maximum; its load is the CPU's non-idle share of the time since the last sample;
 * - schedutil keeps a frequency-invariant utilisation like PELT's (kernel/sched/pelt.c: a
 *   geometric average with y^32 = 1/2 over 1024 µs periods, each busy period weighted by
 *   cur/max), updated at every tick, and changes frequency at most once per rate_limit_us
 *   (default: the transition delay, cpufreq_policy_transition_delay_us);
 * - performance and powersave set their state once, when the governor starts at boot.
 *
 * A frequency change is a WRMSR to IA32_PERF_CTL on the CPU itself (the fast-switch path), which
 * applies after the hardware's transition latency (hw/pstate.ts).
 */
import { isRtPolicy } from '../../abi/sched.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import type { PStates } from '../../hw/pstate.ts';
import type { Kernel } from '../kernel.ts';
import { isThread } from '../thread.ts';
import { CAPACITY_SCALE, type GovernorName, ondemandState, schedutilState } from './governors.ts';

export interface GovernorTunables {
  governor: GovernorName;
  /** ondemand's up_threshold, percent (Linux default 80). */
  upThreshold: number;
  /** ondemand's sampling_down_factor (Linux default 1). */
  samplingDownFactor: number;
  /** The driver's transition delay, ns: ondemand's sampling floor and schedutil's rate limit. */
  transitionDelayNs: number;
}

/** PELT's half-life: 32 periods of 1024 µs. */
const PELT_HALF_LIFE_NS = 32 * 1_024_000;

export class Cpufreq {
  readonly hw: PStates;
  readonly tunables: GovernorTunables;
  readonly samplingNs: number;
  /** Per CPU: the last sample's time and idle total, the next sample's time, the PELT-like util. */
  readonly #lastNs: Float64Array;
  readonly #lastIdleNs: Float64Array;
  readonly #nextNs: Float64Array;
  readonly #lastChangeNs: Float64Array;
  readonly util: Float64Array;
  /** Governor samples taken and IA32_PERF_CTL writes made, every CPU. */
  samples = 0;
  requests = 0;

  constructor(hw: PStates, tunables: GovernorTunables, tickPeriodNs: number, cpus: number) {
    this.hw = hw;
    this.tunables = tunables;
    this.samplingNs = Math.max(2 * tickPeriodNs, tunables.transitionDelayNs);
    this.#lastNs = new Float64Array(cpus);
    this.#lastIdleNs = new Float64Array(cpus);
    this.#nextNs = new Float64Array(cpus);
    this.#lastChangeNs = new Float64Array(cpus).fill(Number.NEGATIVE_INFINITY);
    this.util = new Float64Array(cpus);
  }

  /** The governor's start: performance asks for the highest state, powersave the lowest. */
  start(): void {
    if (this.tunables.governor !== 'powersave') return;
    for (let cpuId = 0; cpuId < this.#lastNs.length; cpuId++) this.hw.request(cpuId, this.hw.lowest);
  }

  /** One sample on `cpuId`: the wall and idle time since the last one (and the sample moves on). */
  sample(cpuId: number, nowNs: number, idleNs: number): { wallNs: number; idleNs: number } {
    const wall = nowNs - this.#lastNs[cpuId]!;
    const idle = Math.min(wall, Math.max(0, idleNs - this.#lastIdleNs[cpuId]!));
    this.#lastNs[cpuId] = nowNs;
    this.#lastIdleNs[cpuId] = idleNs;
    this.samples++;
    return { wallNs: wall, idleNs: idle };
  }

  /** ondemand: when the next sample is due on `cpuId`, and the state its load asks for. */
  ondemand(cpu: Cpu, nowNs: number): number | null {
    if (nowNs < this.#nextNs[cpu.id]!) return null;
    const s = this.sample(cpu.id, nowNs, cpu.idleSoFarNs);
    if (s.wallNs <= 0) return null;
    const load = Math.floor((100 * (s.wallNs - s.idleNs)) / s.wallNs);
    const state = ondemandState(this.hw.spec.mhz, load, this.tunables.upThreshold);
    const mult = state === 0 && load > this.tunables.upThreshold ? this.tunables.samplingDownFactor : 1;
    this.#nextNs[cpu.id] = nowNs + this.samplingNs * mult;
    return state;
  }

  /** schedutil: the util update at every call, and the state once the rate limit allows. */
  schedutil(cpu: Cpu, nowNs: number, rtRunning: boolean): number | null {
    const s = this.sample(cpu.id, nowNs, cpu.idleSoFarNs);
    if (s.wallNs > 0) {
      const hw = this.hw;
      const invariance = hw.mhz(hw.state[cpu.id]!) / hw.mhz(0);
      const busy = ((s.wallNs - s.idleNs) / s.wallNs) * invariance * CAPACITY_SCALE;
      const keep = 0.5 ** (s.wallNs / PELT_HALF_LIFE_NS);
      this.util[cpu.id] = this.util[cpu.id]! * keep + busy * (1 - keep);
    }
    if (nowNs - this.#lastChangeNs[cpu.id]! < this.tunables.transitionDelayNs) return null;
    const current = this.hw.requested[cpu.id]!;
    let state = rtRunning ? 0 : schedutilState(this.hw.spec.mhz, this.util[cpu.id]!);
    // sugov_hold_freq: no idle since the last update, so the CPU is busy: do not lower it now.
    if (state > current && s.idleNs === 0 && s.wallNs > 0) state = current;
    return state;
  }

  /** Records a change of `cpuId`'s requested state at `nowNs` (the rate limit counts from it). */
  changed(cpuId: number, nowNs: number): void {
    this.#lastChangeNs[cpuId] = nowNs;
    this.requests++;
  }
}

/** The scheduler tick's cpufreq_update_util on `cpu`: the governor decides, the CPU writes PERF_CTL. */
export function* cpufreqUpdate(k: Kernel, cpu: Cpu): KernelGen<void> {
  const cf = k.cpufreq;
  if (cf === null) return;
  const now = k.nowNs;
  let state: number | null = null;
  if (cf.tunables.governor === 'ondemand') state = cf.ondemand(cpu, now);
  else if (cf.tunables.governor === 'schedutil') {
    const current = cpu.current;
    state = cf.schedutil(cpu, now, isThread(current) && isRtPolicy(current.policy));
  }
  if (state === null || state === cf.hw.requested[cpu.id]) return;
  yield spend(k.board.costs.perfCtlWriteNs);
  cf.hw.request(cpu.id, state);
  cf.changed(cpu.id, k.nowNs);
}
