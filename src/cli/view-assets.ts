/**
 * The viewer page's script. scripts/build.mjs bundles src/web/main.ts into dist/web/viewer.js
 * (the npm package ships dist/, so `npx smpsim view` needs no build); when that file is missing
 * or older than a file under src/web/ (a source checkout being edited), it is bundled here in
 * memory with esbuild (tsx's own dependency, so present wherever the sources run), the way
 * bin/smpsim.js falls back to the sources. The options match build.mjs's.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { importModule } from '../machine/import-module.ts';

export const WEB_BUNDLE = join('dist', 'web', 'viewer.js');

function newestMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const ms = entry.isDirectory() ? newestMs(path) : statSync(path).mtimeMs;
    newest = Math.max(newest, ms);
  }
  return newest;
}

/** The script's text, from the build when it is current, else bundled now. */
export async function viewerScript(root: string): Promise<string> {
  const built = join(root, WEB_BUNDLE);
  const sources = join(root, 'src', 'web');
  const fresh = existsSync(built) && (!existsSync(sources) || newestMs(sources) <= statSync(built).mtimeMs);
  if (fresh) return readFileSync(built, 'utf8');
  if (!existsSync(sources)) throw new Error(`the viewer's script is missing: ${built} (reinstall smpsim)`);
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await importModule<typeof import('esbuild')>('esbuild');
  } catch {
    throw new Error(
      `the viewer's script is not built (${built}) and esbuild is not installed: run npm run build`,
    );
  }
  const out = await esbuild.build({
    entryPoints: [join(sources, 'main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}
