/**
 * The few FADT and HPET fields a kernel needs before AML: the SCI interrupt, the ACPI PM timer
 * port and the fixed feature flags (ACPI 6.5 §5.2.9, Table 5.9), the HPET's base address and
 * comparator count (IA-PC HPET 1.0a §3.2.4). Short tables give nulls, never a throw.
 */
import { FADT_FLAGS_OFFSET, FADT_PM_TMR_BLK_OFFSET, FADT_SCI_INT_OFFSET } from '../../hw/acpi/layout.ts';
import { Bytes } from './read.ts';
import type { RawTable } from './source.ts';
import { type FirmwareTopology, report } from './types.ts';

export function decodeFadt(table: RawTable, t: FirmwareTopology): void {
  const b = new Bytes(table.bytes);
  t.platform.sciInterrupt = b.u16(FADT_SCI_INT_OFFSET) ?? null;
  const pm = b.u32(FADT_PM_TMR_BLK_OFFSET);
  t.platform.pmTimerPort = pm === undefined || pm === 0 ? null : pm;
  t.platform.fadtFlags = b.u32(FADT_FLAGS_OFFSET) ?? null;
  if (!b.has(FADT_FLAGS_OFFSET, 4)) {
    report(t, {
      claim: 'HW-7',
      code: 'fadt-short',
      severity: 'warning',
      table: 'FACP',
      message: `FADT is ${b.length} bytes, too short for its flags`,
    });
  }
}

export function decodeHpet(table: RawTable, t: FirmwareTopology): void {
  const b = new Bytes(table.bytes);
  const blockId = b.u32(36);
  t.platform.hpetTimers = blockId === undefined ? null : ((blockId >>> 8) & 0x1f) + 1;
  t.platform.hpetAddress = b.u64(44) ?? null;
  if (t.platform.hpetAddress === null) {
    report(t, {
      claim: 'HW-7',
      code: 'hpet-short',
      severity: 'warning',
      table: 'HPET',
      message: `HPET table is ${b.length} bytes, too short for its base address`,
    });
  }
}
