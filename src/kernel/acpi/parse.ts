/**
 * The parsers' one entry point: `parseFirmware` reads the tables from simulated memory (finding
 * the RSDP as the chosen parser does) or from table bytes, with the `redox` or `hardened` rules.
 * Bring-up will call it once on the BSP and take CPUs, I/O APICs and nodes from the result.
 */
import { type ParseOptions, parseHardenedMemory, parseHardenedTables } from './hardened.ts';
import { parseRedoxMemory, parseRedoxTables } from './redox.ts';
import { type PhysBytes, tableFromBytes } from './source.ts';
import type { FirmwareTopology, ParserName } from './types.ts';

export type { ParseOptions } from './hardened.ts';

export type FirmwareSource =
  | { kind: 'memory'; phys: PhysBytes; bootloaderRsdp: number | null }
  | { kind: 'tables'; tables: readonly Uint8Array[] };

export function parseFirmware(
  source: FirmwareSource,
  parser: ParserName,
  options: ParseOptions = {},
): FirmwareTopology {
  if (source.kind === 'memory') {
    return parser === 'redox'
      ? parseRedoxMemory(source.phys, source.bootloaderRsdp, options)
      : parseHardenedMemory(source.phys, source.bootloaderRsdp, options);
  }
  const raws = source.tables.map(tableFromBytes);
  return parser === 'redox' ? parseRedoxTables(raws, options) : parseHardenedTables(raws, options);
}
