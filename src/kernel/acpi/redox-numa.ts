/**
 * Redox's SRAT and SLIT, as its code behaves (redox-os/kernel @663e6641, src/acpi/srat/mod.rs,
 * srat/x86.rs, slit.rs, numa.rs):
 *
 * - the SRAT walk starts at +48 but stops at `data_len` counted from +36, so it reads 12 bytes
 *   past the table's end and takes whatever lies there as one more entry;
 * - types 0–3 `assert!` their exact lengths (a panic otherwise); other types are skipped by
 *   their length, and a zero length there never advances (a hang);
 * - more than 128 enabled CPUs or memory ranges fail an `assert!`; a domain of 128 or more, or a
 *   CPU APIC id of 128 or more, indexes past a 128-entry array (a panic);
 * - a processor's domain always takes bits 31:8 (whatever the SRAT revision); a memory range
 *   whose length has its low 32 bits zero is skipped; nothing is checked against the MADT;
 * - the SLIT is taken as is: no diagonal check (K37), N×N bytes whatever the table's length.
 */
import { SLIT_MATRIX_OFFSET, SRAT_ENTRIES_OFFSET, SRAT_MEM_HOT_PLUGGABLE } from '../../hw/acpi/layout.ts';
import { REDOX_MAX_CPU_COUNT } from './redox-madt.ts';
import { hex, SDT_HEADER_BYTES } from './read.ts';
import type { RawTable } from './source.ts';
import { type FirmwareTopology, report } from './types.ts';

/** `numa::MAX_DOMAINS`. */
const REDOX_MAX_DOMAINS = 128;
const SRAT_EXACT = new Map<number, number>([
  [0, 16],
  [1, 40],
  [2, 24],
  [3, 18],
]);

/** Bytes of a table and, past its end, what follows it (Redox reads there). */
class Reach {
  constructor(readonly raw: RawTable) {}

  u8(offset: number): number | undefined {
    const n = this.raw.bytes.length;
    return offset < n ? this.raw.bytes[offset] : this.raw.after(offset - n);
  }

  u32(offset: number): number | undefined {
    let v = 0;
    for (let k = 3; k >= 0; k--) {
      const b = this.u8(offset + k);
      if (b === undefined) return undefined;
      v = v * 256 + b;
    }
    return v;
  }
}

interface SratEntry {
  type: number;
  at: number;
}

/** Reports where Redox's code panics (or hangs); false, for the caller to stop on. */
function fatal(t: FirmwareTopology, code: string, message: string, stop: 'panic' | 'hang' = 'panic'): false {
  report(t, { claim: 'HW-14', code, severity: 'fatal', table: 'SRAT', message }, stop);
  return false;
}

/** `SratIter`: the entries Redox yields, or null when the walk panics or hangs. */
function sratEntries(r: Reach, t: FirmwareTopology): SratEntry[] | null {
  const dataLen = Math.max(0, r.raw.declaredLength - SDT_HEADER_BYTES);
  const out: SratEntry[] = [];
  for (let i = 0; i < dataLen; ) {
    const at = SRAT_ENTRIES_OFFSET + i;
    const type = r.u8(at);
    const length = r.u8(at + 1);
    if (type === undefined || length === undefined) {
      report(t, {
        claim: 'HW-14',
        code: 'srat-overrun-unknown',
        severity: 'warning',
        table: 'SRAT',
        message: `Redox's SRAT loop reads past the table's end (its bound counts from +36, its entries from +48); the bytes at +${at} are not available here: the walk is taken to end`,
      });
      return out;
    }
    if (at + 2 > r.raw.bytes.length) {
      report(t, {
        claim: 'HW-14',
        code: 'srat-overrun',
        severity: 'warning',
        table: 'SRAT',
        message: `Redox's SRAT loop reads past the table's end: bytes ${hex(type)} ${hex(length)} after it taken as an entry`,
      });
    }
    const exact = SRAT_EXACT.get(type);
    if (exact !== undefined && exact !== length) {
      fatal(
        t,
        'srat-assert-length',
        `SRAT entry type ${type} at +${at} is ${length} bytes, not ${exact}: assert! fails (panic)`,
      );
      return null;
    }
    if (exact === undefined && length === 0) {
      fatal(
        t,
        'srat-zero-length',
        `SRAT entry type ${type} at +${at} has length 0: SratIter never advances (hang)`,
        'hang',
      );
      return null;
    }
    if (exact !== undefined) out.push({ type, at });
    i += length;
  }
  return out;
}

/** Applies the entries as `init_srat` does; false when it panics. */
function applySrat(r: Reach, entries: SratEntry[], t: FirmwareTopology): boolean {
  const enabledCpus = entries.filter(
    (e) => (e.type === 0 || e.type === 2) && ((r.u32(e.at + (e.type === 0 ? 4 : 12)) ?? 0) & 1) !== 0,
  );
  const ranges = entries.filter((e) => e.type === 1 && ((r.u32(e.at + 28) ?? 0) & 3) === 1);
  if (ranges.length > REDOX_MAX_DOMAINS)
    return fatal(
      t,
      'srat-too-many-ranges',
      `${ranges.length} memory ranges > ${REDOX_MAX_DOMAINS}: assert! fails (panic)`,
    );
  if (enabledCpus.length > REDOX_MAX_CPU_COUNT)
    return fatal(
      t,
      'srat-too-many-cpus',
      `${enabledCpus.length} SRAT CPUs > MAX_CPU_COUNT ${REDOX_MAX_CPU_COUNT}: assert! fails (panic)`,
    );
  const domains: number[] = [];
  const nodeOf = (domain: number) =>
    domains.includes(domain) ? domains.indexOf(domain) : domains.push(domain) - 1;
  const cpuNode = new Map<number, number>();
  for (const e of entries) {
    if (e.type === 0 || e.type === 2) {
      const x2 = e.type === 2;
      if (((r.u32(e.at + (x2 ? 12 : 4)) ?? 0) & 1) === 0) continue;
      const domain = x2
        ? (r.u32(e.at + 4) ?? 0)
        : (r.u8(e.at + 2) ?? 0) + ((r.u32(e.at + 8) ?? 0) >>> 8) * 256;
      const apicId = x2 ? (r.u32(e.at + 8) ?? 0) : (r.u8(e.at + 3) ?? 0);
      if (domain >= REDOX_MAX_DOMAINS)
        return fatal(
          t,
          'srat-domain-index',
          `domain ${domain} indexes past dom_node_map[${REDOX_MAX_DOMAINS}] (panic)`,
        );
      if (apicId >= REDOX_MAX_CPU_COUNT)
        return fatal(
          t,
          'srat-apic-index',
          `APIC id ${apicId} indexes past cpus[${REDOX_MAX_CPU_COUNT}] (panic)`,
        );
      cpuNode.set(apicId, nodeOf(domain));
    } else if (e.type === 1) {
      if (!applyRange(r, e.at, t, nodeOf)) return false;
    }
  }
  t.numa.domains = domains.length > 0 ? domains : [0];
  for (const c of t.cpus) {
    const node = cpuNode.get(c.apicId);
    c.node = node ?? null;
    c.domain = node === undefined ? null : domains[node]!;
  }
  return true;
}

function applyRange(r: Reach, at: number, t: FirmwareTopology, nodeOf: (d: number) => number): boolean {
  const flags = r.u32(at + 28) ?? 0;
  if ((flags & 1) === 0 || (flags & SRAT_MEM_HOT_PLUGGABLE) !== 0) return true;
  const domain = r.u32(at + 2) ?? 0;
  const lengthLow = r.u32(at + 16) ?? 0;
  const lengthBytes = lengthLow + (r.u32(at + 20) ?? 0) * 2 ** 32;
  if (lengthLow === 0) {
    if (lengthBytes > 0)
      report(t, {
        claim: 'HW-14',
        code: 'srat-length-low-zero',
        severity: 'error',
        table: 'SRAT',
        message: `memory range of ${lengthBytes} bytes skipped: Redox tests only length_low (0 for a multiple of 4 GiB)`,
      });
    return true;
  }
  if (domain >= REDOX_MAX_DOMAINS)
    return fatal(
      t,
      'srat-domain-index',
      `domain ${domain} indexes past dom_node_map[${REDOX_MAX_DOMAINS}] (panic)`,
    );
  const node = nodeOf(domain);
  const baseBytes = (r.u32(at + 8) ?? 0) + (r.u32(at + 12) ?? 0) * 2 ** 32;
  t.numa.memory.push({
    domain,
    node,
    baseBytes,
    lengthBytes,
    hotPluggable: false,
    nonVolatile: (flags & 4) !== 0,
  });
  return true;
}

/** `slit::init`: N from +36 and N×N bytes, unchecked. */
function redoxSlit(slit: RawTable, t: FirmwareTopology): void {
  const r = new Reach(slit);
  const n = r.u32(SDT_HEADER_BYTES) ?? 0;
  const nodes = t.numa.domains.length;
  const matrix: number[][] = [];
  for (let i = 0; i < nodes; i++) {
    const row: number[] = [];
    for (let j = 0; j < nodes; j++)
      row.push(i < n && j < n ? (r.u8(SLIT_MATRIX_OFFSET + i * n + j) ?? 0) : 0);
    matrix.push(row);
  }
  if (SLIT_MATRIX_OFFSET + n * n > slit.bytes.length) {
    report(t, {
      claim: 'K37',
      code: 'slit-overrun',
      severity: 'warning',
      table: 'SLIT',
      message: `a ${n}x${n} matrix runs past the SLIT's ${slit.bytes.length} bytes: Redox's slice covers what follows`,
    });
  }
  t.numa.distances = matrix;
  t.numa.distanceSource = 'slit';
  report(t, {
    claim: 'HW-14',
    code: 'slit-stride',
    severity: 'info',
    table: 'SLIT',
    message: `Redox's free_lists_masks indexes the SLIT as distances[128 * node + i] (MAX_DOMAINS stride, numa.rs), not [${n} * node + i]`,
  });
}

/** `numa::init`: the first SRAT and SLIT in RXSDT order. */
export function redoxNuma(tables: RawTable[], signatures: string[], t: FirmwareTopology): void {
  const srat = tables[signatures.indexOf('SRAT')];
  const slit = tables[signatures.indexOf('SLIT')];
  if (srat !== undefined) {
    const r = new Reach(srat);
    const entries = sratEntries(r, t);
    if (entries === null || !applySrat(r, entries, t)) return;
  } else {
    for (const c of t.cpus) c.node = 0;
    t.numa.domains = [0];
  }
  if (slit !== undefined && srat !== undefined) redoxSlit(slit, t);
  else t.numa.distances = [[10]];
}
