/**
 * The hardened SRAT and SLIT decoders, following Linux drivers/acpi/numa/srat.c
 * (`acpi_numa_processor_affinity_init`, `acpi_numa_x2apic_affinity_init`,
 * `acpi_numa_memory_affinity_init`, `slit_valid`): disabled entries are ignored, a revision-1
 * SRAT gives only bits 7:0 of a processor's domain, and a SLIT whose diagonal is not 10 or whose
 * off-diagonal entries are not above 10 is rejected (K37).
 */
import {
  SLIT_LOCAL_DISTANCE,
  SLIT_MATRIX_OFFSET,
  SRAT_ENABLED,
  SRAT_ENTRIES_OFFSET,
  SRAT_ENTRY_BYTES,
  SRAT_MEM_HOT_PLUGGABLE,
  SRAT_MEM_NON_VOLATILE,
  SratType,
} from '../../hw/acpi/layout.ts';
import { Bytes, hex } from './read.ts';
import type { RawTable } from './source.ts';
import { type FirmwareTopology, report } from './types.ts';
import { type Entry, walkEntries } from './walk.ts';

export interface SratCpu {
  apicId: number;
  domain: number;
}

export interface SratMemory {
  domain: number;
  baseBytes: number;
  lengthBytes: number;
  hotPluggable: boolean;
  nonVolatile: boolean;
}

export interface Srat {
  cpus: SratCpu[];
  memory: SratMemory[];
}

/** Largest locality count accepted: one byte per distance, and Linux's x86-64 MAX_NUMNODES is 64. */
export const SLIT_MAX_LOCALITIES = 256;
/** SRAT types 4–6 (GIC ITS, generic initiator, generic port) are defined; above them is unknown. */
const SRAT_TYPE_LAST_DEFINED = 6;

function cpuEntry(b: Bytes, e: Entry, revision: number): SratCpu | null {
  const at = e.offset;
  if (e.type === SratType.ProcessorAffinity) {
    if ((b.u32(at + 4)! & SRAT_ENABLED) === 0) return null;
    const high = revision >= 2 ? (b.u8(at + 9)! | (b.u8(at + 10)! << 8) | (b.u8(at + 11)! << 16)) * 256 : 0;
    return { apicId: b.u8(at + 3)!, domain: b.u8(at + 2)! + high };
  }
  if ((b.u32(at + 12)! & SRAT_ENABLED) === 0) return null;
  return { apicId: b.u32(at + 8)!, domain: b.u32(at + 4)! };
}

function memoryEntry(b: Bytes, at: number, t: FirmwareTopology): SratMemory | null {
  const flags = b.u32(at + 28)!;
  if ((flags & SRAT_ENABLED) === 0) return null;
  const m = {
    domain: b.u32(at + 2)!,
    baseBytes: b.u64(at + 8)!,
    lengthBytes: b.u64(at + 16)!,
    hotPluggable: (flags & SRAT_MEM_HOT_PLUGGABLE) !== 0,
    nonVolatile: (flags & SRAT_MEM_NON_VOLATILE) !== 0,
  };
  if (m.lengthBytes === 0) {
    report(t, {
      claim: 'HW-14',
      code: 'srat-empty-range',
      severity: 'warning',
      table: 'SRAT',
      message: `zero-length memory range at ${hex(m.baseBytes, 8)} ignored`,
    });
    return null;
  }
  return m;
}

function otherSratType(e: Entry, t: FirmwareTopology): void {
  const unknown = e.type > SRAT_TYPE_LAST_DEFINED;
  report(t, {
    claim: 'K35',
    code: unknown ? 'unknown-srat-type' : 'srat-type-ignored',
    severity: unknown ? 'warning' : 'info',
    table: 'SRAT',
    message: `${unknown ? 'unknown' : 'defined, unused'} SRAT entry type ${hex(e.type)} at +${e.offset} ignored`,
  });
}

function checkOverlaps(memory: SratMemory[], t: FirmwareTopology): void {
  const sorted = [...memory].sort((a, b) => a.baseBytes - b.baseBytes);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    if (sorted[i]!.baseBytes < prev.baseBytes + prev.lengthBytes) {
      report(t, {
        claim: 'HW-14',
        code: 'srat-overlap',
        severity: 'warning',
        table: 'SRAT',
        message: `memory ranges at ${hex(prev.baseBytes, 8)} and ${hex(sorted[i]!.baseBytes, 8)} overlap`,
      });
    }
  }
}

export function hardenedSrat(table: RawTable, revision: number, t: FirmwareTopology): Srat {
  const b = new Bytes(table.bytes);
  const srat: Srat = { cpus: [], memory: [] };
  walkEntries(b, SRAT_ENTRIES_OFFSET, 'SRAT', SRAT_ENTRY_BYTES, t, (e) => {
    if (e.type === SratType.ProcessorAffinity || e.type === SratType.X2ApicAffinity) {
      const c = cpuEntry(b, e, revision);
      if (c === null) return;
      const twin = srat.cpus.find((x) => x.apicId === c.apicId);
      if (twin === undefined) srat.cpus.push(c);
      else if (twin.domain !== c.domain) {
        report(t, {
          claim: 'HW-7',
          code: 'srat-duplicate-cpu',
          severity: 'warning',
          table: 'SRAT',
          message: `APIC id ${c.apicId} placed in domains ${twin.domain} and ${c.domain}; the first is kept`,
        });
      }
    } else if (e.type === SratType.MemoryAffinity) {
      const m = memoryEntry(b, e.offset, t);
      if (m !== null) srat.memory.push(m);
    } else otherSratType(e, t);
  });
  checkOverlaps(srat.memory, t);
  return srat;
}

export interface Slit {
  localities: number;
  /** `matrix[i][j]` by proximity domain. */
  matrix: number[][];
}

function rejectSlit(t: FirmwareTopology, code: string, message: string): null {
  report(t, {
    claim: 'K37',
    code,
    severity: 'error',
    table: 'SLIT',
    message: `${message}: SLIT rejected, default distances used`,
  });
  return null;
}

/** The SLIT's matrix, or null when it is malformed or fails Linux's `slit_valid` (K37). */
export function hardenedSlit(table: RawTable, t: FirmwareTopology): Slit | null {
  const b = new Bytes(table.bytes);
  const n = b.u64(36);
  if (n === undefined) return rejectSlit(t, 'slit-short', 'SLIT shorter than its locality count');
  if (n < 1 || n > SLIT_MAX_LOCALITIES)
    return rejectSlit(t, 'slit-localities', `locality count ${n} outside 1..${SLIT_MAX_LOCALITIES}`);
  if (!b.has(SLIT_MATRIX_OFFSET, n * n))
    return rejectSlit(t, 'slit-truncated', `${n}x${n} matrix runs past the table's ${b.length} bytes`);
  const matrix = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => b.u8(SLIT_MATRIX_OFFSET + i * n + j)!),
  );
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const d = matrix[i]![j]!;
      if (i === j && d !== SLIT_LOCAL_DISTANCE)
        return rejectSlit(t, 'slit-diagonal', `distance[${i}][${i}] is ${d}, not ${SLIT_LOCAL_DISTANCE}`);
      if (i !== j && d <= SLIT_LOCAL_DISTANCE)
        return rejectSlit(
          t,
          'slit-remote-local',
          `distance[${i}][${j}] is ${d}, not above ${SLIT_LOCAL_DISTANCE}`,
        );
    }
  }
  return { localities: n, matrix };
}
