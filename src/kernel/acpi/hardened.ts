/**
 * The hardened parser: every table's length and checksum checked (K23), one of each table used
 * (the first, as ACPICA's `acpi_get_table` returns the first instance), then the MADT, SRAT and
 * SLIT decoded and cross-checked. Anything wrong becomes a finding; nothing throws.
 */
import { decodeFadt, decodeHpet, decodeMcfg } from './platform.ts';
import { HARDENED_MAX_CPUS } from './cpus.ts';
import { hardenedMadt } from './hardened-madt.ts';
import { applyNuma } from './hardened-numa.ts';
import { hardenedSlit, hardenedSrat } from './hardened-srat.ts';
import { Bytes, sdtHeader, sum8 } from './read.ts';
import { hardenedRoot } from './rsdp.ts';
import { type PhysBytes, type RawTable, tableAt } from './source.ts';
import { emptyTopology, type FirmwareTopology, report } from './types.ts';

export interface ParseOptions {
  /** The BSP's APIC id, as its LAPIC reports it; null when parsing files. */
  bspApicId?: number | null;
  /** CPU limit (default: the parser's own, 256 hardened, 128 redox). */
  maxCpus?: number;
}

/** Signatures whose duplicates matter (SSDTs, for one, come many to a machine). */
const SINGLE_TABLES = new Set(['APIC', 'SRAT', 'SLIT', 'FACP', 'HPET', 'MCFG']);

interface Checked {
  raw: RawTable;
  signature: string;
  revision: number;
}

/** Header, length and checksum of one table; undefined when it has no header at all. */
function checkTable(raw: RawTable, t: FirmwareTopology): Checked | undefined {
  const header = sdtHeader(new Bytes(raw.bytes));
  const where = raw.address === null ? '' : ` at 0x${raw.address.toString(16)}`;
  if (header === undefined) {
    report(t, {
      claim: 'K23',
      code: 'short-table',
      severity: 'error',
      table: '?',
      message: `a table${where} is shorter than its 36-byte header: skipped`,
    });
    return undefined;
  }
  const complete = raw.bytes.length >= header.length && header.length >= 36;
  const bytes = complete ? raw.bytes.subarray(0, header.length) : raw.bytes;
  // The FACS has no checksum (ACPI 6.5 §5.2.10): only its length is checked.
  const checksumOk = complete && (header.signature === 'FACS' || sum8(bytes) === 0);
  if (!complete) {
    report(t, {
      claim: 'K23',
      code: 'length',
      severity: 'error',
      table: header.signature,
      message: `${header.signature}${where} declares ${header.length} bytes, ${raw.bytes.length} readable: parsed as far as it goes`,
    });
  } else if (!checksumOk) {
    report(t, {
      claim: 'K23',
      code: 'checksum',
      severity: 'warning',
      table: header.signature,
      message: `${header.signature}${where} checksum wrong (bytes sum to ${sum8(bytes)}, not 0): used anyway, as Linux does`,
    });
  }
  t.tables.push({
    signature: header.signature,
    address: raw.address,
    length: header.length,
    revision: header.revision,
    checksumOk,
    oemId: header.oemId,
    oemTableId: header.oemTableId,
  });
  return { raw: { ...raw, bytes }, signature: header.signature, revision: header.revision };
}

function pick(tables: Checked[], signature: string, t: FirmwareTopology): Checked | undefined {
  const all = tables.filter((c) => c.signature === signature);
  if (all.length > 1 && SINGLE_TABLES.has(signature)) {
    report(t, {
      claim: 'HW-7',
      code: 'duplicate-table',
      severity: 'warning',
      table: signature,
      message: `${all.length} ${signature} tables: the first is used`,
    });
  }
  return all[0];
}

/** Parses already-read tables (files, or what the root table listed). */
export function parseHardenedTables(
  raws: RawTable[],
  options: ParseOptions = {},
  into?: FirmwareTopology,
): FirmwareTopology {
  const t = into ?? emptyTopology('hardened');
  const tables = raws.map((r) => checkTable(r, t)).filter((c): c is Checked => c !== undefined);
  const madt = pick(tables, 'APIC', t);
  if (madt === undefined) {
    report(t, {
      claim: 'HW-7',
      code: 'no-madt',
      severity: 'error',
      table: 'APIC',
      message: 'no MADT: only the boot CPU is known',
    });
  } else {
    hardenedMadt(madt.raw, madt.revision, t, {
      maxCpus: options.maxCpus ?? HARDENED_MAX_CPUS,
      bspApicId: options.bspApicId ?? null,
    });
  }
  const sratTable = pick(tables, 'SRAT', t);
  const slitTable = pick(tables, 'SLIT', t);
  const srat = sratTable === undefined ? null : hardenedSrat(sratTable.raw, sratTable.revision, t);
  const slit = slitTable === undefined ? null : hardenedSlit(slitTable.raw, t);
  applyNuma(t, srat, slit, slitTable !== undefined);
  const fadt = pick(tables, 'FACP', t);
  if (fadt !== undefined) decodeFadt(fadt.raw, t);
  const hpet = pick(tables, 'HPET', t);
  if (hpet !== undefined) decodeHpet(hpet.raw, t);
  const mcfg = pick(tables, 'MCFG', t);
  if (mcfg !== undefined) decodeMcfg(mcfg.raw, t);
  return t;
}

/** Finds the RSDP (the bootloader's, or by scanning), walks the XSDT and parses what it lists. */
export function parseHardenedMemory(
  phys: PhysBytes,
  bootloaderRsdp: number | null,
  options: ParseOptions = {},
): FirmwareTopology {
  const t = emptyTopology('hardened');
  const addresses = hardenedRoot(phys, bootloaderRsdp, t);
  return parseHardenedTables(
    addresses.map((a) => tableAt(phys, a)),
    options,
    t,
  );
}
