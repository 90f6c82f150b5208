// Builds the compiled CLI: one ES module, dist/smpsim.mjs, bundled from src/ by esbuild (the
// transformer tsx itself uses), so `smpsim` starts without transpiling ~150 files through the
// loader on every run (issue 14: start-up 1-1.5 s through tsx). bin/smpsim.js runs it when it is
// there and no source file is newer; otherwise it runs the sources through tsx. `npm install`
// runs this (the `prepare` script); `npm run build` runs it by hand. An argument names another
// output directory (the build test uses one). Beside it, dist/run-worker.mjs: the entry of the
// worker threads that multi-run commands (scale, policies, demo, bench futex) spread their runs
// over (src/report/worker-pool.ts finds it next to the bundle). And dist/web/viewer.js: the web
// viewer's page script (src/web/, issue 21), for the browser, which `smpsim view` serves
// (src/cli/view-assets.ts bundles it the same way in memory when this one is missing or stale).
//
// keepNames is off: tsx keeps function names by wrapping every function it creates in a
// defineProperty call, which cost the hot path 7% (issue 14); nothing here reads `.name` of a
// function for behaviour.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = process.argv[2] ?? join(root, 'dist');

await build({
  entryPoints: {
    smpsim: join(root, 'src', 'cli', 'main.ts'),
    'run-worker': join(root, 'src', 'report', 'run-worker.ts'),
  },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  keepNames: false,
  logLevel: 'warning',
});
await build({
  entryPoints: [join(root, 'src', 'web', 'main.ts')],
  outfile: join(outdir, 'web', 'viewer.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  logLevel: 'warning',
});
// Written after the bundle, so its time says when the build finished (bin/smpsim.js compares).
writeFileSync(join(outdir, 'BUILT'), `${new Date().toISOString()}\n`);
