/**
 * How Redox finds its tables, as its code does (redox-os/kernel @663e6641, src/acpi/rsdp.rs,
 * mod.rs `init_before_mem`, rxsdt.rs, sdt.rs):
 *
 * - only the bootloader's RSDP pointer; no search of the EBDA or BIOS area (K22);
 * - the RSDP's signature and 20-byte checksum, then from revision 2 a checksum over `length`
 *   bytes, whatever that length is (K38): a huge one reads past mapped memory;
 * - no SDT checksum at all (K23); an SDT whose length is below 36 underflows `length - 36`
 *   in `get_sdt` (a panic);
 * - the RSDT/XSDT iterator counts `data_len / 8` entries for both, so an RSDT (4-byte entries)
 *   yields only the first half of its tables.
 */
import { RSDP_SIGNATURE, RSDP_V1_BYTES } from '../../hw/acpi/layout.ts';
import { Bytes, hex, SDT_HEADER_BYTES, sdtHeader, sum8 } from './read.ts';
import { rsdpInfo } from './rsdp.ts';
import { MAX_TABLE_BYTES, type PhysBytes, type RawTable, readPhys, tableAt } from './source.ts';
import { type FirmwareTopology, report } from './types.ts';

function fail(t: FirmwareTopology, claim: string, code: string, message: string): null {
  report(t, {
    claim,
    code,
    severity: 'error',
    table: 'RSDP',
    message: `${message}: Redox skips ACPI, only the BSP runs`,
  });
  return null;
}

/** `Rsdp::get_rsdp`: the root table's address, or null (with the finding) when Redox gives up. */
function redoxRsdp(phys: PhysBytes, given: number | null, t: FirmwareTopology): number | null {
  if (given === null) {
    return fail(
      t,
      'K22',
      'no-rsdp',
      'no RSDP from the bootloader and Redox does not search for one ("NO RSDP FOUND")',
    );
  }
  const b = new Bytes(readPhys(phys, given, 36));
  if (b.ascii(0, 8) !== RSDP_SIGNATURE)
    return fail(t, 'K22', 'rsdp-signature', 'RSDP signature check failed');
  if (sum8(b.data, 0, RSDP_V1_BYTES) !== 0) return fail(t, 'K22', 'rsdp-checksum', 'RSDP checksum failed');
  const info = rsdpInfo(b, given, 'bootloader');
  t.rsdp = info;
  if (info.revision < 2) return info.rsdtAddress;
  const covered = readPhys(phys, given, Math.min(info.length, MAX_TABLE_BYTES + 1));
  if (info.length > MAX_TABLE_BYTES || covered.length < info.length) {
    report(
      t,
      {
        claim: 'K38',
        code: 'rsdp-length-unbounded',
        severity: 'fatal',
        table: 'RSDP',
        message: `Redox sums rsdp.length = ${info.length} bytes with no bound: it reads past mapped memory (page fault)`,
      },
      'panic',
    );
    return null;
  }
  if (info.length < 36) {
    report(t, {
      claim: 'K38',
      code: 'rsdp-length-short',
      severity: 'warning',
      table: 'RSDP',
      message: `RSDP length ${info.length} below 36: Redox's extended checksum covers only ${info.length} bytes`,
    });
  }
  if (sum8(covered) !== 0) return fail(t, 'K38', 'xsdp-checksum', 'XSDP checksum failed');
  return info.xsdtAddress;
}

/** `get_sdt`: maps `length` bytes; a length below the header underflows (a panic). */
export function redoxSdt(phys: PhysBytes, address: number, t: FirmwareTopology): RawTable | null {
  const raw = tableAt(phys, address);
  if (raw.declaredLength < SDT_HEADER_BYTES) {
    report(
      t,
      {
        claim: 'K23',
        code: 'sdt-length-underflow',
        severity: 'fatal',
        table: new Bytes(raw.bytes).ascii(0, 4) || '?',
        message: `SDT at ${hex(address, 5)} has length ${raw.declaredLength} < 36: \`length - 36\` underflows in get_sdt (panic)`,
      },
      'panic',
    );
    return null;
  }
  return raw;
}

/** The tables Redox maps from its root table, in RXSDT order. */
export function redoxRoot(phys: PhysBytes, given: number | null, t: FirmwareTopology): RawTable[] {
  const rootAddress = redoxRsdp(phys, given, t);
  if (rootAddress === null) return [];
  const root = redoxSdt(phys, rootAddress, t);
  if (root === null) return [];
  const b = new Bytes(root.bytes);
  const signature = sdtHeader(b)?.signature;
  if (signature !== 'RSDT' && signature !== 'XSDT') {
    report(t, {
      claim: 'K23',
      code: 'root-signature',
      severity: 'error',
      table: signature ?? '?',
      message: 'UNKNOWN RSDT OR XSDT SIGNATURE: Redox skips ACPI',
    });
    return [];
  }
  const count = Math.floor((root.declaredLength - SDT_HEADER_BYTES) / 8);
  if (signature === 'RSDT' && (root.declaredLength - SDT_HEADER_BYTES) / 4 > count) {
    report(t, {
      claim: 'K23',
      code: 'rsdt-half',
      severity: 'error',
      table: 'RSDT',
      message: `Redox's RXSDT iterator counts data_len / 8 = ${count} entries; the RSDT has ${(root.declaredLength - SDT_HEADER_BYTES) / 4}: the rest are never seen`,
    });
  }
  const tables: RawTable[] = [];
  for (let i = 0; i < count; i++) {
    const a = signature === 'XSDT' ? b.u64(SDT_HEADER_BYTES + 8 * i) : b.u32(SDT_HEADER_BYTES + 4 * i);
    if (a === undefined) break;
    const table = redoxSdt(phys, a, t);
    if (table === null) return tables;
    tables.push(table);
  }
  return tables;
}
