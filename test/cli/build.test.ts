// The compiled CLI (issue 14): scripts/build.mjs bundles src/ into one ES module whose `main`
// behaves as the source's: the same listing, and the same run to the same trace hash.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { main } from '../../src/cli/main.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function captured(argv: string[], run: (argv: string[]) => Promise<number>): Promise<[number, string]> {
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  return run(argv).then(
    (code) => {
      process.stdout.write = write;
      return [code, out];
    },
    (error) => {
      process.stdout.write = write;
      throw error;
    },
  );
}

test('build: the bundled CLI lists, runs and runs on worker threads as the source does', async () => {
  // Inside the package, so the bundle finds package.json above it as dist/ would (.gitignore'd).
  const outdir = mkdtempSync(join(ROOT, 'tmp-build-'));
  try {
    const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), outdir], {
      encoding: 'utf8',
    });
    assert.equal(built.status, 0, built.stderr);
    // The viewer's page script (issue 21), which `smpsim view` serves from dist/web/.
    assert.match(readFileSync(join(outdir, 'web', 'viewer.js'), 'utf8'), /smpsim view/);
    const bundle = (await import(
      pathToFileURL(join(outdir, 'smpsim.mjs')).href
    )) as typeof import('../../src/cli/main.ts');
    const seed = join(ROOT, 'scenarios', 'seeds', 'futex-robust.toml');
    for (const argv of [
      ['list', '--json'],
      ['run', seed, '--json'],
      // The bundle's worker threads start from dist/run-worker.mjs beside it (issue 14).
      ['scale', '--cpus', '1,2', '--runs', '2', '--range', '2,100000', '--json', '--jobs', '2'],
    ]) {
      const [codeSource, fromSource] = await captured(argv, main);
      const [codeBundle, fromBundle] = await captured(argv, bundle.main);
      assert.equal(codeBundle, codeSource);
      assert.deepEqual(JSON.parse(fromBundle), JSON.parse(fromSource), `smpsim ${argv[0]}`);
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});
