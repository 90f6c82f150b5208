/**
 * `smpsim acpi FILE|DIR`'s table loading: scenario/table-files.ts reads the files (the scenario's
 * `[firmware] tables` reads them the same way); a path with no tables is a usage error here.
 */
import { readTableFiles, type TableFile } from '../scenario/table-files.ts';
import { UsageError } from './errors.ts';

export type { TableFile };

/** Every table under `path` (a file, or a directory's regular files); bad input is a UsageError. */
export function loadTableFiles(path: string, flag = 'acpi'): TableFile[] {
  const got = readTableFiles(path);
  if (!Array.isArray(got)) throw new UsageError(flag, got.problem, got.allowed);
  return got;
}
