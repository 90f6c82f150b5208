/**
 * The ACPI power-management timer (ACPI 6.5 §4.8.3.3): a free-running counter at 3.579545 MHz,
 * 32 bits wide as the generated FADT's TMR_VAL_EXT flag says (Linux masks it to 24 bits anyway),
 * read as a 32-bit port at PM_TMR_BLK (the port the generated FADT names, acpi/platform.ts).
 * Linux's slow TSC calibration reads it around each PIT window as a reference (`tsc_read_refs`,
 * arch/x86/kernel/tsc.c). Its clock is its own crystal: the sim's true time, like the PIT's,
 * with a boot-time phase.
 */
import { assert } from '../engine/assert.ts';
import { PM_TIMER_PORT } from './acpi/platform.ts';
import type { AccessSize, Device, DeviceHost, IoRange } from './device.ts';

/** ACPI_PM_TIMER_FREQUENCY (include/linux/acpi_pmtmr.h). */
export const PM_TIMER_HZ = 3_579_545;
export const PORT_PM_TIMER = PM_TIMER_PORT;

export class PmTimer implements Device {
  readonly name = 'acpi-pm-timer';
  readonly mmio: readonly IoRange[] = [];
  readonly ports: readonly IoRange[] = [{ base: PORT_PM_TIMER, size: 4 }];
  readonly lines: readonly number[] = [];
  readonly #phaseNs: number = 0;
  #host: DeviceHost | null = null;

  constructor(phaseNs: number) {
    this.#phaseNs = phaseNs;
  }

  attach(host: DeviceHost): void {
    this.#host = host;
  }

  timer(): number {
    return Number.POSITIVE_INFINITY;
  }

  portRead(port: number, size: AccessSize): number {
    assert(port === PORT_PM_TIMER && size === 4, 'pm-timer: only a 32-bit read of PM_TMR_BLK is defined');
    assert(this.#host !== null, 'pm-timer: read before it was registered');
    return Math.floor(((this.#host.nowNs + this.#phaseNs) * PM_TIMER_HZ) / 1e9) % 0x1_0000_0000;
  }
}
