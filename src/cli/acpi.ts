/**
 * `smpsim acpi`: decodes firmware tables (a file or a directory, as Linux exposes them) with the
 * redox and hardened parsers and prints what each finds; `--generate` writes the tables smpsim
 * builds for a machine, optionally with injected firmware bugs (issue 16).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { FIRMWARE_BUGS, type FirmwareBug, FirmwareBugError, injectFirmwareBugs } from '../hw/acpi/bugs.ts';
import { specFromTopology } from '../hw/acpi/spec.ts';
import { buildTables, tableSignature } from '../hw/acpi/tables.ts';
import { Topology } from '../hw/topology.ts';
import { parseFirmware } from '../kernel/acpi/parse.ts';
import { type FirmwareTopology, PARSER_NAMES, type ParserName } from '../kernel/acpi/types.ts';
import { loadTableFiles } from './acpi-files.ts';
import { UsageError } from './errors.ts';
import { parseChoiceFlag, parseIntFlag } from './flags.ts';
import { formatTopology } from './acpi-format.ts';

export interface AcpiOptions {
  json?: boolean;
  parser?: string;
  generate?: boolean;
  cpus?: string;
  nodes?: string;
  smt?: boolean;
  packed?: boolean;
  hotplug?: string;
  inject?: string;
}

/** Remote SLIT distance of generated machines (a two-socket server's usual 21). */
const GENERATED_REMOTE_DISTANCE = 21;
const GENERATED_MEMORY_BYTES_PER_NODE = 1 << 30;

function decode(path: string, opts: AcpiOptions, out: (s: string) => void): number {
  const parsers: ParserName[] =
    opts.parser === undefined ? [...PARSER_NAMES] : [parseChoiceFlag('--parser', opts.parser, PARSER_NAMES)];
  const files = loadTableFiles(path);
  const source = { kind: 'tables' as const, tables: files.map((f) => f.bytes) };
  const results: Record<string, FirmwareTopology> = {};
  for (const p of parsers) results[p] = parseFirmware(source, p);
  if (opts.json === true) {
    const tables = files.map((f) => ({ file: f.file, signature: f.signature, length: f.bytes.length }));
    out(`${JSON.stringify({ schema: 'smpsim.acpi/1', source: path, tables, parsers: results }, null, 2)}\n`);
  } else {
    out(
      `${files.length} tables from ${path}: ${files.map((f) => `${f.signature} (${files.length > 1 && f.file !== f.signature ? `${f.file}, ` : ''}${f.bytes.length} B)`).join(', ')}\n`,
    );
    for (const p of parsers) out(formatTopology(results[p]!));
  }
  return 0;
}

function parseBugs(raw: string | undefined): FirmwareBug[] {
  if (raw === undefined) return [];
  return raw.split(',').map((b) => parseChoiceFlag('--inject', b.trim(), FIRMWARE_BUGS));
}

function generate(outDir: string, opts: AcpiOptions, out: (s: string) => void): number {
  if (opts.cpus === undefined) throw new UsageError('--cpus', 'required with --generate', '1..256');
  const cpus = parseIntFlag('--cpus', opts.cpus, 1, 256);
  const nodes = parseIntFlag('--nodes', opts.nodes ?? '1', 1, 8);
  const smt = opts.smt === true ? 2 : 1;
  if (cpus % (nodes * smt) !== 0) {
    throw new UsageError(
      '--cpus',
      `${cpus} CPUs do not split into ${nodes} nodes of ${smt}-thread cores`,
      `a multiple of ${nodes * smt}`,
    );
  }
  const topology = new Topology({
    cpus,
    smt,
    packages: nodes,
    numaNodes: nodes,
    numaRemoteDistance: GENERATED_REMOTE_DISTANCE,
  });
  const spec = specFromTopology(topology, {
    memoryBytes: nodes * GENERATED_MEMORY_BYTES_PER_NODE,
    apicIds: opts.packed === true ? 'packed' : 'linear',
    hotplugSlots: parseIntFlag('--hotplug', opts.hotplug ?? '0', 0, 64),
  });
  let tables = buildTables(spec);
  try {
    tables = injectFirmwareBugs(tables, parseBugs(opts.inject));
  } catch (error) {
    if (error instanceof FirmwareBugError) throw new UsageError('--inject', error.message);
    throw error;
  }
  mkdirSync(outDir, { recursive: true });
  // Named as /sys/firmware/acpi/tables names them: the signature.
  for (const t of tables) writeFileSync(join(outDir, tableSignature(t)), t.bytes);
  out(
    `wrote ${tables.length} tables to ${outDir}: ${tables.map((t) => `${tableSignature(t)} (${t.bytes.length} B)`).join(', ')}\n`,
  );
  return 0;
}

export function acpiCommand(path: string | undefined, opts: AcpiOptions, out: (s: string) => void): number {
  if (path === undefined) throw new UsageError('acpi', 'missing FILE, DIR or --generate OUT_DIR');
  return opts.generate === true ? generate(path, opts, out) : decode(path, opts, out);
}

/** Adds `acpi` to the program (main.ts registers it with one call). */
export function registerAcpiCommand(
  program: Command,
  out: (s: string) => void,
  setStatus: (s: number) => void,
): void {
  program
    .command('acpi')
    .description(
      'decode ACPI tables (a file or a directory, e.g. /sys/firmware/acpi/tables) with the redox and hardened parsers',
    )
    .argument('[path]', 'table file, directory of tables, or with --generate the output directory')
    .option('--json', 'print one JSON object (schema smpsim.acpi/1)')
    .option('--parser <name>', 'redox or hardened (default: both)')
    .option('--generate', 'write the tables smpsim builds for a machine into the directory')
    .option('--cpus <n>', 'with --generate: CPUs (1..256)')
    .option('--nodes <k>', 'with --generate: NUMA nodes (1..8)')
    .option('--smt', 'with --generate: two threads per core')
    .option('--packed', 'with --generate: x86-style packed APIC ids (gaps, ids above 255 sooner)')
    .option('--hotplug <n>', 'with --generate: disabled, online-capable CPU slots')
    .option('--inject <bugs>', `with --generate: comma list of ${FIRMWARE_BUGS.join(', ')}`)
    .action((path: string | undefined, opts: AcpiOptions) => {
      setStatus(acpiCommand(path, opts, out));
    });
}
