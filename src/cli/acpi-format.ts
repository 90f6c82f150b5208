/** Readable text for what a firmware-table parser found (`smpsim acpi` without --json). */
import type { FirmwareTopology } from '../kernel/acpi/types.ts';

/** `0-31,64-95`: sorted ids as ranges. */
export function idRanges(ids: readonly number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',') || 'none';
}

/** FADT flag 20, HW_REDUCED_ACPI (ACPI 6.5 Table 5.10): no PM timer, no fixed hardware registers. */
const FADT_HW_REDUCED = 1 << 20;

function platformLines(t: FirmwareTopology): string[] {
  const p = t.platform;
  const reduced =
    p.fadtFlags !== null && (p.fadtFlags & FADT_HW_REDUCED) !== 0 ? ', hardware-reduced ACPI' : '';
  const lines = [
    `  platform: LAPIC ${hex(t.lapicAddress)}, SCI ${p.sciInterrupt ?? '-'}, PM timer ${hex(p.pmTimerPort)}, HPET ${hex(p.hpetAddress)} (${p.hpetTimers ?? '-'} timers)${reduced}`,
  ];
  if (t.ecam.length > 0)
    lines.push(
      `  PCI ECAM: ${t.ecam.map((e) => `segment ${e.segment} buses ${e.startBus}-${e.endBus} at ${hex(e.baseAddress)}`).join('; ')}`,
    );
  return lines;
}

const hex = (n: number | null) => (n === null ? '-' : `0x${n.toString(16).toUpperCase()}`);

function gib(bytes: number): string {
  return bytes >= 1 << 30
    ? `${(bytes / 2 ** 30).toFixed(bytes % 2 ** 30 === 0 ? 0 : 2)} GiB`
    : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function cpuLines(t: FirmwareTopology): string[] {
  const enabled = t.cpus.filter((c) => c.enabled);
  const possible = t.cpus.filter((c) => !c.enabled && c.onlineCapable);
  const x2 = t.cpus.filter((c) => c.source === 'x2apic').length;
  return [
    `  CPUs: ${enabled.length} enabled (APIC ids ${idRanges(enabled.map((c) => c.apicId))}), ${possible.length} online-capable, ${x2} from x2APIC entries`,
    `  I/O APICs: ${t.ioApics.map((io) => `id ${io.id} at ${hex(io.address)} GSI ${io.gsiBase}`).join('; ') || 'none'}`,
    `  overrides: ${t.overrides.map((o) => `IRQ${o.sourceIrq}->GSI${o.gsi} (${o.polarity}/${o.trigger})`).join(', ') || 'none'}`,
    `  NMIs: ${t.nmis.map((n) => `${n.uid === null ? 'all' : `uid ${n.uid}`} LINT${n.lint}`).join(', ') || 'none'}`,
  ];
}

function numaLines(t: FirmwareTopology): string[] {
  const n = t.numa;
  const rows = n.distances.map((r) => r.join(' ')).join('; ');
  const memory = n.memory.map(
    (m) => `node ${m.node} ${hex(m.baseBytes)}+${gib(m.lengthBytes)}${m.hotPluggable ? ' hot-plug' : ''}`,
  );
  const perNode = n.domains
    .map((_, node) => `${node}:${t.cpus.filter((c) => c.node === node && c.enabled).length}`)
    .join(' ');
  if (n.domains.length === 0) return ['  NUMA: not reached (the kernel stopped first)'];
  return [
    `  NUMA: ${n.domains.length} nodes (domains ${n.domains.join(',')}), CPUs per node ${perNode}; distances [${rows}] (${n.distanceSource})`,
    `  memory: ${memory.join(', ') || 'no SRAT ranges'}`,
    ...platformLines(t),
  ];
}

export function formatTopology(t: FirmwareTopology): string {
  const lines = [
    `[${t.parser}] ${t.outcome === 'ok' ? 'boots' : `the kernel would ${t.outcome}`}`,
    ...cpuLines(t),
    ...numaLines(t),
  ];
  lines.push(`  findings: ${t.findings.length === 0 ? 'none' : ''}`);
  for (const f of t.findings) lines.push(`    ${f.severity} ${f.claim} ${f.code} [${f.table}]: ${f.message}`);
  return `${lines.join('\n')}\n`;
}
