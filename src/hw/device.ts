/**
 * What a device is to the board (the seam every future device file plugs into, as v86 keeps one
 * file per device and registers each with its I/O and MMIO tables): the MMIO and I/O-port ranges
 * it decodes, the interrupt lines it drives, and a `timer(nowNs)` that does the work due by then
 * and returns its next deadline. The board (device-bus.ts) dispatches accesses to it, carries its
 * line changes to whatever is wired to them (next the IOAPIC's pins), and calls its timer
 * through the engine at that deadline. A device never sees the kernel, only its DeviceHost.
 */

/** A decoded address range: `size` bytes (or ports) from `base`. */
export interface IoRange {
  readonly base: number;
  readonly size: number;
}

/** Access widths in bytes. */
export type AccessSize = 1 | 2 | 4;

/** What the board gives a device when it registers. */
export interface DeviceHost {
  /** Simulated now, in ns. */
  readonly nowNs: number;
  /** Drives the device's line `index` (into `Device.lines`) high or low. */
  setLine(index: number, high: boolean): void;
  /** The device's state changed outside an access: call its timer again now. */
  rescheduleTimer(): void;
}

export interface Device {
  readonly name: string;
  readonly mmio: readonly IoRange[];
  readonly ports: readonly IoRange[];
  /** The board interrupt lines (GSIs) the device drives, in the device's own order. */
  readonly lines: readonly number[];
  /** Called once, at registration, before any other call. */
  attach(host: DeviceHost): void;
  /** Accesses at absolute addresses (or ports) inside one of the device's ranges. */
  mmioRead?(addr: number, size: AccessSize): number;
  mmioWrite?(addr: number, size: AccessSize, value: number): void;
  portRead?(port: number, size: AccessSize): number;
  portWrite?(port: number, size: AccessSize, value: number): void;
  /**
   * Does what is due by `nowNs` and returns the next deadline in absolute ns (Infinity: none).
   * Called at registration, at each deadline it returned, and after each access to the device.
   */
  timer(nowNs: number): number;
}
