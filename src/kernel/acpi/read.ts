/**
 * Bounds-checked little-endian reads over table bytes: a read past the end gives undefined
 * instead of throwing, so a parser fed any bytes at all cannot crash on them (the fuzz test's
 * promise). The 8-bit checksum and the SDT header decode live here too (ACPI 6.5 §5.2.6).
 */

export class Bytes {
  readonly data: Uint8Array;

  constructor(data: Uint8Array) {
    this.data = data;
  }

  get length(): number {
    return this.data.length;
  }

  has(offset: number, size: number): boolean {
    return offset >= 0 && size >= 0 && offset + size <= this.data.length;
  }

  u8(offset: number): number | undefined {
    return this.has(offset, 1) ? this.data[offset]! : undefined;
  }

  u16(offset: number): number | undefined {
    return this.has(offset, 2) ? this.data[offset]! | (this.data[offset + 1]! << 8) : undefined;
  }

  u32(offset: number): number | undefined {
    if (!this.has(offset, 4)) return undefined;
    const d = this.data;
    return (d[offset]! | (d[offset + 1]! << 8) | (d[offset + 2]! << 16) | (d[offset + 3]! << 24)) >>> 0;
  }

  /** A 64-bit field as a number (exact below 2^53, which every address and length here is). */
  u64(offset: number): number | undefined {
    const lo = this.u32(offset);
    const hi = this.u32(offset + 4);
    return lo === undefined || hi === undefined ? undefined : hi * 2 ** 32 + lo;
  }

  ascii(offset: number, width: number): string {
    let s = '';
    for (let i = 0; i < width; i++) {
      const c = this.u8(offset + i);
      if (c === undefined) break;
      s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
    }
    return s;
  }
}

/** The 8-bit sum of `data[start, start + length)` (bytes past the end count as absent). */
export function sum8(data: Uint8Array, start = 0, length = data.length - start): number {
  let sum = 0;
  const end = Math.min(data.length, start + length);
  for (let i = Math.max(0, start); i < end; i++) sum = (sum + data[i]!) & 0xff;
  return sum;
}

export const SDT_HEADER_BYTES = 36;

export interface SdtHeader {
  signature: string;
  length: number;
  revision: number;
  checksum: number;
  oemId: string;
  oemTableId: string;
}

/** The header of `b`, or undefined when fewer than 36 bytes are there. */
export function sdtHeader(b: Bytes): SdtHeader | undefined {
  if (!b.has(0, SDT_HEADER_BYTES)) return undefined;
  return {
    signature: b.ascii(0, 4),
    length: b.u32(4)!,
    revision: b.u8(8)!,
    checksum: b.u8(9)!,
    oemId: b.ascii(10, 6).trimEnd(),
    oemTableId: b.ascii(16, 8).trimEnd(),
  };
}

export function hex(value: number, digits = 2): string {
  return `0x${value.toString(16).toUpperCase().padStart(digits, '0')}`;
}

/** A list of ids for a message: the first eight, then how many more. */
export function idList(ids: readonly number[]): string {
  const head = ids.slice(0, 8).join(',');
  return ids.length > 8 ? `${head},... (${ids.length})` : head;
}
