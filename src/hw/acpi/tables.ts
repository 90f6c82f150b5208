/**
 * The firmware's table set as bytes: every SDT the XSDT lists, built from a FirmwareSpec. This is
 * the pure form tests, bug injection and `smpsim acpi --generate` use; `image.ts` places it (with
 * its XSDT and RSDP) in simulated physical memory.
 */
import { signatureOf } from './bytes.ts';
import { buildMadt } from './madt.ts';
import { buildSlit, buildSrat } from './numa.ts';
import { buildFadt, buildHpet } from './platform.ts';
import type { FirmwareSpec } from './spec.ts';

/** One table's bytes; the signature is read from the bytes, so edits to them cannot disagree. */
export interface FirmwareTable {
  readonly bytes: Uint8Array;
}

/** The SDTs in XSDT order. */
export type TableSet = FirmwareTable[];

/** FADT first (firmware convention, and where ACPICA looks for it), then the others. */
export function buildTables(spec: FirmwareSpec): TableSet {
  return [buildFadt(), buildMadt(spec), buildSrat(spec), buildSlit(spec), buildHpet(spec)].map((bytes) => ({
    bytes,
  }));
}

export function tableSignature(table: FirmwareTable): string {
  return signatureOf(table.bytes);
}

/** The first table with `signature`, or undefined. */
export function findTable(tables: TableSet, signature: string): FirmwareTable | undefined {
  return tables.find((t) => tableSignature(t) === signature);
}
