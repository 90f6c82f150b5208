/**
 * Reading ACPI tables from files, as Linux exposes them: one binary table per file
 * (/sys/firmware/acpi/tables/APIC, `acpidump -b`'s apic.dat…) recognised by its signature bytes
 * whatever the file is called, or the text dumps `acpidump` prints (and hw-probe/iasl "Raw
 * Table Data" sections), whose hex lines `OFFSET: xx xx …` are collected, a new table starting
 * at each offset 0000. The RSDP (rsdp.dat) is listed but is not an SDT. Used by `smpsim acpi` and by
 * `[firmware] tables` / `smpsim boot --tables` (a board shipping a real machine's bytes).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface TableFile {
  file: string;
  signature: string;
  bytes: Uint8Array;
}

const SIGNATURE = /^[A-Z0-9_]{3}[A-Z0-9_ ]$/;
const HEX_LINE = /^\s*([0-9A-Fa-f]{4,8}):((?:\s+[0-9A-Fa-f]{2}){1,16})(?:\s|$)/;

function signature(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes.subarray(0, 4));
}

/** Whether `bytes` look like one SDT: a signature, and a length field of at least 36 that fits. */
export function isTable(bytes: Uint8Array): boolean {
  if (bytes.length < 36 || !SIGNATURE.test(signature(bytes))) return false;
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  return length >= 36 && length <= bytes.length;
}

/** The tables in an acpidump-style text dump, in order. */
export function tablesFromText(text: string): Uint8Array[] {
  const out: number[][] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = HEX_LINE.exec(line);
    if (m === null) continue;
    const offset = Number.parseInt(m[1]!, 16);
    const bytes = m[2]!
      .trim()
      .split(/\s+/)
      .map((h) => Number.parseInt(h, 16));
    if (offset === 0) out.push([]);
    const current = out[out.length - 1];
    if (current !== undefined && current.length === offset) current.push(...bytes);
  }
  return out.map((b) => Uint8Array.from(b)).filter(isTable);
}

/** The tables of one file (binary or text), or an empty list when it holds none. */
function tablesInFile(path: string): TableFile[] {
  const data = new Uint8Array(readFileSync(path));
  const file = basename(path);
  if (isTable(data)) {
    const length = new DataView(data.buffer, data.byteOffset).getUint32(4, true);
    return [{ file, signature: signature(data), bytes: data.subarray(0, length) }];
  }
  if (data.includes(0)) return [];
  return tablesFromText(new TextDecoder().decode(data)).map((bytes) => ({
    file,
    signature: signature(bytes),
    bytes,
  }));
}

/** Why `path` gives no tables: the problem, and what is allowed. */
export interface TableFilesProblem {
  problem: string;
  allowed?: string;
}

/** Every table under `path` (a file, or a directory's regular files), or why there are none. */
export function readTableFiles(path: string): TableFile[] | TableFilesProblem {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    return { problem: `${path}: no such file or directory` };
  }
  const files = stat.isDirectory()
    ? readdirSync(path)
        .sort()
        .map((name) => join(path, name))
        .filter((p) => statSync(p).isFile())
    : [path];
  const tables = files.flatMap(tablesInFile);
  if (tables.length === 0) {
    return {
      problem: `${path}: no ACPI tables found`,
      allowed:
        'binary tables (a 4-character signature and a 36-byte header, as in /sys/firmware/acpi/tables) or acpidump text',
    };
  }
  return tables;
}
