/**
 * The LAPIC timer's count registers as a calibration reads them (Intel SDM vol. 3 §11.5.4):
 * software writes the divide configuration and an initial count, and the current-count register
 * then falls by one every `divide` bus clocks until it reaches 0 (one-shot, LVT masked: no
 * interrupt). The periodic tick itself is timer.ts's; this is only the counter, per CPU, at the
 * true bus rate of that CPU's crystal (tsc.ts).
 */
import { assert } from '../engine/assert.ts';
import type { TscBank } from './tsc.ts';

/** Divide values the divide-configuration register can select (SDM Figure 11-10). */
const DIVIDES = [1, 2, 4, 8, 16, 32, 64, 128];

export class LapicCounter {
  readonly #tsc: TscBank;
  readonly #initial: Float64Array;
  readonly #startNs: Float64Array;
  readonly #divide: Uint8Array;

  constructor(tsc: TscBank) {
    this.#tsc = tsc;
    const n = tsc.cyclesPerNs.length;
    this.#initial = new Float64Array(n);
    this.#startNs = new Float64Array(n);
    this.#divide = new Uint8Array(n).fill(2);
  }

  /** Writes the divide configuration (as the divide value itself, one of 1..128). */
  setDivide(cpuId: number, divide: number): void {
    assert(DIVIDES.includes(divide), `lapic: divide ${divide} is not one of ${DIVIDES.join(', ')}`);
    this.#divide[cpuId] = divide;
  }

  /** Writes the initial-count register at `nowNs`: the count restarts from it. */
  setInitial(cpuId: number, count: number, nowNs: number): void {
    assert(Number.isInteger(count) && count >= 0 && count <= 0xffff_ffff, 'lapic: initial count is 32 bits');
    this.#initial[cpuId] = count;
    this.#startNs[cpuId] = nowNs;
  }

  /** Reads the current-count register at `nowNs`. */
  current(cpuId: number, nowNs: number): number {
    const ticksPerNs = this.#tsc.lapicBusHz(cpuId) / 1e9 / this.#divide[cpuId]!;
    const elapsed = Math.floor((nowNs - this.#startNs[cpuId]!) * ticksPerNs);
    return Math.max(0, this.#initial[cpuId]! - elapsed);
  }
}
