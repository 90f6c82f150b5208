/**
 * The 8254 PIT's channel 2 and port 0x61 (NMI status and control), as TSC and LAPIC calibration
 * use them (HW-15; Intel 8254 datasheet; Linux arch/x86/kernel/tsc.c `pit_calibrate_tsc`,
 * `quick_pit_calibrate`). Channel 2's gate is port 0x61 bit 0 and its output OUT2 reads back as
 * port 0x61 bit 5; its count is read at port 0x42, low byte then high byte (read/write mode 3),
 * each read sampling the live counter.
 *
 * Mode 0 (interrupt on terminal count): writing the control word drives OUT low; the count
 * written is loaded on the next falling CLK edge and falls by one on each edge after that; OUT
 * goes high when it reaches 0 and stays high while the counter wraps on down from 0xFFFF. The
 * clock's edges are a fixed grid of 1.193182 MHz with a phase drawn at boot. Channel 0 (the
 * tick) is timer.ts's: a control word for channel 0 or 1, another mode, the read-back or latch
 * command, or dropping the gate while the channel counts are not modelled and fail loudly.
 */
import { assert } from '../engine/assert.ts';
import type { AccessSize, Device, DeviceHost, IoRange } from './device.ts';
import { PIT_INPUT_HZ } from './timer.ts';

export const PORT_PIT_CH2 = 0x42;
export const PORT_PIT_CONTROL = 0x43;
export const PORT_NMI_SC = 0x61;
/** Port 0x61 bits: gate 2 (0), speaker data (1), refresh toggle (4, read only), OUT2 (5, read only). */
export const NMI_SC_GATE2 = 0x01;
export const NMI_SC_SPEAKER = 0x02;
export const NMI_SC_REFRESH = 0x10;
export const NMI_SC_OUT2 = 0x20;
/** Control word: channel 2 (bits 7-6 = 10), low then high byte (5-4 = 11), mode 0, binary. */
export const PIT_CH2_MODE0 = 0xb0;
/** The DRAM refresh request toggles every 15.085 µs (port 0x61 bit 4, IBM PC AT). */
const REFRESH_PERIOD_NS = 15_085;

export class PitChannel2 implements Device {
  readonly name = 'pit-ch2';
  readonly mmio: readonly IoRange[] = [];
  readonly ports: readonly IoRange[] = [
    { base: PORT_PIT_CH2, size: 2 },
    { base: PORT_NMI_SC, size: 1 },
  ];
  readonly lines: readonly number[] = [];
  #host: DeviceHost | null = null;
  /** Where the PIT's CLK edge grid starts, in ns (0 <= phase < one PIT period). */
  readonly #phaseNs: number = 0;
  #nmiSc = 0;
  /** The count being written (its low byte waits for its high byte). */
  #writeLow = -1;
  /** The read flip-flop: the next read of 0x42 returns the low byte. */
  #readLow = true;
  /** The programmed count and the edge index that loaded it (-1: not counting). */
  #count = 0;
  #loadEdge = -1;
  /** OUT2 is low from a control-word write until terminal count. */
  #armed = false;

  constructor(phaseNs: number) {
    this.#phaseNs = phaseNs;
  }

  attach(host: DeviceHost): void {
    this.#host = host;
  }

  timer(): number {
    return Number.POSITIVE_INFINITY; // OUT2 is polled, never wired to an interrupt line here
  }

  portRead(port: number, size: AccessSize): number {
    assert(size === 1, `pit: ${size}-byte access to port 0x${port.toString(16)}`);
    const now = this.#now();
    if (port === PORT_NMI_SC) {
      const refresh = Math.floor(now / REFRESH_PERIOD_NS) & 1 ? NMI_SC_REFRESH : 0;
      return (this.#nmiSc & (NMI_SC_GATE2 | NMI_SC_SPEAKER)) | refresh | (this.#out2(now) ? NMI_SC_OUT2 : 0);
    }
    assert(port === PORT_PIT_CH2, 'pit: reads of the control port are undefined (8254 datasheet)');
    const value = this.#counter(now);
    const byte = this.#readLow ? value & 0xff : value >>> 8;
    this.#readLow = !this.#readLow;
    return byte;
  }

  portWrite(port: number, size: AccessSize, value: number): void {
    assert(size === 1, `pit: ${size}-byte access to port 0x${port.toString(16)}`);
    const now = this.#now();
    if (port === PORT_NMI_SC) {
      if ((value & NMI_SC_GATE2) === 0 && this.#loadEdge >= 0 && !this.#out2(now)) {
        throw new Error('pit: dropping gate 2 while channel 2 counts is not modelled');
      }
      this.#nmiSc = value & 0xff;
    } else if (port === PORT_PIT_CONTROL) {
      if (value !== PIT_CH2_MODE0) {
        throw new Error(
          `pit: control word 0x${value.toString(16)} is not modelled (only 0xb0: channel 2, lo/hi, mode 0)`,
        );
      }
      this.#writeLow = -1;
      this.#readLow = true;
      this.#loadEdge = -1;
      this.#armed = true;
    } else if (this.#writeLow < 0) {
      this.#writeLow = value & 0xff;
    } else {
      assert((this.#nmiSc & NMI_SC_GATE2) !== 0, 'pit: channel 2 loaded with its gate low is not modelled');
      const count = this.#writeLow | ((value & 0xff) << 8);
      this.#writeLow = -1;
      this.#count = count === 0 ? 0x10000 : count; // 0 counts as 65536 in binary mode
      this.#loadEdge = this.#edgeAfter(now);
    }
  }

  /** The first CLK edge strictly after `nowNs`, as an index on the edge grid. */
  #edgeAfter(nowNs: number): number {
    return Math.floor(((nowNs - this.#phaseNs) * PIT_INPUT_HZ) / 1e9) + 1;
  }

  /** Edges that have passed by `nowNs` since the load edge (negative: not loaded yet). */
  #edgesSinceLoad(nowNs: number): number {
    return this.#edgeAfter(nowNs) - 1 - this.#loadEdge;
  }

  #counter(nowNs: number): number {
    if (this.#loadEdge < 0) return 0;
    const since = this.#edgesSinceLoad(nowNs);
    if (since < 0) return 0; // not loaded yet: the counting element still holds its old value
    return (((this.#count - since) % 0x10000) + 0x10000) % 0x10000;
  }

  #out2(nowNs: number): boolean {
    if (!this.#armed) return true;
    if (this.#loadEdge < 0) return false;
    return this.#edgesSinceLoad(nowNs) >= this.#count;
  }

  #now(): number {
    assert(this.#host !== null, 'pit: used before it was registered');
    return this.#host.nowNs;
  }
}
