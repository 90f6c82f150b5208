/**
 * An IOAPIC (82093AA-shaped, version 0x20 with the EOI register) on the device seam: its MMIO
 * window, its pins wired to board lines (GSIs gsiBase..gsiBase+pins-1) and the messages it sends
 * to LAPICs. Register access is indirect (models-2.md §7.1; Linux `io_apic_read`/`io_apic_write`,
 * arch/x86/kernel/apic/io_apic.c): write an index to IOREGSEL (base+0x00), then read or write
 * IOWIN (base+0x10). Index 0 ID (bits 24-27 writable), 1 VER (version in 0-7, entries-1 in
 * 16-23), 2 ARB, 0x10+2n / 0x11+2n the low / high half of RTE n. base+0x40 is the EOI register:
 * writing a vector clears remote IRR of every level entry with that vector (`io_apic_eoi`).
 *
 * Pin behaviour (82093AA §3.2.4): an edge entry sends its message on a rising edge while unmasked;
 * an edge arriving while masked is dropped, not held. A level entry sends while the line is
 * asserted, unmasked and remote IRR clear, then sets remote IRR; EOI clears it and the message is
 * sent again if the line is still asserted. Polarity turns an active-low line's low level into
 * "asserted". Physical mode targets the APIC id in the destination; logical mode uses the flat
 * model (bit i = APIC id i); lowest-priority goes to the lowest id of the destination set.
 */
import type { AccessSize, Device, DeviceHost, IoRange } from './device.ts';
import type { DeviceBus } from './device-bus.ts';
import {
  DeliveryMode,
  decodeRte,
  RTE_DELIVERY_STATUS,
  RTE_HI_WRITABLE,
  RTE_LO_WRITABLE,
  RTE_MASK,
  RTE_REMOTE_IRR,
  RTE_RESET,
} from './ioapic-rte.ts';

/** Where an interrupt message goes: the APIC bus (lapic.ts `ApicBus.deliver` plus a latency). */
export type MessageSink = (destApicId: number, vector: number) => void;

export const IOREGSEL = 0x00;
export const IOWIN = 0x10;
export const IOAPIC_EOI = 0x40;
/** Linux's IO_APIC_SLOT_SIZE: the window each IOAPIC decodes. */
export const IOAPIC_WINDOW_BYTES = 1024;
export const IOAPIC_VERSION = 0x20;
export const REG_ID = 0x00;
export const REG_VER = 0x01;
export const REG_ARB = 0x02;
export const REG_RTE0 = 0x10;

export interface IoApicConfig {
  readonly name: string;
  readonly id: number;
  readonly baseAddr: number;
  readonly gsiBase: number;
  /** Redirection entries (24 on the 82093AA). */
  readonly pins: number;
}

export class IoApic implements Device {
  readonly name: string;
  readonly mmio: readonly IoRange[];
  readonly ports: readonly IoRange[] = [];
  readonly lines: readonly number[] = [];
  readonly gsiBase: number;
  readonly pins: number;
  readonly #base: number;
  readonly #send: MessageSink;
  readonly #lo: number[];
  readonly #hi: number[];
  readonly #levels: boolean[];
  #id: number;
  #select = 0;
  /** Messages sent, per pin (what the tests and the routing metrics count). */
  readonly sent: number[];

  constructor(config: IoApicConfig, send: MessageSink) {
    if (!(config.pins >= 1 && config.pins <= 240)) throw new RangeError(`ioapic: ${config.pins} pins`);
    this.name = config.name;
    this.#base = config.baseAddr;
    this.mmio = [{ base: config.baseAddr, size: IOAPIC_WINDOW_BYTES }];
    this.gsiBase = config.gsiBase;
    this.pins = config.pins;
    this.#id = config.id & 0x0f;
    this.#send = send;
    this.#lo = new Array<number>(config.pins).fill(RTE_RESET.lo);
    this.#hi = new Array<number>(config.pins).fill(RTE_RESET.hi);
    this.#levels = new Array<boolean>(config.pins).fill(false);
    this.sent = new Array<number>(config.pins).fill(0);
  }

  attach(_host: DeviceHost): void {}

  timer(_nowNs: number): number {
    return Number.POSITIVE_INFINITY;
  }

  /** Wires every pin to its GSI on the board's lines. */
  connect(bus: DeviceBus): void {
    for (let pin = 0; pin < this.pins; pin++)
      bus.connect(this.gsiBase + pin, (_line, high) => this.setPin(pin, high));
  }

  mmioRead(addr: number, _size: AccessSize): number {
    const off = addr - this.#base;
    if (off === IOREGSEL) return this.#select;
    if (off === IOWIN) return this.readRegister(this.#select);
    return 0;
  }

  mmioWrite(addr: number, _size: AccessSize, value: number): void {
    const off = addr - this.#base;
    if (off === IOREGSEL) this.#select = value & 0xff;
    else if (off === IOWIN) this.writeRegister(this.#select, value >>> 0);
    else if (off === IOAPIC_EOI) this.eoi(value & 0xff);
  }

  readRegister(index: number): number {
    if (index === REG_ID) return (this.#id << 24) >>> 0;
    if (index === REG_VER) return (((this.pins - 1) << 16) | IOAPIC_VERSION) >>> 0;
    if (index === REG_ARB) return (this.#id << 24) >>> 0;
    const pin = (index - REG_RTE0) >> 1;
    if (index < REG_RTE0 || pin >= this.pins) return 0;
    return (index & 1) === 0 ? this.#lo[pin]! : this.#hi[pin]!;
  }

  writeRegister(index: number, value: number): void {
    if (index === REG_ID) {
      this.#id = (value >>> 24) & 0x0f;
      return;
    }
    const pin = (index - REG_RTE0) >> 1;
    if (index < REG_RTE0 || pin >= this.pins) return;
    if ((index & 1) === 1) {
      this.#hi[pin] = (value & RTE_HI_WRITABLE) >>> 0;
      return;
    }
    const keep = this.#lo[pin]! & (RTE_DELIVERY_STATUS | RTE_REMOTE_IRR);
    this.#lo[pin] = ((value & RTE_LO_WRITABLE) | keep) >>> 0;
    this.#evaluateLevel(pin); // an unmasked level entry with its line asserted sends now
  }

  /** A level change on `pin` (its board line). */
  setPin(pin: number, high: boolean): void {
    const lo = this.#lo[pin]!;
    const activeLow = (lo & (1 << 13)) !== 0;
    const wasAsserted = this.#levels[pin]! !== activeLow;
    this.#levels[pin] = high;
    const asserted = high !== activeLow;
    if ((lo & (1 << 15)) !== 0) this.#evaluateLevel(pin);
    else if (asserted && !wasAsserted && (lo & RTE_MASK) === 0) this.#fire(pin);
  }

  /** EOI for `vector` (the EOI register, or a LAPIC's broadcast EOI): remote IRR clears. */
  eoi(vector: number): void {
    for (let pin = 0; pin < this.pins; pin++) {
      const lo = this.#lo[pin]!;
      if ((lo & 0xff) !== vector || (lo & RTE_REMOTE_IRR) === 0) continue;
      this.#lo[pin] = (lo & ~RTE_REMOTE_IRR) >>> 0;
      this.#evaluateLevel(pin);
    }
  }

  #evaluateLevel(pin: number): void {
    const lo = this.#lo[pin]!;
    if ((lo & (1 << 15)) === 0 || (lo & (RTE_MASK | RTE_REMOTE_IRR)) !== 0) return;
    const asserted = this.#levels[pin]! !== ((lo & (1 << 13)) !== 0);
    if (!asserted) return;
    this.#lo[pin] = (lo | RTE_REMOTE_IRR) >>> 0;
    this.#fire(pin);
  }

  #fire(pin: number): void {
    const rte = decodeRte({ lo: this.#lo[pin]!, hi: this.#hi[pin]! });
    if ('error' in rte) return; // a reserved delivery mode sends nothing
    this.sent[pin]!++;
    if (!rte.logical) {
      this.#send(rte.destination, rte.vector);
      return;
    }
    for (let id = 0; id < 8; id++) {
      if ((rte.destination & (1 << id)) === 0) continue;
      this.#send(id, rte.vector);
      if (rte.deliveryMode === DeliveryMode.LowestPriority) return;
    }
  }
}
