/**
 * The redox parser: what Redox's kernel makes of the tables, as its code does (redox-os/kernel
 * @663e6641). Tables are keyed by (signature, OEM id, OEM table id) as `SDT_POINTERS` keys them,
 * so a later table with the same key replaces an earlier one, and `find_one_sdt!` gives up when
 * two different keys share a signature. No SDT checksum is looked at (K23).
 */
import { REDOX_MAX_CPU_COUNT, redoxMadt } from './redox-madt.ts';
import { redoxNuma } from './redox-numa.ts';
import { redoxRoot } from './redox-root.ts';
import type { ParseOptions } from './hardened.ts';
import { Bytes, sdtHeader, sum8 } from './read.ts';
import type { PhysBytes, RawTable } from './source.ts';
import { emptyTopology, type FirmwareCpu, type FirmwareTopology, report } from './types.ts';

function key(raw: RawTable): string {
  const h = sdtHeader(new Bytes(raw.bytes));
  return h === undefined ? '' : `${h.signature}|${h.oemId}|${h.oemTableId}`;
}

/** `find_one_sdt!(name)`: the table, or undefined (with the finding) when there is not exactly one. */
function findOne(raws: RawTable[], name: string, t: FirmwareTopology): RawTable | undefined {
  const byKey = new Map<string, RawTable>();
  for (const raw of raws) if (key(raw).startsWith(`${name}|`)) byKey.set(key(raw), raw);
  if (byKey.size === 1) return [...byKey.values()][0];
  const message = byKey.size === 0 ? `Unable to find ${name}` : `${byKey.size} ${name} found, expected 1`;
  report(t, {
    claim: 'HW-7',
    code: byKey.size === 0 ? 'no-table' : 'table-count',
    severity: 'error',
    table: name,
    message: `${message}: Redox skips it`,
  });
  return undefined;
}

function listTables(raws: RawTable[], t: FirmwareTopology): void {
  const bad: string[] = [];
  for (const raw of raws) {
    const h = sdtHeader(new Bytes(raw.bytes));
    if (h === undefined) continue;
    const checksumOk = raw.bytes.length >= h.length && sum8(raw.bytes.subarray(0, h.length)) === 0;
    if (!checksumOk && h.signature !== 'FACS') bad.push(h.signature);
    t.tables.push({
      signature: h.signature,
      address: raw.address,
      length: h.length,
      revision: h.revision,
      checksumOk,
      oemId: h.oemId,
      oemTableId: h.oemTableId,
    });
  }
  if (bad.length > 0) {
    report(t, {
      claim: 'K23',
      code: 'checksum-unchecked',
      severity: 'info',
      table: bad.join(','),
      message: `checksum wrong in ${bad.join(', ')}: Redox checks no SDT checksum and uses them as they are`,
    });
  }
}

function bspOnly(options: ParseOptions): FirmwareCpu {
  return {
    apicId: options.bspApicId ?? 0,
    uid: 0,
    enabled: true,
    onlineCapable: false,
    source: 'lapic',
    domain: null,
    node: 0,
  };
}

export function parseRedoxTables(
  raws: RawTable[],
  options: ParseOptions = {},
  into?: FirmwareTopology,
): FirmwareTopology {
  const t = into ?? emptyTopology('redox');
  listTables(raws, t);
  const madt = findOne(raws, 'APIC', t);
  if (madt === undefined) {
    t.cpus.push(bspOnly(options));
  } else {
    redoxMadt(madt, options.bspApicId ?? null, t, options.maxCpus ?? REDOX_MAX_CPU_COUNT);
  }
  if (t.outcome === 'hang') return t;
  const signatures = raws.map((r) => new Bytes(r.bytes).ascii(0, 4));
  redoxNuma(raws, signatures, t);
  const hpet = findOne(raws, 'HPET', t);
  if (hpet !== undefined) t.platform.hpetAddress = new Bytes(hpet.bytes).u64(44) ?? null;
  return t;
}

export function parseRedoxMemory(
  phys: PhysBytes,
  bootloaderRsdp: number | null,
  options: ParseOptions = {},
): FirmwareTopology {
  const t = emptyTopology('redox');
  const raws = redoxRoot(phys, bootloaderRsdp, t);
  if (t.outcome !== 'ok') return t;
  if (raws.length === 0) {
    // ACPI skipped (the finding says why): Redox boots on the BSP alone.
    t.cpus.push(bspOnly(options));
    return t;
  }
  return parseRedoxTables(raws, options, t);
}
