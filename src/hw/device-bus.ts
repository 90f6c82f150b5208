/**
 * The board's device registry: MMIO and port decoding, interrupt lines and device timers.
 *
 * An access goes to the device whose range holds it; nothing decodes an unclaimed address, so a
 * read returns all ones (the floating bus a PC reads from an empty port or hole) and a write is
 * dropped. A line carries a level; each change reaches the sink wired to the line (an IOAPIC pin
 * next, a test's route to `ApicBus.deliver` now). A device's timer is one engine event at the
 * deadline its `timer()` returned, replaced when a later call returns another.
 */
import { assert } from '../engine/assert.ts';
import type { Engine } from '../engine/engine.ts';
import type { AccessSize, Device, DeviceHost, IoRange } from './device.ts';

/** What a line is wired to: it hears every level change. */
export type LineSink = (line: number, high: boolean) => void;

const FLOATING = 0xffff_ffff;

interface Registered {
  readonly device: Device;
  deadlineNs: number;
  /** Bumped when the deadline is replaced, so the old engine event is ignored. */
  generation: number;
}

interface Decoded {
  readonly base: number;
  readonly end: number;
  readonly index: number;
}

export class DeviceBus {
  readonly #engine: Engine;
  readonly #devices: Registered[] = [];
  readonly #mmio: Decoded[] = [];
  readonly #ports: Decoded[] = [];
  readonly #levels = new Map<number, boolean>();
  readonly #sinks = new Map<number, LineSink>();
  /** Engine kind of device timers; registered with the first device (a bare board adds none). */
  #kindTimer = -1;

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  get devices(): readonly Device[] {
    return this.#devices.map((r) => r.device);
  }

  /** Registers a device: claims its ranges (no overlap with another device), attaches it, polls its timer. */
  register(device: Device): void {
    const index = this.#devices.length;
    for (const range of device.mmio) this.#claim(this.#mmio, range, index, device.name, 'MMIO');
    for (const range of device.ports) this.#claim(this.#ports, range, index, device.name, 'port');
    if (this.#kindTimer < 0) {
      this.#kindTimer = this.#engine.register('device-timer', (i, generation) => {
        const entry = this.#devices[i]!;
        if (generation !== entry.generation) return; // replaced by a later deadline
        entry.deadlineNs = Number.POSITIVE_INFINITY; // this deadline is spent
        this.#poll(i);
      });
    }
    this.#devices.push({ device, deadlineNs: Number.POSITIVE_INFINITY, generation: 0 });
    device.attach(this.#host(index));
    this.#poll(index);
  }

  /** Wires `line` to `sink` (one sink per line: the pin of an interrupt controller). */
  connect(line: number, sink: LineSink): void {
    assert(!this.#sinks.has(line), `devices: line ${line} is already wired`);
    this.#sinks.set(line, sink);
  }

  lineHigh(line: number): boolean {
    return this.#levels.get(line) ?? false;
  }

  mmioRead(addr: number, size: AccessSize): number {
    const i = find(this.#mmio, addr, size);
    if (i < 0) return floating(size);
    const device = this.#devices[i]!.device;
    const value = device.mmioRead?.(addr, size) ?? floating(size);
    this.#poll(i);
    return value;
  }

  mmioWrite(addr: number, size: AccessSize, value: number): void {
    const i = find(this.#mmio, addr, size);
    if (i < 0) return;
    this.#devices[i]!.device.mmioWrite?.(addr, size, value);
    this.#poll(i);
  }

  portRead(port: number, size: AccessSize): number {
    const i = find(this.#ports, port, size);
    if (i < 0) return floating(size);
    const value = this.#devices[i]!.device.portRead?.(port, size) ?? floating(size);
    this.#poll(i);
    return value;
  }

  portWrite(port: number, size: AccessSize, value: number): void {
    const i = find(this.#ports, port, size);
    if (i < 0) return;
    this.#devices[i]!.device.portWrite?.(port, size, value);
    this.#poll(i);
  }

  /** The next timer deadline of the device registered `index`-th (Infinity: none). */
  deadlineNs(index: number): number {
    return this.#devices[index]!.deadlineNs;
  }

  #claim(table: Decoded[], range: IoRange, index: number, name: string, space: string): void {
    const { base, size } = range;
    assert(
      Number.isInteger(base) && base >= 0 && Number.isInteger(size) && size > 0,
      `devices: ${name}: bad ${space} range`,
    );
    const end = base + size;
    for (const other of table) {
      if (base < other.end && other.base < end) {
        const owner = this.#devices[other.index]?.device.name ?? name;
        throw new Error(
          `devices: ${name}'s ${space} range 0x${base.toString(16)}+${size} overlaps ${owner}'s`,
        );
      }
    }
    table.push({ base, end, index });
  }

  #host(index: number): DeviceHost {
    const bus = this;
    const engine = this.#engine;
    const lines = this.#devices[index]!.device.lines;
    return {
      get nowNs() {
        return engine.nowNs;
      },
      setLine(lineIndex: number, high: boolean) {
        const line = lines[lineIndex];
        assert(line !== undefined, `devices: line index ${lineIndex} outside the device's lines`);
        bus.#setLine(line, high);
      },
      rescheduleTimer() {
        bus.#poll(index);
      },
    };
  }

  #setLine(line: number, high: boolean): void {
    if ((this.#levels.get(line) ?? false) === high) return;
    this.#levels.set(line, high);
    this.#sinks.get(line)?.(line, high);
  }

  /** Calls the device's timer and (re)schedules its next deadline. */
  #poll(index: number): void {
    const entry = this.#devices[index]!;
    const engine = this.#engine;
    const nextNs = entry.device.timer(engine.nowNs);
    assert(!Number.isNaN(nextNs), `devices: ${entry.device.name}: timer() returned NaN`);
    if (nextNs === entry.deadlineNs) return;
    entry.deadlineNs = nextNs;
    entry.generation++;
    if (nextNs === Number.POSITIVE_INFINITY) return;
    engine.at(Math.max(Math.ceil(nextNs), engine.nowNs), this.#kindTimer, index, entry.generation);
  }
}

function find(table: readonly Decoded[], addr: number, size: number): number {
  for (const d of table) if (addr >= d.base && addr + size <= d.end) return d.index;
  return -1;
}

function floating(size: AccessSize): number {
  return size === 4 ? FLOATING : FLOATING >>> (32 - 8 * size);
}
