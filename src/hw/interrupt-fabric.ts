/**
 * The board's interrupt fabric for devices: IOAPICs on the device bus with their pins on the
 * board's lines, and the MSI path, a device's posted write to 0xFEEx_xxxx decoded
 * (pci/msi-message.ts) into a message on the APIC bus. A message whose APIC id no LAPIC answers
 * (an affinity Redox accepted without a check, K11) or whose write is not an interrupt address
 * is dropped and counted, as a real fabric drops it (no LAPIC claims the message; a write
 * outside the MSI window is not an interrupt). Messages take the IPI flight time of the cost
 * model (`ApicBus.ipiLatencyNs` from the BSP's side): an MSI crosses the same fabric as an IPI.
 * Built on demand, so a board without devices keeps every engine event as before.
 */
import type { DeviceBus } from './device-bus.ts';
import { IoApic, type IoApicConfig } from './ioapic.ts';
import { decodeMsi, type MsiMessage } from './pci/msi-message.ts';

/** What the fabric needs of the APIC bus (lapic.ts `ApicBus`). */
export interface MessageBus {
  readonly lapics: { readonly length: number };
  deliver(dest: number, vector: number, latencyNs: number): void;
  ipiLatencyNs(from: number, to: number): number;
  /** The LAPIC index answering to an APIC id (-1: none); absent, ids are indexes. */
  slotOf?(apicId: number): number;
}

export class InterruptFabric {
  readonly ioApics: IoApic[] = [];
  /** Messages dropped: no LAPIC with that APIC id, or a write that is no interrupt message. */
  dropped = 0;
  /** Hears every message the fabric is asked to send, delivered or dropped (the metrics' raise time). */
  onSend: ((dest: number, vector: number) => void) | null = null;
  readonly #apic: MessageBus;
  readonly #devices: DeviceBus;

  constructor(apic: MessageBus, devices: DeviceBus) {
    this.#apic = apic;
    this.#devices = devices;
  }

  /** An IOAPIC at `config.baseAddr`, its pins wired to GSIs gsiBase.. on the board's lines. */
  addIoApic(config: IoApicConfig): IoApic {
    const io = new IoApic(config, (dest, vector) => this.send(dest, vector));
    this.#devices.register(io);
    io.connect(this.#devices);
    this.ioApics.push(io);
    return io;
  }

  /** A device's MSI write. */
  msiWrite(message: MsiMessage): void {
    const target = decodeMsi(message);
    if ('error' in target) {
      this.dropped++;
      return;
    }
    this.send(target.destApicId, target.vector);
  }

  send(dest: number, vector: number): void {
    this.onSend?.(dest, vector);
    const slot = this.#apic.slotOf ? this.#apic.slotOf(dest) : dest;
    if (!(slot >= 0 && slot < this.#apic.lapics.length)) {
      this.dropped++;
      return;
    }
    this.#apic.deliver(slot, vector, this.#apic.ipiLatencyNs(0, slot));
  }
}
