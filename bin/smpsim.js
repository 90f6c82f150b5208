#!/usr/bin/env node
// The smpsim command. Runs the compiled CLI (dist/smpsim.cjs, built by `npm install` through the
// `prepare` script, or `npm run build`) when it is there and no file under src/ is newer than
// the build; otherwise registers the TypeScript loader and runs the CLI from source, so an edit
// is never run stale. SMPSIM_FROM_SOURCE=1 always runs the source. The compiled CLI starts
// several times faster: tsx transpiles every source file at each start (issue 14); it is one
// CommonJS bundle compiled through a V8 code cache (code-cache.js).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The newest modification time of any file under `dir`, in ms. */
function newestMs(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const ms = entry.isDirectory() ? newestMs(path) : statSync(path).mtimeMs;
    if (ms > newest) newest = ms;
  }
  return newest;
}

function compiledIsCurrent() {
  if (process.env.SMPSIM_FROM_SOURCE === '1') return false;
  const stamp = join(root, 'dist', 'BUILT');
  if (!existsSync(stamp) || !existsSync(join(root, 'dist', 'smpsim.cjs'))) return false;
  return !existsSync(join(root, 'src')) || newestMs(join(root, 'src')) <= statSync(stamp).mtimeMs;
}

if (compiledIsCurrent()) {
  const { requireCached } = await import('./code-cache.js');
  const cli = requireCached(join(root, 'dist', 'smpsim.cjs'));
  process.exitCode = await cli.exports.main(process.argv.slice(2));
  cli.save();
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
