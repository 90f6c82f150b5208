/**
 * MADT bytes (ACPI 6.5 §5.2.12): one Processor Local APIC (type 0) per CPU whose APIC id fits
 * below 255 and one Processor Local x2APIC (type 9) for the others, an I/O APIC (type 1) per
 * node, the interrupt source overrides (type 2), the LINT1 NMI wiring for every processor (type 4
 * for xAPIC entries, type 10 for x2APIC ones), a LAPIC address override (type 5) and, when the
 * machine has one, the multiprocessor wakeup mailbox (type 0x10, ACPI 6.4 §5.2.12.19).
 */
import { ByteWriter, SDT_HEADER_BYTES, sealTable, writeSdtHeader } from './bytes.ts';
import {
  LAPIC_ENABLED,
  LAPIC_ONLINE_CAPABLE,
  MADT_ENTRIES_OFFSET,
  MADT_ENTRY_BYTES,
  MADT_FLAG_PCAT_COMPAT,
  MADT_REVISION,
  MadtType,
} from './layout.ts';
import {
  ALL_PROCESSORS_U8,
  ALL_PROCESSORS_U32,
  type FirmwareCpu,
  type FirmwareSpec,
  NMI_LINT,
  XAPIC_ID_LIMIT,
} from './spec.ts';

/** Appends one entry of `type` (its standard length) and returns its offset. */
function entry(w: ByteWriter, type: number): number {
  const length = MADT_ENTRY_BYTES[type]!;
  const at = w.grow(length);
  w.u8(at, type);
  w.u8(at + 1, length);
  return at;
}

function cpuFlags(cpu: FirmwareCpu): number {
  return (cpu.enabled ? LAPIC_ENABLED : 0) | (cpu.onlineCapable ? LAPIC_ONLINE_CAPABLE : 0);
}

function writeCpu(w: ByteWriter, cpu: FirmwareCpu): void {
  if (cpu.apicId < XAPIC_ID_LIMIT && cpu.uid <= 0xff) {
    const at = entry(w, MadtType.LocalApic);
    w.u8(at + 2, cpu.uid);
    w.u8(at + 3, cpu.apicId);
    w.u32(at + 4, cpuFlags(cpu));
  } else {
    const at = entry(w, MadtType.LocalX2Apic);
    w.u32(at + 4, cpu.apicId);
    w.u32(at + 8, cpuFlags(cpu));
    w.u32(at + 12, cpu.uid);
  }
}

function writeInterruptControllers(w: ByteWriter, spec: FirmwareSpec): void {
  for (const io of spec.ioApics) {
    const at = entry(w, MadtType.IoApic);
    w.u8(at + 2, io.id);
    w.u32(at + 4, io.address);
    w.u32(at + 8, io.gsiBase);
  }
  for (const o of spec.overrides) {
    const at = entry(w, MadtType.InterruptOverride);
    w.u8(at + 2, o.bus);
    w.u8(at + 3, o.sourceIrq);
    w.u32(at + 4, o.gsi);
    w.u16(at + 8, o.flags);
  }
}

function writeNmis(w: ByteWriter, spec: FirmwareSpec): void {
  const hasX2 = spec.cpus.some((c) => c.apicId >= XAPIC_ID_LIMIT || c.uid > 0xff);
  const hasX = spec.cpus.some((c) => c.apicId < XAPIC_ID_LIMIT && c.uid <= 0xff);
  if (hasX) {
    const at = entry(w, MadtType.LocalApicNmi);
    w.u8(at + 2, ALL_PROCESSORS_U8);
    w.u16(at + 3, 0); // conforms to the bus: edge, active high
    w.u8(at + 5, NMI_LINT);
  }
  if (hasX2) {
    const at = entry(w, MadtType.LocalX2ApicNmi);
    w.u16(at + 2, 0);
    w.u32(at + 4, ALL_PROCESSORS_U32);
    w.u8(at + 8, NMI_LINT);
  }
}

/** The MADT of `spec`, checksummed. */
export function buildMadt(spec: FirmwareSpec): Uint8Array {
  const w = new ByteWriter(MADT_ENTRIES_OFFSET);
  writeSdtHeader(w, 'APIC', MADT_REVISION);
  w.u32(SDT_HEADER_BYTES, spec.lapicAddress);
  w.u32(SDT_HEADER_BYTES + 4, MADT_FLAG_PCAT_COMPAT);
  for (const cpu of spec.cpus) writeCpu(w, cpu);
  writeInterruptControllers(w, spec);
  writeNmis(w, spec);
  const override = entry(w, MadtType.LocalApicAddressOverride);
  w.u64(override + 4, spec.lapicAddress);
  if (spec.wakeupMailbox !== null) {
    const at = entry(w, MadtType.MultiprocessorWakeup);
    w.u16(at + 2, 0); // mailbox version 0
    w.u64(at + 8, spec.wakeupMailbox);
  }
  return sealTable(w);
}
