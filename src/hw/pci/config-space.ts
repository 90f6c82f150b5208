/**
 * A PCI function's 256-byte configuration space as bytes, with a write mask per byte so that
 * read-only fields stay what the device says (Linux `include/uapi/linux/pci_regs.h` for the
 * offsets; models-2.md §8.1). Type-0 header: vendor 0x00, device 0x02, command 0x04 (bit 10
 * INTx disable), status 0x06 (bit 3 interrupt status, bit 4 capability list), class 0x09-0x0B,
 * BARs 0x10-0x24, capability pointer 0x34, interrupt line 0x3C, pin 0x3D. Capabilities are
 * chained from 0x40 upwards, 4-byte aligned, each with its id at +0 and next pointer at +1;
 * `findCapability` walks the chain as `pci_find_capability` does, with its 48-hop bound
 * (PCI_FIND_CAP_TTL, drivers/pci/pci.c) so a looping list ends.
 */

export const CFG_VENDOR = 0x00;
export const CFG_DEVICE = 0x02;
export const CFG_COMMAND = 0x04;
export const CFG_STATUS = 0x06;
export const CFG_CLASS = 0x09;
export const CFG_BAR0 = 0x10;
export const CFG_CAP_PTR = 0x34;
export const CFG_INT_LINE = 0x3c;
export const CFG_INT_PIN = 0x3d;
export const COMMAND_MEMORY = 1 << 1;
export const COMMAND_BUS_MASTER = 1 << 2;
export const COMMAND_INTX_DISABLE = 1 << 10;
export const STATUS_INTERRUPT = 1 << 3;
export const STATUS_CAP_LIST = 1 << 4;
export const CAP_ID_PM = 0x01;
export const CAP_ID_MSI = 0x05;
export const CAP_ID_PCIE = 0x10;
export const CAP_ID_MSIX = 0x11;
const CAP_TTL = 48;
const FIRST_CAP = 0x40;
const SIZE = 256;

export interface PciIdentity {
  readonly vendorId: number;
  readonly deviceId: number;
  /** Base class, subclass, programming interface (NVMe: 0x01, 0x08, 0x02). */
  readonly classCode: readonly [number, number, number];
  /** INTx pin: 1 = INTA .. 4 = INTD, 0 none. */
  readonly intPin: number;
}

export class PciConfigSpace {
  readonly bytes = new Uint8Array(SIZE);
  readonly #wmask = new Uint8Array(SIZE);
  #nextCap = FIRST_CAP;
  #lastCap = -1;
  /** Called after each write with the offset and size written (the function's side effects). */
  onWrite: (offset: number, size: 1 | 2 | 4) => void = () => {};

  constructor(id: PciIdentity) {
    this.#set(CFG_VENDOR, 2, id.vendorId);
    this.#set(CFG_DEVICE, 2, id.deviceId);
    this.#set(CFG_CLASS, 1, id.classCode[2]);
    this.#set(CFG_CLASS + 1, 1, id.classCode[1]);
    this.#set(CFG_CLASS + 2, 1, id.classCode[0]);
    this.#set(CFG_INT_PIN, 1, id.intPin);
    this.setWritable(CFG_COMMAND, 2, COMMAND_MEMORY | COMMAND_BUS_MASTER | COMMAND_INTX_DISABLE | 1);
    this.setWritable(CFG_INT_LINE, 1, 0xff);
  }

  /** A memory BAR of `sizeBytes` (a power of two, at least 16) at `base` (firmware-assigned). */
  setBar(index: number, base: number, sizeBytes: number): void {
    if (!(index >= 0 && index <= 5)) throw new RangeError(`pci: BAR ${index}`);
    if (!(sizeBytes >= 16 && (sizeBytes & (sizeBytes - 1)) === 0 && base % sizeBytes === 0))
      throw new RangeError(`pci: BAR size ${sizeBytes} at 0x${base.toString(16)}`);
    this.#set(CFG_BAR0 + 4 * index, 4, base >>> 0);
    this.setWritable(CFG_BAR0 + 4 * index, 4, ~(sizeBytes - 1) >>> 0);
  }

  bar(index: number): number {
    return this.read(CFG_BAR0 + 4 * index, 4) & ~0xf;
  }

  /** Appends a capability whose body (from +2) is `body`; returns its offset. */
  addCapability(id: number, body: readonly number[]): number {
    const at = this.#nextCap;
    if (at + 2 + body.length > SIZE) throw new RangeError(`pci: no room for capability 0x${id.toString(16)}`);
    this.bytes[at] = id;
    this.bytes[at + 1] = 0;
    this.bytes.set(body, at + 2);
    if (this.#lastCap < 0) {
      this.bytes[CFG_CAP_PTR] = at;
      this.#set(CFG_STATUS, 2, this.read(CFG_STATUS, 2) | STATUS_CAP_LIST);
    } else this.bytes[this.#lastCap + 1] = at;
    this.#lastCap = at;
    this.#nextCap = (at + 2 + body.length + 3) & ~3;
    return at;
  }

  /** Lets software write `mask` bits of the `size`-byte field at `offset`. */
  setWritable(offset: number, size: 1 | 2 | 4, mask: number): void {
    for (let i = 0; i < size; i++) this.#wmask[offset + i] = (mask >>> (8 * i)) & 0xff;
  }

  read(offset: number, size: 1 | 2 | 4): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (this.bytes[offset + i] ?? 0xff);
    return v >>> 0;
  }

  /** A software write: only writable bits change. */
  write(offset: number, size: 1 | 2 | 4, value: number): void {
    for (let i = 0; i < size; i++) {
      const m = this.#wmask[offset + i]!;
      const b = (value >>> (8 * i)) & 0xff;
      this.bytes[offset + i] = (this.bytes[offset + i]! & ~m) | (b & m);
    }
    this.onWrite(offset, size);
  }

  /** A device-side update of a field (read-only to software), e.g. status or pending bits. */
  deviceSet(offset: number, size: 1 | 2 | 4, value: number): void {
    this.#set(offset, size, value);
  }

  #set(offset: number, size: 1 | 2 | 4, value: number): void {
    for (let i = 0; i < size; i++) this.bytes[offset + i] = (value >>> (8 * i)) & 0xff;
  }
}

/** The offset of the first capability with `id`, or 0 (as `pci_find_capability`). */
export function findCapability(cfg: { read(offset: number, size: 1): number }, id: number): number {
  let at = cfg.read(CFG_CAP_PTR, 1) & ~3;
  for (let ttl = CAP_TTL; ttl > 0 && at >= FIRST_CAP; ttl--) {
    if (cfg.read(at, 1) === id) return at;
    at = cfg.read(at + 1, 1) & ~3;
  }
  return 0;
}
