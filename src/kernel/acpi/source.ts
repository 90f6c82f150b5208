/**
 * Where table bytes come from: simulated physical memory (through `PhysBytes`, which the
 * hardware's FirmwareImage implements) or table files (Linux's /sys/firmware/acpi/tables, an
 * `acpidump` directory). Either way a parser sees `RawTable`s: the bytes of one table and, for
 * the parser that reads past a table's end (Redox's SRAT loop), what follows it in memory.
 */
import { Bytes, SDT_HEADER_BYTES } from './read.ts';

/** Byte reads at physical addresses; undefined where nothing is mapped. Must never throw. */
export interface PhysBytes {
  read8(address: number): number | undefined;
}

export interface RawTable {
  /** Physical address, or null for a table read from a file. */
  address: number | null;
  /** The table's bytes: its declared length where all could be read, else what could be. */
  bytes: Uint8Array;
  /** The header's length field (0 when the header itself could not be read). */
  declaredLength: number;
  /** The byte `offset` bytes past the end of `bytes`, or undefined (files: nothing follows). */
  after(offset: number): number | undefined;
}

/** No SDT here is larger (a 4096-CPU MADT is about 64 KiB); beyond it a length field is nonsense. */
export const MAX_TABLE_BYTES = 1 << 20;

/** Reads up to `length` bytes at `address`, stopping at the first unmapped byte. */
export function readPhys(phys: PhysBytes, address: number, length: number): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    const b = phys.read8(address + i);
    if (b === undefined) break;
    out.push(b);
  }
  return Uint8Array.from(out);
}

/** The table at `address`, reading at most `capBytes` of it. */
export function tableAt(phys: PhysBytes, address: number, capBytes = MAX_TABLE_BYTES): RawTable {
  const header = new Bytes(readPhys(phys, address, SDT_HEADER_BYTES));
  const declared = header.u32(4) ?? 0;
  const want = Math.min(Math.max(declared, SDT_HEADER_BYTES), capBytes);
  const bytes = header.length < SDT_HEADER_BYTES ? header.data : readPhys(phys, address, want);
  return {
    address,
    bytes,
    declaredLength: declared,
    after: (offset) => phys.read8(address + bytes.length + offset),
  };
}

/** A table from a file's bytes (nothing follows it). */
export function tableFromBytes(bytes: Uint8Array): RawTable {
  const declared = new Bytes(bytes).u32(4) ?? 0;
  return { address: null, bytes, declaredLength: declared, after: () => undefined };
}
