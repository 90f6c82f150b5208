/**
 * Writing ACPI tables as bytes: little-endian fields, the 36-byte system description table
 * header and the 8-bit checksum that makes a table's bytes sum to zero (ACPI 6.5 §5.2.6;
 * Linux include/acpi/actbl.h `struct acpi_table_header`).
 */

/** Bytes of the standard SDT header every table but the RSDP starts with. */
export const SDT_HEADER_BYTES = 36;
/** Offset of the checksum byte in an SDT header. */
export const SDT_CHECKSUM_OFFSET = 9;

/** OEM fields this firmware writes: six and eight characters, space-padded as real firmware does. */
export const OEM_ID = 'SMPSIM';
export const OEM_TABLE_ID = 'SMPSIMFW';
const CREATOR_ID = 'SMPS';
const OEM_REVISION = 1;
const CREATOR_REVISION = 1;

/** A growable little-endian byte buffer, written field by field at explicit offsets. */
export class ByteWriter {
  #bytes: Uint8Array;
  #view: DataView;

  constructor(length: number) {
    this.#bytes = new Uint8Array(length);
    this.#view = new DataView(this.#bytes.buffer);
  }

  get length(): number {
    return this.#bytes.length;
  }

  /** Appends `count` zero bytes and returns the offset where they start. */
  grow(count: number): number {
    const at = this.#bytes.length;
    const next = new Uint8Array(at + count);
    next.set(this.#bytes);
    this.#bytes = next;
    this.#view = new DataView(next.buffer);
    return at;
  }

  u8(offset: number, value: number): void {
    this.#view.setUint8(offset, value & 0xff);
  }

  u16(offset: number, value: number): void {
    this.#view.setUint16(offset, value & 0xffff, true);
  }

  u32(offset: number, value: number): void {
    this.#view.setUint32(offset, value >>> 0, true);
  }

  /** A 64-bit field from a non-negative safe integer (addresses and lengths in bytes). */
  u64(offset: number, value: number): void {
    this.#view.setBigUint64(offset, BigInt(value), true);
  }

  ascii(offset: number, text: string, width: number): void {
    for (let i = 0; i < width; i++) this.u8(offset + i, i < text.length ? text.charCodeAt(i) : 0x20);
  }

  bytes(): Uint8Array {
    return this.#bytes;
  }
}

/** The 8-bit sum of `bytes[start, start + length)`. */
export function byteSum(bytes: Uint8Array, start = 0, length = bytes.length - start): number {
  let sum = 0;
  for (let i = start; i < start + length; i++) sum = (sum + bytes[i]!) & 0xff;
  return sum;
}

/** The checksum byte value that makes the covered range sum to zero, given the byte it replaces. */
export function fixChecksum(bytes: Uint8Array, at: number, start = 0, length = bytes.length - start): void {
  bytes[at] = 0;
  bytes[at] = (0x100 - byteSum(bytes, start, length)) & 0xff;
}

/** Writes an SDT header for a table of `length` bytes (the checksum is set by `sealTable`). */
export function writeSdtHeader(w: ByteWriter, signature: string, revision: number): void {
  w.ascii(0, signature, 4);
  w.u32(4, w.length);
  w.u8(8, revision);
  w.ascii(10, OEM_ID, 6);
  w.ascii(16, OEM_TABLE_ID, 8);
  w.u32(24, OEM_REVISION);
  w.ascii(28, CREATOR_ID, 4);
  w.u32(32, CREATOR_REVISION);
}

/** Sets the length field to the buffer's length and the checksum over the whole table. */
export function sealTable(w: ByteWriter): Uint8Array {
  w.u32(4, w.length);
  const bytes = w.bytes();
  fixChecksum(bytes, SDT_CHECKSUM_OFFSET);
  return bytes;
}

/** Re-seals a table whose bytes were edited in place: its length field must already be right. */
export function resealTable(bytes: Uint8Array): void {
  fixChecksum(bytes, SDT_CHECKSUM_OFFSET);
}

/** The four signature characters of a table. */
export function signatureOf(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes.subarray(0, 4));
}
