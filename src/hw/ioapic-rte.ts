/**
 * The IOAPIC redirection-table entry (RTE) as its bits: one 64-bit entry per pin, read and written
 * as two 32-bit halves through IOWIN (models-2.md §7.1). Layout as Linux's
 * `struct IO_APIC_route_entry` (arch/x86/include/asm/io_apic.h) and the 82093AA datasheet:
 *   low  bits 0-7 vector, 8-10 delivery mode, 11 destination mode (1 logical), 12 delivery status
 *        (read-only), 13 polarity (1 active-low), 14 remote IRR (read-only), 15 trigger (1 level),
 *        16 mask (1 masked);
 *   high bits 24-31 destination (bits 56-63 of the entry: an APIC id in physical mode).
 * Delivery modes 3 and 6 are reserved; `decodeRte` says so instead of guessing.
 */

/** Delivery modes of an RTE and of an MSI data word (the same three bits). */
export const DeliveryMode = {
  Fixed: 0,
  LowestPriority: 1,
  Smi: 2,
  Nmi: 4,
  Init: 5,
  ExtInt: 7,
} as const;
export type DeliveryMode = (typeof DeliveryMode)[keyof typeof DeliveryMode];

const MODES: readonly number[] = Object.values(DeliveryMode);

/** The writable fields of an entry. */
export interface Rte {
  readonly vector: number;
  readonly deliveryMode: DeliveryMode;
  /** Destination mode: false physical (destination = APIC id), true logical (a logical mask). */
  readonly logical: boolean;
  readonly activeLow: boolean;
  /** Trigger mode: false edge, true level. */
  readonly level: boolean;
  readonly masked: boolean;
  /** Bits 56-63: an 8-bit APIC id (physical) or logical destination. */
  readonly destination: number;
}

/** The two 32-bit halves as IOWIN shows them (register 0x10+2n is `lo`, 0x11+2n is `hi`). */
export interface RteWords {
  readonly lo: number;
  readonly hi: number;
}

export const RTE_DELIVERY_STATUS = 1 << 12;
export const RTE_REMOTE_IRR = 1 << 14;
export const RTE_MASK = 1 << 16;
/** The bits of the low half software may write (delivery status and remote IRR are read-only). */
export const RTE_LO_WRITABLE = 0x1_ffff & ~(RTE_DELIVERY_STATUS | RTE_REMOTE_IRR);
export const RTE_HI_WRITABLE = 0xff00_0000;

/** An entry as it comes out of reset: masked, everything else zero (82093AA §3.2.4). */
export const RTE_RESET: RteWords = { lo: RTE_MASK, hi: 0 };

export function encodeRte(e: Rte): RteWords {
  if (!(Number.isInteger(e.vector) && e.vector >= 0 && e.vector <= 0xff))
    throw new RangeError(`ioapic: vector ${e.vector} is not 0..255`);
  if (!(Number.isInteger(e.destination) && e.destination >= 0 && e.destination <= 0xff))
    throw new RangeError(`ioapic: destination ${e.destination} is not 0..255`);
  if (!MODES.includes(e.deliveryMode)) throw new RangeError(`ioapic: delivery mode ${e.deliveryMode}`);
  const lo =
    e.vector |
    (e.deliveryMode << 8) |
    (e.logical ? 1 << 11 : 0) |
    (e.activeLow ? 1 << 13 : 0) |
    (e.level ? 1 << 15 : 0) |
    (e.masked ? RTE_MASK : 0);
  return { lo: lo >>> 0, hi: (e.destination << 24) >>> 0 };
}

/** The fields of a raw entry, or a reason when its delivery mode is a reserved encoding. */
export function decodeRte(w: RteWords): Rte | { readonly error: string } {
  const mode = (w.lo >>> 8) & 7;
  if (!MODES.includes(mode)) return { error: `reserved delivery mode ${mode}` };
  return {
    vector: w.lo & 0xff,
    deliveryMode: mode as DeliveryMode,
    logical: (w.lo & (1 << 11)) !== 0,
    activeLow: (w.lo & (1 << 13)) !== 0,
    level: (w.lo & (1 << 15)) !== 0,
    masked: (w.lo & RTE_MASK) !== 0,
    destination: w.hi >>> 24,
  };
}
