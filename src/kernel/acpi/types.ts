/**
 * What a firmware-table parser learns: the `FirmwareTopology` bring-up and the NUMA code will use
 * (CPUs with their APIC ids and flags, I/O APICs with GSI bases, interrupt overrides, NMI wiring,
 * proximity domains mapped to nodes, memory ranges, node distances) and the findings: what was
 * wrong with the tables, with the claim each finding checks. Findings never stop a parse.
 */

export type ParserName = 'redox' | 'hardened';
export const PARSER_NAMES: readonly ParserName[] = ['redox', 'hardened'];

/**
 * `info`: noted; `warning`: a firmware bug worked around; `error`: data rejected or dropped;
 * `fatal`: the modelled kernel would panic or hang here (the model stops that step and says so).
 */
export type Severity = 'info' | 'warning' | 'error' | 'fatal';

export interface Finding {
  /** The claim the finding bears on (seed-claims.md / issue 16): HW-6, HW-7, HW-14, K22, K23, K34, K35, K37, K38. */
  claim: string;
  /** A stable kebab-case name tests and reports key on. */
  code: string;
  severity: Severity;
  /** The table (signature) or structure it concerns: `APIC`, `SRAT`, `RSDP`… */
  table: string;
  message: string;
}

export interface FirmwareCpu {
  apicId: number;
  uid: number;
  /** Running at boot: bring-up starts it. */
  enabled: boolean;
  /** May come online later (hot-plug); never started at boot. */
  onlineCapable: boolean;
  /** The MADT structure it came from: type 0 (xAPIC id) or type 9 (x2APIC id). */
  source: 'lapic' | 'x2apic';
  /** SRAT proximity domain and the node it maps to; null when the SRAT does not place it. */
  domain: number | null;
  node: number | null;
}

export interface FirmwareIoApic {
  id: number;
  address: number;
  gsiBase: number;
}

export interface InterruptOverride {
  bus: number;
  sourceIrq: number;
  gsi: number;
  polarity: 'bus' | 'high' | 'reserved' | 'low';
  trigger: 'bus' | 'edge' | 'reserved' | 'level';
}

export interface NmiEntry {
  /** Processor UID, or null for every processor (0xFF / 0xFFFFFFFF). */
  uid: number | null;
  lint: number;
  flags: number;
  source: 'lapic' | 'x2apic';
}

export interface MemoryRange {
  domain: number;
  node: number;
  baseBytes: number;
  lengthBytes: number;
  hotPluggable: boolean;
  nonVolatile: boolean;
}

export interface NumaLayout {
  /** Proximity domain of node i (nodes are numbered in first-seen order, as Linux and Redox do). */
  domains: number[];
  memory: MemoryRange[];
  /** `distances[i][j]` between nodes; from the SLIT, or 10/20 defaults when it is absent or rejected. */
  distances: number[][];
  distanceSource: 'slit' | 'default';
}

export interface TableInfo {
  signature: string;
  address: number | null;
  length: number;
  revision: number;
  checksumOk: boolean;
  oemId: string;
  oemTableId: string;
}

export interface RsdpInfo {
  address: number;
  revision: number;
  oemId: string;
  rsdtAddress: number;
  xsdtAddress: number;
  length: number;
  foundBy: 'bootloader' | 'ebda' | 'bios-area';
}

export interface PlatformInfo {
  sciInterrupt: number | null;
  pmTimerPort: number | null;
  fadtFlags: number | null;
  hpetAddress: number | null;
  hpetTimers: number | null;
}

/** One MCFG allocation: a PCI segment's ECAM window (PCI Firmware Spec 3.0 §4.1.2, Table 4-3). */
export interface EcamRegion {
  baseAddress: number;
  segment: number;
  startBus: number;
  endBus: number;
}

export interface FirmwareTopology {
  parser: ParserName;
  /** `panic` or `hang`: where the modelled kernel would stop booting (its finding says why). */
  outcome: 'ok' | 'panic' | 'hang';
  rsdp: RsdpInfo | null;
  tables: TableInfo[];
  lapicAddress: number | null;
  cpus: FirmwareCpu[];
  ioApics: FirmwareIoApic[];
  overrides: InterruptOverride[];
  nmis: NmiEntry[];
  wakeupMailbox: number | null;
  numa: NumaLayout;
  platform: PlatformInfo;
  /** PCI Express configuration windows from the MCFG (hardened parser only: Redox leaves it to pcid). */
  ecam: EcamRegion[];
  findings: Finding[];
}

/** A result with nothing learnt yet, to fill in. */
export function emptyTopology(parser: ParserName): FirmwareTopology {
  return {
    parser,
    outcome: 'ok',
    rsdp: null,
    tables: [],
    lapicAddress: null,
    cpus: [],
    ioApics: [],
    overrides: [],
    nmis: [],
    wakeupMailbox: null,
    numa: { domains: [], memory: [], distances: [[10]], distanceSource: 'default' },
    platform: { sciInterrupt: null, pmTimerPort: null, fadtFlags: null, hpetAddress: null, hpetTimers: null },
    ecam: [],
    findings: [],
  };
}

/** Records a finding; a `fatal` one also sets where the modelled kernel stops. */
export function report(
  topology: FirmwareTopology,
  finding: Finding,
  stop: 'panic' | 'hang' | null = null,
): void {
  topology.findings.push(finding);
  if (stop !== null && topology.outcome === 'ok') topology.outcome = stop;
}

/** The CPUs bring-up starts. */
export function enabledCpus(topology: FirmwareTopology): FirmwareCpu[] {
  return topology.cpus.filter((c) => c.enabled);
}
