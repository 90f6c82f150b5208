/**
 * Which MADT processor entries become CPUs, by the hardened rules:
 *
 * - usable as Linux's `acpi_is_processor_usable` decides: enabled, or online-capable in a MADT of
 *   revision 5 or later (before 5 every disabled entry counts as hot-pluggable);
 * - enabled together with online-capable is a reserved combination (ACPI 6.5 §5.2.12.2): warned,
 *   taken as enabled (HW-7);
 * - an APIC id listed twice keeps its first entry (Linux topology.c: "APIC ID registered twice");
 * - invalid ids (0xFF, 0xFFFFFFFF) and x2APIC entries below 255 beside xAPIC ones are ignored
 *   (Linux commit ec9aedb2aa1a, "x86/acpi: Ignore invalid x2APIC entries");
 * - at most `maxCpus` (256, the improved kernel's limit) with a warning near it; ids of 255 and
 *   above need x2APIC mode (HW-6).
 */
import { LAPIC_ENABLED, LAPIC_ONLINE_CAPABLE, MADT_REVISION_ONLINE_CAPABLE } from '../../hw/acpi/layout.ts';
import { idList } from './read.ts';
import { type FirmwareTopology, report } from './types.ts';

export interface MadtCpu {
  apicId: number;
  uid: number;
  flags: number;
  source: 'lapic' | 'x2apic';
  offset: number;
}

export interface CpuOptions {
  maxCpus: number;
  /** The BSP's own APIC id (read from its LAPIC), or null when unknown (table files). */
  bspApicId: number | null;
}

/** The improved kernel's CPU limit (HW-6), and the share of it past which boot warns. */
export const HARDENED_MAX_CPUS = 256;
const NEAR_LIMIT_SHARE = 7 / 8;
const XAPIC_ID_LIMIT = 255;

function warn(t: FirmwareTopology, code: string, message: string, claim = 'HW-7'): void {
  report(t, { claim, code, severity: 'warning', table: 'APIC', message });
}

/** Whether the entry is skipped outright (invalid id, or an x2APIC twin of xAPIC entries). */
function invalidId(c: MadtCpu, hasLapic: boolean, t: FirmwareTopology): boolean {
  if (c.source === 'lapic' && c.apicId === 0xff) return true;
  if (c.source === 'x2apic' && c.apicId === 0xffff_ffff) return true;
  if (c.source === 'x2apic' && c.apicId < XAPIC_ID_LIMIT && hasLapic) {
    warn(t, 'x2apic-low-id', `x2APIC entry with id ${c.apicId} (< 255) beside xAPIC entries ignored`, 'HW-6');
    return true;
  }
  return false;
}

/** The entry's enabled and online-capable meaning, or null when it is not a usable processor. */
function usable(
  c: MadtCpu,
  revision: number,
  t: FirmwareTopology,
): { enabled: boolean; onlineCapable: boolean } | null {
  const enabled = (c.flags & LAPIC_ENABLED) !== 0;
  const onlineBit = (c.flags & LAPIC_ONLINE_CAPABLE) !== 0;
  if (revision < MADT_REVISION_ONLINE_CAPABLE) {
    return { enabled, onlineCapable: !enabled };
  }
  if (enabled && onlineBit) {
    warn(
      t,
      'flags-enabled-and-online-capable',
      `APIC id ${c.apicId} is both enabled and online-capable (reserved); taken as enabled`,
    );
    return { enabled: true, onlineCapable: false };
  }
  return enabled || onlineBit ? { enabled, onlineCapable: onlineBit } : null;
}

function reportLimits(t: FirmwareTopology, dropped: MadtCpu[], options: CpuOptions): void {
  if (dropped.length > 0) {
    report(t, {
      claim: 'HW-6',
      code: 'max-cpus',
      severity: 'error',
      table: 'APIC',
      message: `${dropped.length} CPUs beyond the ${options.maxCpus}-CPU limit dropped (APIC ids ${idList(dropped.map((c) => c.apicId))})`,
    });
  } else if (t.cpus.length > options.maxCpus * NEAR_LIMIT_SHARE) {
    warn(t, 'near-cpu-limit', `${t.cpus.length} CPUs, near the ${options.maxCpus}-CPU limit`, 'HW-6');
  }
  const x2 = t.cpus.filter((c) => c.apicId >= XAPIC_ID_LIMIT).length;
  if (x2 > 0) {
    report(t, {
      claim: 'HW-6',
      code: 'x2apic-required',
      severity: 'info',
      table: 'APIC',
      message: `${x2} CPUs have APIC ids of 255 or more: they need x2APIC mode`,
    });
  }
  const bsp = options.bspApicId;
  if (bsp !== null && !t.cpus.some((c) => c.apicId === bsp && c.enabled)) {
    warn(t, 'bsp-not-in-madt', `the boot CPU's APIC id ${bsp} has no enabled MADT entry`);
  }
}

/** Turns the processor entries into `t.cpus`. */
export function acceptCpus(
  entries: MadtCpu[],
  revision: number,
  t: FirmwareTopology,
  options: CpuOptions,
): void {
  const hasLapic = entries.some((c) => c.source === 'lapic' && c.apicId !== 0xff);
  const dropped: MadtCpu[] = [];
  let placeholders = 0;
  for (const c of entries) {
    if (invalidId(c, hasLapic, t)) continue;
    const use = usable(c, revision, t);
    if (use === null) continue;
    const twin = t.cpus.findIndex((x) => x.apicId === c.apicId);
    if (twin >= 0) {
      // Firmware lists unpopulated sockets as disabled entries, often all with id 0: Linux only
      // counts those (topology.c registers disabled CPUs as possible, unchecked); two enabled
      // entries with one id is the bug.
      if (use.enabled && t.cpus[twin]!.enabled) {
        warn(
          t,
          'duplicate-apic-id',
          `APIC id ${c.apicId} listed twice (entry at +${c.offset}); the first is kept`,
        );
      } else {
        placeholders++;
        if (use.enabled) t.cpus[twin] = { ...t.cpus[twin]!, uid: c.uid, ...use, source: c.source };
      }
      continue;
    }
    if (t.cpus.length >= options.maxCpus) {
      dropped.push(c);
      continue;
    }
    t.cpus.push({ apicId: c.apicId, uid: c.uid, ...use, source: c.source, domain: null, node: null });
  }
  if (placeholders > 0) {
    report(t, {
      claim: 'HW-7',
      code: 'disabled-duplicates',
      severity: 'info',
      table: 'APIC',
      message: `${placeholders} disabled entries repeat an APIC id already listed (placeholder sockets): counted once`,
    });
  }
  reportLimits(t, dropped, options);
}
