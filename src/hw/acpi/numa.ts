/**
 * SRAT and SLIT bytes (ACPI 6.5 §5.2.16, §5.2.17): a processor affinity entry per CPU the
 * firmware places in a proximity domain (type 0 below APIC id 255, type 2 for x2APIC ids),
 * a memory affinity entry per range, and the N×N locality distance matrix.
 */
import { ByteWriter, SDT_HEADER_BYTES, sealTable, writeSdtHeader } from './bytes.ts';
import {
  SLIT_MATRIX_OFFSET,
  SRAT_ENABLED,
  SRAT_ENTRIES_OFFSET,
  SRAT_ENTRY_BYTES,
  SRAT_MEM_HOT_PLUGGABLE,
  SRAT_REVISION,
  SratType,
} from './layout.ts';
import { type FirmwareCpu, type FirmwareMemory, type FirmwareSpec, XAPIC_ID_LIMIT } from './spec.ts';

function entry(w: ByteWriter, type: number): number {
  const length = SRAT_ENTRY_BYTES[type]!;
  const at = w.grow(length);
  w.u8(at, type);
  w.u8(at + 1, length);
  return at;
}

/** Appends the processor affinity entry of one CPU in `domain`. */
export function writeCpuAffinity(w: ByteWriter, cpu: FirmwareCpu, domain: number): void {
  const flags = cpu.enabled || cpu.onlineCapable ? SRAT_ENABLED : 0;
  if (cpu.apicId < XAPIC_ID_LIMIT) {
    const at = entry(w, SratType.ProcessorAffinity);
    w.u8(at + 2, domain & 0xff);
    w.u8(at + 3, cpu.apicId);
    w.u32(at + 4, flags);
    w.u8(at + 9, (domain >>> 8) & 0xff);
    w.u8(at + 10, (domain >>> 16) & 0xff);
    w.u8(at + 11, (domain >>> 24) & 0xff);
  } else {
    const at = entry(w, SratType.X2ApicAffinity);
    w.u32(at + 4, domain);
    w.u32(at + 8, cpu.apicId);
    w.u32(at + 12, flags);
  }
}

function writeMemoryAffinity(w: ByteWriter, m: FirmwareMemory): void {
  const at = entry(w, SratType.MemoryAffinity);
  w.u32(at + 2, m.domain);
  w.u64(at + 8, m.baseBytes);
  w.u64(at + 16, m.lengthBytes);
  w.u32(at + 28, SRAT_ENABLED | (m.hotPluggable ? SRAT_MEM_HOT_PLUGGABLE : 0));
}

/** An SRAT writer with its fixed part written, for builders and bug injection to append to. */
export function sratWriter(): ByteWriter {
  const w = new ByteWriter(SRAT_ENTRIES_OFFSET);
  writeSdtHeader(w, 'SRAT', SRAT_REVISION);
  w.u32(SDT_HEADER_BYTES, 1); // "reserved, must be 1" for compatibility (ACPI 6.5 Table 5.69)
  return w;
}

export function buildSrat(spec: FirmwareSpec): Uint8Array {
  const w = sratWriter();
  for (const cpu of spec.cpus) if (cpu.domain !== null) writeCpuAffinity(w, cpu, cpu.domain);
  for (const m of spec.memory) writeMemoryAffinity(w, m);
  return sealTable(w);
}

export function buildSlit(spec: FirmwareSpec): Uint8Array {
  const n = spec.distances.length;
  const w = new ByteWriter(SLIT_MATRIX_OFFSET + n * n);
  writeSdtHeader(w, 'SLIT', 1);
  w.u64(SDT_HEADER_BYTES, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) w.u8(SLIT_MATRIX_OFFSET + i * n + j, spec.distances[i]![j]!);
  }
  return sealTable(w);
}
