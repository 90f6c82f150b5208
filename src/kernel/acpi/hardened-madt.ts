/**
 * The hardened MADT parser, following Linux arch/x86/kernel/acpi/boot.c (`acpi_parse_lapic`,
 * `acpi_parse_x2apic`, `acpi_is_processor_usable`, `acpi_parse_ioapic`, `acpi_parse_int_src_ovr`,
 * `acpi_parse_lapic_nmi`, `acpi_parse_lapic_addr_ovr`, `acpi_parse_mp_wake`) and checking more:
 * every entry type is handled or warned about (K34), and processor entries go through the rules
 * of `cpus.ts` (flags, duplicates, limits).
 */
import {
  MADT_ENTRIES_OFFSET,
  MADT_ENTRY_BYTES,
  MADT_TYPE_LAST_DEFINED,
  MADT_TYPE_OEM_FIRST,
  MadtType,
} from '../../hw/acpi/layout.ts';
import { acceptCpus, type CpuOptions, type MadtCpu } from './cpus.ts';
import { Bytes, hex } from './read.ts';
import type { RawTable } from './source.ts';
import { type FirmwareTopology, type InterruptOverride, report } from './types.ts';
import { type Entry, walkEntries } from './walk.ts';

const POLARITY: InterruptOverride['polarity'][] = ['bus', 'high', 'reserved', 'low'];
const TRIGGER: InterruptOverride['trigger'][] = ['bus', 'edge', 'reserved', 'level'];
const USED_TYPES = new Set<number>([0, 1, 2, 4, 5, 9, 0x0a, 0x10]);

function warn(t: FirmwareTopology, code: string, message: string, claim = 'HW-7'): void {
  report(t, { claim, code, severity: 'warning', table: 'APIC', message });
}

function ioApic(b: Bytes, at: number, t: FirmwareTopology): void {
  const io = { id: b.u8(at + 2)!, address: b.u32(at + 4)!, gsiBase: b.u32(at + 8)! };
  if (t.ioApics.some((o) => o.id === io.id))
    warn(t, 'duplicate-ioapic-id', `I/O APIC id ${io.id} listed twice`);
  if (t.ioApics.some((o) => o.gsiBase === io.gsiBase)) {
    warn(t, 'duplicate-gsi-base', `two I/O APICs start at GSI ${io.gsiBase}`);
  }
  t.ioApics.push(io);
}

function override(b: Bytes, at: number, t: FirmwareTopology): void {
  const flags = b.u16(at + 8)!;
  const o: InterruptOverride = {
    bus: b.u8(at + 2)!,
    sourceIrq: b.u8(at + 3)!,
    gsi: b.u32(at + 4)!,
    polarity: POLARITY[flags & 3]!,
    trigger: TRIGGER[(flags >>> 2) & 3]!,
  };
  if (o.bus !== 0) warn(t, 'override-bus', `interrupt override on bus ${o.bus}; only ISA (0) is defined`);
  if (o.sourceIrq >= 16)
    warn(t, 'override-irq', `interrupt override of IRQ ${o.sourceIrq}; ISA IRQs are 0-15`);
  if (o.polarity === 'reserved' || o.trigger === 'reserved') {
    warn(t, 'override-flags', `IRQ ${o.sourceIrq} override has reserved flags ${hex(flags, 4)}`);
  }
  if (t.overrides.some((x) => x.sourceIrq === o.sourceIrq && x.bus === o.bus)) {
    warn(t, 'duplicate-override', `IRQ ${o.sourceIrq} overridden twice; the first is kept`);
    return;
  }
  t.overrides.push(o);
}

function nmi(b: Bytes, e: Entry, t: FirmwareTopology): void {
  const x2 = e.type === MadtType.LocalX2ApicNmi;
  const uid = x2 ? b.u32(e.offset + 4)! : b.u8(e.offset + 2)!;
  const lint = x2 ? b.u8(e.offset + 8)! : b.u8(e.offset + 5)!;
  const flags = x2 ? b.u16(e.offset + 2)! : b.u16(e.offset + 3)!;
  if (lint > 1) warn(t, 'nmi-lint', `NMI on LINT${lint}; a local APIC has LINT0 and LINT1`);
  const all = x2 ? uid === 0xffff_ffff : uid === 0xff;
  t.nmis.push({ uid: all ? null : uid, lint, flags, source: x2 ? 'x2apic' : 'lapic' });
}

function otherType(e: Entry, t: FirmwareTopology): void {
  if (e.type >= MADT_TYPE_OEM_FIRST) {
    report(t, {
      claim: 'K34',
      code: 'oem-madt-type',
      severity: 'info',
      table: 'APIC',
      message: `OEM entry type ${hex(e.type)} ignored`,
    });
  } else if (e.type > MADT_TYPE_LAST_DEFINED) {
    warn(
      t,
      'unknown-madt-type',
      `unknown (reserved) entry type ${hex(e.type)} at +${e.offset} ignored`,
      'K34',
    );
  } else if (!USED_TYPES.has(e.type)) {
    report(t, {
      claim: 'K34',
      code: 'madt-type-ignored',
      severity: 'info',
      table: 'APIC',
      message: `entry type ${hex(e.type)} (defined, not used on x86 here) ignored`,
    });
  }
}

function visit(b: Bytes, e: Entry, t: FirmwareTopology, cpus: MadtCpu[]): void {
  const at = e.offset;
  if (e.type === MadtType.LocalApic) {
    cpus.push({
      apicId: b.u8(at + 3)!,
      uid: b.u8(at + 2)!,
      flags: b.u32(at + 4)!,
      source: 'lapic',
      offset: at,
    });
  } else if (e.type === MadtType.LocalX2Apic) {
    cpus.push({
      apicId: b.u32(at + 4)!,
      uid: b.u32(at + 12)!,
      flags: b.u32(at + 8)!,
      source: 'x2apic',
      offset: at,
    });
  } else if (e.type === MadtType.IoApic) ioApic(b, at, t);
  else if (e.type === MadtType.InterruptOverride) override(b, at, t);
  else if (e.type === MadtType.LocalApicNmi || e.type === MadtType.LocalX2ApicNmi) nmi(b, e, t);
  else if (e.type === MadtType.LocalApicAddressOverride) t.lapicAddress = b.u64(at + 4)!;
  else if (e.type === MadtType.MultiprocessorWakeup) t.wakeupMailbox = b.u64(at + 8)!;
  else otherType(e, t);
}

/** Decodes a MADT into `t` (CPUs, I/O APICs, overrides, NMIs), reporting what is wrong. */
export function hardenedMadt(
  table: RawTable,
  revision: number,
  t: FirmwareTopology,
  options: CpuOptions,
): void {
  const b = new Bytes(table.bytes);
  if (b.length < MADT_ENTRIES_OFFSET) {
    report(t, {
      claim: 'HW-7',
      code: 'madt-short',
      severity: 'error',
      table: 'APIC',
      message: `MADT is ${b.length} bytes, shorter than its ${MADT_ENTRIES_OFFSET}-byte fixed part`,
    });
    return;
  }
  t.lapicAddress = b.u32(36)!;
  const cpus: MadtCpu[] = [];
  walkEntries(b, MADT_ENTRIES_OFFSET, 'APIC', MADT_ENTRY_BYTES, t, (e) => visit(b, e, t, cpus));
  // An address override replaces the 32-bit field whichever order they came in (boot.c).
  acceptCpus(cpus, revision, t, options);
}
