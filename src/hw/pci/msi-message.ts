/**
 * The x86 MSI message: the address and data words a device writes to raise an interrupt
 * (models-2.md §8.2). Layout as Linux's `struct msi_address_x86` / `struct msi_data_x86`
 * (arch/x86/include/asm/msi.h, composed in `__irq_msi_compose_msg`, arch/x86/kernel/apic/apic.c):
 *   address bits 20-31 = 0xFEE, 12-19 destination APIC id, 3 redirection hint, 2 destination
 *           mode (1 logical); the high dword is 0 (no interrupt remapping is modelled, so an APIC
 *           id above 255 cannot be addressed and composition refuses it);
 *   data    bits 0-7 vector, 8-10 delivery mode, 14 level (1 assert; set for level messages only),
 *           15 trigger (1 level).
 * The board decodes a device's write to 0xFEEx_xxxx with `decodeMsi` and hands it to the APIC bus.
 */
import { DeliveryMode } from '../ioapic-rte.ts';

export const MSI_ADDRESS_BASE = 0xfee0_0000;
const ADDRESS_MASK = 0xfff0_0000;

export interface MsiTarget {
  readonly destApicId: number;
  readonly logical: boolean;
  readonly redirectionHint: boolean;
  readonly vector: number;
  readonly deliveryMode: DeliveryMode;
  /** Trigger mode: MSI is edge (false) in practice. */
  readonly level: boolean;
}

export interface MsiMessage {
  readonly addressLo: number;
  readonly addressHi: number;
  readonly data: number;
}

/** A physical, fixed, edge message to `destApicId` on `vector` (what Redox's pcid and Linux compose). */
export function fixedTarget(destApicId: number, vector: number): MsiTarget {
  return { destApicId, logical: false, redirectionHint: false, vector, deliveryMode: 0, level: false };
}

export function composeMsi(t: MsiTarget): MsiMessage {
  if (!(Number.isInteger(t.destApicId) && t.destApicId >= 0 && t.destApicId <= 0xff))
    throw new RangeError(`msi: APIC id ${t.destApicId} needs interrupt remapping (ids above 255)`);
  if (!(Number.isInteger(t.vector) && t.vector >= 0x10 && t.vector <= 0xff))
    throw new RangeError(`msi: vector ${t.vector} is not 16..255`);
  const addressLo =
    MSI_ADDRESS_BASE | (t.destApicId << 12) | (t.redirectionHint ? 1 << 3 : 0) | (t.logical ? 1 << 2 : 0);
  // Bit 14 (assert) matters only for level messages; modern Linux leaves it 0 for edge ones.
  const data = t.vector | (t.deliveryMode << 8) | (t.level ? (1 << 15) | (1 << 14) : 0);
  return { addressLo: addressLo >>> 0, addressHi: 0, data: data >>> 0 };
}

/** The target of a message, or why it is not an interrupt message. */
export function decodeMsi(m: MsiMessage): MsiTarget | { readonly error: string } {
  if (m.addressHi !== 0) return { error: `address high dword 0x${m.addressHi.toString(16)} (no remapping)` };
  if ((m.addressLo & ADDRESS_MASK) >>> 0 !== MSI_ADDRESS_BASE)
    return { error: `address 0x${(m.addressLo >>> 0).toString(16)} is outside 0xFEE00000..0xFEEFFFFF` };
  const mode = (m.data >>> 8) & 7;
  if (!(Object.values(DeliveryMode) as number[]).includes(mode))
    return { error: `reserved delivery mode ${mode}` };
  return {
    destApicId: (m.addressLo >>> 12) & 0xff,
    logical: (m.addressLo & (1 << 2)) !== 0,
    redirectionHint: (m.addressLo & (1 << 3)) !== 0,
    vector: m.data & 0xff,
    deliveryMode: mode as DeliveryMode,
    level: (m.data & (1 << 15)) !== 0,
  };
}
