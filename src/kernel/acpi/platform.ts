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

/** MCFG: a 36-byte header, 8 reserved bytes, then 16-byte allocations (PCI Firmware Spec 3.0 §4.1.2). */
const MCFG_FIRST_ENTRY = 44;
const MCFG_ENTRY_BYTES = 16;

/**
 * The PCI Express ECAM windows, as Linux's pci_parse_mcfg (arch/x86/pci/mmconfig-shared.c) reads
 * them: the entry count is (length - 44) / 16, a table with none is refused, and an allocation
 * whose end bus precedes its start bus is dropped with a message.
 */
export function decodeMcfg(table: RawTable, t: FirmwareTopology): void {
  const b = new Bytes(table.bytes);
  const payloadBytes = Math.max(0, b.length - MCFG_FIRST_ENTRY);
  const entries = Math.floor(payloadBytes / MCFG_ENTRY_BYTES);
  const mcfgFinding = (code: string, message: string) =>
    report(t, { claim: 'HW-7', code, severity: 'warning', table: 'MCFG', message });
  if (entries === 0) mcfgFinding('mcfg-empty', 'MCFG has no entries: no PCI Express configuration space');
  if (payloadBytes % MCFG_ENTRY_BYTES !== 0)
    mcfgFinding(
      'mcfg-partial-entry',
      `MCFG length ${b.length} leaves ${payloadBytes % MCFG_ENTRY_BYTES} bytes of a partial entry`,
    );
  for (let i = 0; i < entries; i++) {
    const at = MCFG_FIRST_ENTRY + i * MCFG_ENTRY_BYTES;
    const region = {
      baseAddress: b.u64(at)!,
      segment: b.u16(at + 8)!,
      startBus: b.u8(at + 10)!,
      endBus: b.u8(at + 11)!,
    };
    if (region.endBus < region.startBus) {
      mcfgFinding(
        'mcfg-bus-range',
        `MCFG entry ${i}: end bus ${region.endBus} before start bus ${region.startBus}, dropped`,
      );
      continue;
    }
    t.ecam.push(region);
  }
}
