/**
 * The package's root directory (where package.json, scenarios/ and bench/ live), found by
 * walking up from this module: from src/cli/ when run from source, from dist/ when run from the
 * compiled bundle (scripts/build.mjs), which puts every module in one file one level down.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return `${dir}/`;
    const up = dirname(dir);
    if (up === dir) throw new Error('smpsim: package.json not found above the CLI module');
    dir = up;
  }
}
