/**
 * Redox's MADT, as its code behaves (redox-os/kernel @663e6641, src/acpi/madt/mod.rs `MadtIter`,
 * madt/arch/x86.rs `init`, cpu_set.rs):
 *
 * - entries are walked while `i + 1 < data_len`; types 0, 1 and 2 are taken only at their exact
 *   lengths (else "Invalid…", skipped); 0xB and 0xC are ARM's; every other type, x2APIC (9)
 *   included, is `Unknown` and silently ignored; a zero length never advances, so the walk (and
 *   boot) never ends;
 * - each enabled type-0 entry other than the BSP's own APIC is started, duplicates included,
 *   with no look at the online-capable bit, and takes the next logical id from
 *   `LogicalCpuId::next`, which asserts `id < MAX_CPU_COUNT` (128): the 129th start panics;
 * - the type-5 address override is never read.
 */
import { MADT_ENTRIES_OFFSET, MadtType } from '../../hw/acpi/layout.ts';
import { Bytes, hex, idList, SDT_HEADER_BYTES } from './read.ts';
import type { RawTable } from './source.ts';
import { type FirmwareTopology, type InterruptOverride, report } from './types.ts';

/** Redox's `MAX_CPU_COUNT` on 64-bit (src/cpu_set.rs). */
export const REDOX_MAX_CPU_COUNT = 128;

const POLARITY: InterruptOverride['polarity'][] = ['bus', 'high', 'reserved', 'low'];
const TRIGGER: InterruptOverride['trigger'][] = ['bus', 'edge', 'reserved', 'level'];
/** Exact entry lengths Redox accepts (struct size + 2). */
const EXACT = new Map<number, number>([
  [MadtType.LocalApic, 8],
  [MadtType.IoApic, 12],
  [MadtType.InterruptOverride, 10],
]);

interface LocalApic {
  uid: number;
  apicId: number;
  flags: number;
}

interface Walked {
  lapics: LocalApic[];
  ignored: Map<number, number>;
}

function take(b: Bytes, type: number, at: number, t: FirmwareTopology, w: Walked): void {
  if (type === MadtType.LocalApic)
    w.lapics.push({ uid: b.u8(at + 2)!, apicId: b.u8(at + 3)!, flags: b.u32(at + 4)! });
  else if (type === MadtType.IoApic)
    t.ioApics.push({ id: b.u8(at + 2)!, address: b.u32(at + 4)!, gsiBase: b.u32(at + 8)! });
  else {
    const flags = b.u16(at + 8)!;
    t.overrides.push({
      bus: b.u8(at + 2)!,
      sourceIrq: b.u8(at + 3)!,
      gsi: b.u32(at + 4)!,
      polarity: POLARITY[flags & 3]!,
      trigger: TRIGGER[(flags >>> 2) & 3]!,
    });
  }
}

/** `MadtIter` over the entries; false when the walk would never end. */
function walk(b: Bytes, dataLen: number, t: FirmwareTopology, w: Walked): boolean {
  for (let i = 8; i + 1 < dataLen; ) {
    const at = SDT_HEADER_BYTES + i;
    const type = b.u8(at);
    const length = b.u8(at + 1);
    if (type === undefined || length === undefined || i + length > dataLen) return true;
    if (length === 0) {
      report(
        t,
        {
          claim: 'HW-7',
          code: 'zero-length-entry',
          severity: 'fatal',
          table: 'APIC',
          message: `entry type ${type} at +${at} has length 0: MadtIter never advances, boot loops for ever`,
        },
        'hang',
      );
      return false;
    }
    const exact = EXACT.get(type);
    if (exact === length && b.has(at, length)) take(b, type, at, t, w);
    else w.ignored.set(type, (w.ignored.get(type) ?? 0) + 1);
    i += length;
  }
  return true;
}

function reportIgnored(t: FirmwareTopology, ignored: Map<number, number>): void {
  const x2 = ignored.get(MadtType.LocalX2Apic) ?? 0;
  if (x2 > 0) {
    report(t, {
      claim: 'HW-6',
      code: 'x2apic-entries-ignored',
      severity: 'error',
      table: 'APIC',
      message: `${x2} x2APIC (type 9) CPUs ignored: Redox parses no type 9, they never start`,
    });
  }
  const others = [...ignored].filter(([type]) => type !== MadtType.LocalX2Apic);
  if (others.length > 0) {
    const list = others.map(([type, n]) => `${hex(type)}x${n}`).join(', ');
    report(t, {
      claim: 'K34',
      code: 'entries-ignored',
      severity: 'info',
      table: 'APIC',
      message: `entries ignored without a word (type x count): ${list}`,
    });
  }
}

/** `x86.rs init`: the CPUs Redox starts, in MADT order, up to the `LogicalCpuId::next` assert. */
function startCpus(
  lapics: LocalApic[],
  bspApicId: number | null,
  t: FirmwareTopology,
  maxCpus: number,
): void {
  const bsp = bspApicId ?? lapics.find((l) => (l.flags & 1) === 1)?.apicId ?? 0;
  t.cpus.push({
    apicId: bsp,
    uid: lapics.find((l) => l.apicId === bsp)?.uid ?? 0,
    enabled: true,
    onlineCapable: false,
    source: 'lapic',
    domain: null,
    node: null,
  });
  const dropped: number[] = [];
  const started = new Set<number>([bsp]);
  for (const l of lapics) {
    if (l.apicId === bsp || (l.flags & 1) === 0) continue;
    if (t.cpus.length >= maxCpus) {
      dropped.push(l.apicId);
      continue;
    }
    if (started.has(l.apicId)) {
      report(t, {
        claim: 'HW-7',
        code: 'duplicate-apic-id',
        severity: 'error',
        table: 'APIC',
        message: `APIC id ${l.apicId} started twice: the second INIT resets the CPU already running as logical #${[...t.cpus].findIndex((c) => c.apicId === l.apicId)}, it comes back as #${t.cpus.length}`,
      });
    }
    started.add(l.apicId);
    t.cpus.push({
      apicId: l.apicId,
      uid: l.uid,
      enabled: true,
      onlineCapable: false,
      source: 'lapic',
      domain: null,
      node: null,
    });
  }
  if (dropped.length > 0) {
    report(
      t,
      {
        claim: 'HW-6',
        code: 'max-cpu-count',
        severity: 'fatal',
        table: 'APIC',
        message: `MAX_CPU_COUNT = ${maxCpus}: ${dropped.length} CPUs dropped (APIC ids ${idList(dropped)}); LogicalCpuId::next asserts id < ${maxCpus}, so the start of the ${maxCpus + 1}th panics after ${maxCpus} are up`,
      },
      'panic',
    );
  }
}

/** Decodes the MADT into `t` as Redox would. */
export function redoxMadt(
  table: RawTable,
  bspApicId: number | null,
  t: FirmwareTopology,
  maxCpus: number,
): void {
  const b = new Bytes(table.bytes);
  const dataLen = Math.max(0, table.declaredLength - SDT_HEADER_BYTES);
  if (dataLen < MADT_ENTRIES_OFFSET - SDT_HEADER_BYTES || !b.has(SDT_HEADER_BYTES, 8)) {
    report(t, {
      claim: 'HW-7',
      code: 'madt-short',
      severity: 'error',
      table: 'APIC',
      message: 'MADT without its address and flags: Madt::new gives None, only the BSP runs',
    });
    return;
  }
  t.lapicAddress = b.u32(SDT_HEADER_BYTES)!;
  const w: Walked = { lapics: [], ignored: new Map() };
  if (!walk(b, dataLen, t, w)) return;
  reportIgnored(t, w.ignored);
  startCpus(w.lapics, bspApicId, t, maxCpus);
}
