/**
 * Walking the type-length entries of a MADT or SRAT the careful way (Linux drivers/acpi/tables.c
 * `acpi_parse_entries_array`): a zero length ends the walk (it would loop for ever), an entry
 * running past the table's end ends it, and an entry shorter than its type's structure is
 * skipped as a bad entry (`BAD_MADT_ENTRY`). Longer entries are fine (later revisions grow them).
 */
import type { Bytes } from './read.ts';
import { type FirmwareTopology, report } from './types.ts';

export interface Entry {
  type: number;
  offset: number;
  length: number;
}

/** Calls `visit` for each well-formed entry from `start`; `minBytes[type]` are the structure sizes. */
export function walkEntries(
  b: Bytes,
  start: number,
  table: string,
  minBytes: Record<number, number>,
  t: FirmwareTopology,
  visit: (e: Entry) => void,
): void {
  for (let at = start; at + 2 <= b.length; ) {
    const type = b.u8(at)!;
    const length = b.u8(at + 1)!;
    if (length === 0) {
      report(t, {
        claim: 'HW-7',
        code: 'zero-length-entry',
        severity: 'error',
        table,
        message: `entry type ${type} at +${at} has length 0: the rest of the table is skipped`,
      });
      return;
    }
    if (at + length > b.length) {
      report(t, {
        claim: 'HW-7',
        code: 'entry-overrun',
        severity: 'error',
        table,
        message: `entry type ${type} at +${at} (${length} bytes) runs past the table's end at ${b.length}`,
      });
      return;
    }
    const min = minBytes[type];
    if (min !== undefined && length < min) {
      report(t, {
        claim: 'HW-7',
        code: 'bad-entry',
        severity: 'error',
        table,
        message: `entry type ${type} at +${at} is ${length} bytes, shorter than its ${min}: skipped`,
      });
    } else {
      visit({ type, offset: at, length });
    }
    at += length;
  }
}
