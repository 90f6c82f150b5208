/**
 * Firmware bug injection over built tables (HW-7): each bug edits the bytes as a faulty BIOS
 * would ship them, keeping every checksum right except where the bug is the checksum. The
 * hardened parser must find each one; the redox parser does what its code would.
 *
 * The eventual user is a scenario's `[firmware] bugs = [...]`; `smpsim acpi --generate
 * --inject ...` uses it today.
 */
import { ByteWriter, resealTable, SDT_CHECKSUM_OFFSET, sealTable } from './bytes.ts';
import {
  LAPIC_ENABLED,
  LAPIC_ONLINE_CAPABLE,
  MADT_ENTRIES_OFFSET,
  MadtType,
  SLIT_MATRIX_OFFSET,
  SRAT_ENTRIES_OFFSET,
} from './layout.ts';
import { writeCpuAffinity } from './numa.ts';
import { XAPIC_ID_LIMIT } from './spec.ts';
import { type FirmwareTable, type TableSet, tableSignature } from './tables.ts';

export const FIRMWARE_BUGS = [
  'duplicate-apic-id',
  'disabled-cpu-enabled',
  'bad-checksum',
  'unknown-entry-type',
  'slit-diagonal-20',
  'srat-cpu-not-in-madt',
] as const;
export type FirmwareBug = (typeof FIRMWARE_BUGS)[number];

/** A reserved MADT type (ACPI 6.5 defines up to 0x17; 0x18–0x7F are reserved). */
export const INJECTED_UNKNOWN_TYPE = 0x7f;

/** A bug that cannot apply to these tables (say, a duplicate id on a one-CPU machine). */
export class FirmwareBugError extends Error {
  override readonly name = 'FirmwareBugError';
}

interface CpuEntry {
  offset: number;
  type: number;
  apicId: number;
  flags: number;
}

/** The processor entries (types 0 and 9) of a well-formed MADT. */
function madtCpus(madt: Uint8Array): CpuEntry[] {
  const view = new DataView(madt.buffer, madt.byteOffset, madt.byteLength);
  const out: CpuEntry[] = [];
  for (let at = MADT_ENTRIES_OFFSET; at + 2 <= madt.length && madt[at + 1]! > 0; at += madt[at + 1]!) {
    const type = madt[at]!;
    if (type === MadtType.LocalApic) {
      out.push({ offset: at, type, apicId: madt[at + 3]!, flags: view.getUint32(at + 4, true) });
    } else if (type === MadtType.LocalX2Apic) {
      out.push({
        offset: at,
        type,
        apicId: view.getUint32(at + 4, true),
        flags: view.getUint32(at + 8, true),
      });
    }
  }
  return out;
}

/** A copy of `table` with `extra` bytes appended by `write`, length and checksum fixed. */
function appended(table: FirmwareTable, extra: (w: ByteWriter) => void): FirmwareTable {
  const w = new ByteWriter(table.bytes.length);
  table.bytes.forEach((b, i) => {
    w.u8(i, b);
  });
  extra(w);
  return { bytes: sealTable(w) };
}

function edited(table: FirmwareTable, edit: (bytes: Uint8Array, view: DataView) => void): FirmwareTable {
  const bytes = table.bytes.slice();
  edit(bytes, new DataView(bytes.buffer));
  resealTable(bytes);
  return { bytes };
}

function duplicateApicId(madt: FirmwareTable): FirmwareTable {
  const cpus = madtCpus(madt.bytes);
  // Two application processors when there are (entries 1 and 2), so the duplicate is not the BSP's.
  const from = cpus.length >= 3 ? 1 : 0;
  const first = cpus[from];
  const second = cpus.find((c, i) => i > from && first !== undefined && c.type === first.type);
  if (first === undefined || second === undefined) {
    throw new FirmwareBugError('duplicate-apic-id needs two processor entries of one type');
  }
  return edited(madt, (bytes, view) => {
    if (first.type === MadtType.LocalApic) bytes[second.offset + 3] = first.apicId;
    else view.setUint32(second.offset + 4, first.apicId, true);
  });
}

/** Marks a disabled slot enabled, or, with none, adds a phantom slot whose enabled bit is set. */
function disabledCpuEnabled(madt: FirmwareTable): FirmwareTable {
  const cpus = madtCpus(madt.bytes);
  const slot = cpus.find((c) => (c.flags & LAPIC_ENABLED) === 0);
  if (slot !== undefined) {
    return edited(madt, (_bytes, view) => {
      view.setUint32(
        slot.offset + (slot.type === MadtType.LocalApic ? 4 : 8),
        slot.flags | LAPIC_ENABLED,
        true,
      );
    });
  }
  const id = Math.max(-1, ...cpus.map((c) => c.apicId)) + 1;
  const flags = LAPIC_ENABLED | LAPIC_ONLINE_CAPABLE;
  return appended(madt, (w) => {
    if (id < XAPIC_ID_LIMIT && cpus.length <= 0xff) {
      const at = w.grow(8);
      w.u8(at, MadtType.LocalApic);
      w.u8(at + 1, 8);
      w.u8(at + 2, cpus.length);
      w.u8(at + 3, id);
      w.u32(at + 4, flags);
    } else {
      const at = w.grow(16);
      w.u8(at, MadtType.LocalX2Apic);
      w.u8(at + 1, 16);
      w.u32(at + 4, id);
      w.u32(at + 8, flags);
      w.u32(at + 12, cpus.length);
    }
  });
}

function unknownEntryType(madt: FirmwareTable): FirmwareTable {
  return appended(madt, (w) => {
    const at = w.grow(8);
    w.u8(at, INJECTED_UNKNOWN_TYPE);
    w.u8(at + 1, 8);
  });
}

function slitDiagonal20(slit: FirmwareTable): FirmwareTable {
  return edited(slit, (bytes) => {
    bytes[SLIT_MATRIX_OFFSET] = 20;
  });
}

function sratCpuNotInMadt(srat: FirmwareTable, madt: FirmwareTable): FirmwareTable {
  const id = Math.max(-1, ...madtCpus(madt.bytes).map((c) => c.apicId)) + 1;
  if (srat.bytes.length < SRAT_ENTRIES_OFFSET)
    throw new FirmwareBugError('srat-cpu-not-in-madt needs an SRAT');
  const ghost = { apicId: id, uid: 0, enabled: true, onlineCapable: false, domain: 0 };
  return appended(srat, (w) => writeCpuAffinity(w, ghost, 0));
}

function needTable(tables: TableSet, signature: string, bug: FirmwareBug): number {
  const i = tables.findIndex((t) => tableSignature(t) === signature);
  if (i < 0) throw new FirmwareBugError(`${bug} needs a ${signature} table`);
  return i;
}

/** `tables` with `bugs` injected (a new set; the input is not changed). Checksum bugs go last. */
export function injectFirmwareBugs(tables: TableSet, bugs: readonly FirmwareBug[]): TableSet {
  const out = tables.slice();
  const ordered = [...new Set(bugs)].sort(
    (a, b) => Number(a === 'bad-checksum') - Number(b === 'bad-checksum'),
  );
  for (const bug of ordered) {
    const madt = needTable(out, 'APIC', bug);
    if (bug === 'duplicate-apic-id') out[madt] = duplicateApicId(out[madt]!);
    else if (bug === 'disabled-cpu-enabled') out[madt] = disabledCpuEnabled(out[madt]!);
    else if (bug === 'unknown-entry-type') out[madt] = unknownEntryType(out[madt]!);
    else if (bug === 'bad-checksum') {
      const bytes = out[madt]!.bytes.slice();
      bytes[SDT_CHECKSUM_OFFSET] = (bytes[SDT_CHECKSUM_OFFSET]! + 1) & 0xff;
      out[madt] = { bytes };
    } else if (bug === 'slit-diagonal-20') {
      const slit = needTable(out, 'SLIT', bug);
      out[slit] = slitDiagonal20(out[slit]!);
    } else {
      const srat = needTable(out, 'SRAT', bug);
      out[srat] = sratCpuNotInMadt(out[srat]!, out[madt]!);
    }
  }
  return out;
}
