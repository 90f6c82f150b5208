/**
 * The MSI-X table and Pending Bit Array as bytes inside a memory BAR (models-2.md §8.1; Linux
 * PCI_MSIX_ENTRY_* in include/uapi/linux/pci_regs.h). Entry n is 16 bytes at tableOffset+16n:
 * +0 address low, +4 address high, +8 data, +12 vector control (bit 0 masked; set at reset).
 * The PBA holds one pending bit per entry (read-only to software). The function owning the table
 * (pci-interrupts.ts) sets a pending bit when it must signal a masked entry and sends the message
 * when the entry is unmasked, as the PCI spec's per-vector masking requires.
 */
import type { MsiMessage } from './msi-message.ts';

export const MSIX_ENTRY_BYTES = 16;
export const MSIX_VECTOR_CTRL = 12;
export const MSIX_ENTRY_MASKED = 1;

export class MsixTable {
  readonly size: number;
  readonly tableOffset: number;
  readonly pbaOffset: number;
  readonly #table: Uint32Array;
  readonly #pba: Uint32Array;
  /** Called when software clears an entry's mask bit (the function re-checks its pending bit). */
  onUnmask: (entry: number) => void = () => {};

  constructor(size: number, tableOffset: number, pbaOffset: number) {
    const pbaBytes = Math.ceil(size / 64) * 8;
    const overlap = tableOffset < pbaOffset + pbaBytes && pbaOffset < tableOffset + size * MSIX_ENTRY_BYTES;
    if (tableOffset % 8 !== 0 || pbaOffset % 8 !== 0 || overlap)
      throw new RangeError(
        `msix: table at 0x${tableOffset.toString(16)} and PBA at 0x${pbaOffset.toString(16)}`,
      );
    this.size = size;
    this.tableOffset = tableOffset;
    this.pbaOffset = pbaOffset;
    this.#table = new Uint32Array(size * 4);
    for (let i = 0; i < size; i++) this.#table[i * 4 + 3] = MSIX_ENTRY_MASKED;
    this.#pba = new Uint32Array(pbaBytes / 4);
  }

  /** Bytes from the BAR's start the table and PBA span (the BAR must be at least this big). */
  get extentBytes(): number {
    return Math.max(this.tableOffset + this.size * MSIX_ENTRY_BYTES, this.pbaOffset + this.#pba.length * 4);
  }

  /** A 32-bit read at `offset` into the BAR (other widths are read as the dword holding them). */
  read(offset: number): number {
    const t = offset - this.tableOffset;
    if (t >= 0 && t < this.size * MSIX_ENTRY_BYTES) return this.#table[t >> 2]!;
    const p = offset - this.pbaOffset;
    if (p >= 0 && p < this.#pba.length * 4) return this.#pba[p >> 2]!;
    return 0;
  }

  write(offset: number, value: number): void {
    const t = offset - this.tableOffset;
    if (!(t >= 0 && t < this.size * MSIX_ENTRY_BYTES)) return; // the PBA is read-only
    const word = t >> 2;
    const wasMasked = this.masked(word >> 2);
    this.#table[word] = value >>> 0;
    if (word % 4 === 3 && wasMasked && !this.masked(word >> 2)) this.onUnmask(word >> 2);
  }

  masked(entry: number): boolean {
    return (this.#table[entry * 4 + 3]! & MSIX_ENTRY_MASKED) !== 0;
  }

  message(entry: number): MsiMessage {
    const w = entry * 4;
    return { addressLo: this.#table[w]!, addressHi: this.#table[w + 1]!, data: this.#table[w + 2]! };
  }

  pending(entry: number): boolean {
    return (this.#pba[entry >> 5]! & (1 << (entry & 31))) !== 0;
  }

  setPending(entry: number, on: boolean): void {
    const bit = 1 << (entry & 31);
    const i = entry >> 5;
    this.#pba[i] = (on ? this.#pba[i]! | bit : this.#pba[i]! & ~bit) >>> 0;
  }
}
