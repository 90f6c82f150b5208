/**
 * A minimal FADT and an HPET table (ACPI 6.5 §5.2.9; IA-PC HPET spec 1.0a §3.2.4): enough for a
 * kernel to find the SCI interrupt, the ACPI PM timer and the HPET block. There is no DSDT (the
 * machine has no AML), so the DSDT pointers are zero, as a hardware-reduced-style minimal table.
 */
import { ByteWriter, SDT_HEADER_BYTES, sealTable, writeSdtHeader } from './bytes.ts';
import {
  FADT_BYTES,
  FADT_FLAG_TMR_VAL_EXT,
  FADT_FLAGS_OFFSET,
  FADT_IAPC_BOOT_ARCH_OFFSET,
  FADT_MINOR_VERSION_OFFSET,
  FADT_PM_TMR_BLK_OFFSET,
  FADT_PM_TMR_LEN_OFFSET,
  FADT_REVISION,
  FADT_SCI_INT_OFFSET,
  HPET_BYTES,
  HPET_MIN_TICK_OFFSET,
  HPET_SEQUENCE_OFFSET,
  IAPC_8042,
  IAPC_LEGACY_DEVICES,
} from './layout.ts';
import type { FirmwareSpec } from './spec.ts';

/** The PM timer's I/O port block, where QEMU's ICH9 LPC puts it (PMBASE 0x600 + 8). */
export const PM_TIMER_PORT = 0x608;
/** The SCI on ISA IRQ 9, as PC chipsets wire it (and as the MADT's override says). */
export const SCI_IRQ = 9;
/** HPET comparators and minimum periodic tick in counter clocks (QEMU: 3 timers, 0x80). */
const HPET_TIMERS = 3;
const HPET_MIN_TICK = 0x80;
/** HPET event timer block id: revision 1, 64-bit counter (bit 13), legacy replacement (bit 15), vendor 0x8086. */
const HPET_REVISION_ID = 1;
const HPET_COUNTER_64 = 1 << 13;
const HPET_LEGACY_CAPABLE = 1 << 15;
const HPET_VENDOR_ID = 0x8086;

export function buildFadt(): Uint8Array {
  const w = new ByteWriter(FADT_BYTES);
  writeSdtHeader(w, 'FACP', FADT_REVISION);
  w.u16(FADT_SCI_INT_OFFSET, SCI_IRQ);
  w.u32(FADT_PM_TMR_BLK_OFFSET, PM_TIMER_PORT);
  w.u8(FADT_PM_TMR_LEN_OFFSET, 4);
  w.u16(FADT_IAPC_BOOT_ARCH_OFFSET, IAPC_LEGACY_DEVICES | IAPC_8042);
  w.u32(FADT_FLAGS_OFFSET, FADT_FLAG_TMR_VAL_EXT);
  w.u8(FADT_MINOR_VERSION_OFFSET, 5); // ACPI 6.5
  return sealTable(w);
}

export function buildHpet(spec: FirmwareSpec): Uint8Array {
  const w = new ByteWriter(HPET_BYTES);
  writeSdtHeader(w, 'HPET', 1);
  const blockId =
    HPET_REVISION_ID |
    ((HPET_TIMERS - 1) << 8) |
    HPET_COUNTER_64 |
    HPET_LEGACY_CAPABLE |
    (HPET_VENDOR_ID << 16);
  w.u32(SDT_HEADER_BYTES, blockId);
  // Generic address structure: system memory space (0), 64-bit register width, no offset.
  w.u8(SDT_HEADER_BYTES + 4, 0);
  w.u8(SDT_HEADER_BYTES + 5, 64);
  w.u64(SDT_HEADER_BYTES + 8, spec.hpetAddress);
  w.u8(HPET_SEQUENCE_OFFSET, 0);
  w.u16(HPET_MIN_TICK_OFFSET, HPET_MIN_TICK);
  return sealTable(w);
}
