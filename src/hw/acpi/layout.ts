/**
 * ACPI structure numbers and sizes the builders write and the parsers check, from ACPI 6.5
 * §5.2.5 (RSDP), §5.2.12 (MADT), §5.2.16 (SRAT), §5.2.17 (SLIT), and Linux's
 * include/acpi/actbl.h, actbl1.h, actbl2.h and actbl3.h (the same layouts in C).
 */

/** RSDP: "RSD PTR ", 20 bytes covered by the first checksum, 36 by the extended one (rev ≥ 2). */
export const RSDP_SIGNATURE = 'RSD PTR ';
export const RSDP_V1_BYTES = 20;
export const RSDP_V2_BYTES = 36;

/** MADT fixed part: header, LAPIC address u32 at +36, flags u32 at +40, entries from +44. */
export const MADT_ENTRIES_OFFSET = 44;
export const MADT_FLAG_PCAT_COMPAT = 1;
/** MADT revision 5 (ACPI 6.3) is the first where the online-capable flag means anything. */
export const MADT_REVISION = 5;
export const MADT_REVISION_ONLINE_CAPABLE = 5;

export const MadtType = {
  LocalApic: 0,
  IoApic: 1,
  InterruptOverride: 2,
  NmiSource: 3,
  LocalApicNmi: 4,
  LocalApicAddressOverride: 5,
  LocalX2Apic: 9,
  LocalX2ApicNmi: 0x0a,
  Gicc: 0x0b,
  Gicd: 0x0c,
  MultiprocessorWakeup: 0x10,
} as const;

/** Entry lengths of the types this firmware writes (ACPI 6.5 Tables 5.22–5.45). */
export const MADT_ENTRY_BYTES: Record<number, number> = {
  [MadtType.LocalApic]: 8,
  [MadtType.IoApic]: 12,
  [MadtType.InterruptOverride]: 10,
  [MadtType.NmiSource]: 8,
  [MadtType.LocalApicNmi]: 6,
  [MadtType.LocalApicAddressOverride]: 12,
  [MadtType.LocalX2Apic]: 16,
  [MadtType.LocalX2ApicNmi]: 12,
  [MadtType.MultiprocessorWakeup]: 16,
};

/** Largest MADT type number ACPI 6.5 defines (0x17, the LPC PIC); 0x18–0x7F are reserved, 0x80+ OEM. */
export const MADT_TYPE_LAST_DEFINED = 0x17;
export const MADT_TYPE_OEM_FIRST = 0x80;

/** Processor flags in MADT types 0 and 9. */
export const LAPIC_ENABLED = 1;
export const LAPIC_ONLINE_CAPABLE = 2;

/** SRAT: header, reserved u32 (= 1) at +36, reserved u64 at +40, entries from +48. */
export const SRAT_ENTRIES_OFFSET = 48;
/** SRAT revision 3; revision 1 tables give only bits 7:0 of a processor's domain (Linux srat.c). */
export const SRAT_REVISION = 3;
export const SratType = {
  ProcessorAffinity: 0,
  MemoryAffinity: 1,
  X2ApicAffinity: 2,
  GiccAffinity: 3,
} as const;
export const SRAT_ENTRY_BYTES: Record<number, number> = {
  [SratType.ProcessorAffinity]: 16,
  [SratType.MemoryAffinity]: 40,
  [SratType.X2ApicAffinity]: 24,
  [SratType.GiccAffinity]: 18,
};
export const SRAT_ENABLED = 1;
export const SRAT_MEM_HOT_PLUGGABLE = 2;
export const SRAT_MEM_NON_VOLATILE = 4;

/** SLIT: header, locality count u64 at +36, N×N bytes from +44; 10 is local (ACPI 6.5 §5.2.17). */
export const SLIT_MATRIX_OFFSET = 44;
export const SLIT_LOCAL_DISTANCE = 10;
/** Linux's default remote distance when no usable SLIT exists (include/linux/numa.h REMOTE_DISTANCE). */
export const DEFAULT_REMOTE_DISTANCE = 20;
export const SLIT_UNREACHABLE = 0xff;

/** FADT revision 6 (ACPI 6.x) is 276 bytes long. */
export const FADT_REVISION = 6;
export const FADT_BYTES = 276;
export const FADT_SCI_INT_OFFSET = 46;
export const FADT_PM_TMR_BLK_OFFSET = 76;
export const FADT_PM_TMR_LEN_OFFSET = 91;
export const FADT_IAPC_BOOT_ARCH_OFFSET = 109;
export const FADT_FLAGS_OFFSET = 112;
export const FADT_MINOR_VERSION_OFFSET = 131;
/** FADT flags: bit 4 PWR_BUTTON (a control-method button), bit 8 TMR_VAL_EXT (32-bit PM timer). */
export const FADT_FLAG_TMR_VAL_EXT = 1 << 8;
/** IA-PC boot architecture flags: bit 0 legacy devices, bit 1 8042 keyboard controller. */
export const IAPC_LEGACY_DEVICES = 1;
export const IAPC_8042 = 2;

/** HPET table: 56 bytes; event timer block id at +36, base address (GAS) at +40. */
export const HPET_BYTES = 56;
export const HPET_SEQUENCE_OFFSET = 52;
export const HPET_MIN_TICK_OFFSET = 53;
