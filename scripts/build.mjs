// Builds the compiled package: the CLI, dist/smpsim.cjs, bundled from src/ by esbuild (the
// transformer tsx itself uses), so `smpsim` starts without transpiling ~450 files through the
// loader on every run (issue 14: start-up 1-1.5 s through tsx). bin/smpsim.js runs it when it is
// there and no source file is newer; otherwise it runs the sources through tsx. The CLI is one
// CommonJS file, not ES modules, because Node 20 keeps a V8 code cache only for scripts:
// bin/code-cache.js compiles it through one (in development, a cached start took 0.74-0.77 of
// the ES-module one's wall time, paired runs), and src/cli/cli-bundle.ts and the bridges written
// below keep user modules on its own kernel modules. `npm install` runs this (the `prepare`
// script); `npm run build` runs it by hand. An argument names another
// output directory (the build test uses one). Beside it, dist/run-worker.mjs: the entry of the
// worker threads that multi-run commands (scale, policies, demo, bench futex) spread their runs
// over (src/report/worker-pool.ts finds it next to the bundle). And dist/web/viewer.js: the web
// viewer's page script (src/web/, issue 21), for the browser, which `smpsim view` serves
// (src/cli/view-assets.ts bundles it the same way in memory when this one is missing or stale).
//
// Issue 22: the package's entry points (package.json `exports`) are built with it, dist/index.mjs
// (`smpsim`), guest.mjs (`smpsim/guest`) and policy.mjs (`smpsim/policy`), split (esbuild
// `splitting`) so that what they share with the CLI is one chunk beside them: a user's policy
// module imports the very SpinLock and ThreadState the kernel running it uses (the entry hooks,
// src/machine/entry-hooks.mjs, copied here, send `smpsim/*` to these files). `--types` also
// writes the declaration files, dist/types/ (tsc, tsconfig.build.json; about 10 s, so the build
// test leaves it out); `npm pack` and `npm install` (the `prepare` script) pass it.
//
// keepNames is off: tsx keeps function names by wrapping every function it creates in a
// defineProperty call, which cost the hot path 7% (issue 14); nothing here reads `.name` of a
// function for behaviour.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const types = args.includes('--types');
const outdir = args.find((a) => !a.startsWith('--')) ?? join(root, 'dist');

// Chunks are named by content hash: a stale one from an earlier build must not stay behind.
if (existsSync(outdir)) {
  for (const name of readdirSync(outdir))
    if (/^chunk-\w+\.mjs(\.map)?$/.test(name)) rmSync(join(outdir, name));
}

const shared = await build({
  entryPoints: {
    'run-worker': join(root, 'src', 'report', 'run-worker.ts'),
    index: join(root, 'src', 'index.ts'),
    guest: join(root, 'src', 'guest.ts'),
    policy: join(root, 'src', 'policy.ts'),
  },
  splitting: true,
  chunkNames: 'chunk-[hash]',
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  keepNames: false,
  metafile: true,
  logLevel: 'warning',
});
await build({
  entryPoints: [join(root, 'src', 'cli', 'cli-bundle.ts')],
  outfile: join(outdir, 'smpsim.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  keepNames: false,
  inject: [join(root, 'scripts', 'cjs-import-meta.mjs')],
  define: { 'import.meta.url': 'import_meta_url', 'import.meta.resolve': 'import_meta_resolve' },
  logLevel: 'warning',
});
writeBridges(shared.metafile);
// A code cache is made from one bundle's text: none may outlive it (bin/code-cache.js).
rmSync(join(outdir, 'code-cache'), { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'src', 'web', 'main.ts')],
  outfile: join(outdir, 'web', 'viewer.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  logLevel: 'warning',
});
copyFileSync(join(root, 'src', 'machine', 'entry-hooks.mjs'), join(outdir, 'entry-hooks.mjs'));
copyFileSync(join(root, 'src', 'report', 'cached-worker.mjs'), join(outdir, 'cached-worker.mjs'));
if (types) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const project = ['-p', join(root, 'tsconfig.build.json'), '--outDir', join(outdir, 'types')];
  const emitted = spawnSync(process.execPath, [tsc, ...project], { stdio: 'inherit' });
  if (emitted.status !== 0) process.exit(emitted.status ?? 1);
}
// Written after the bundle, so its time says when the build finished (bin/smpsim.js compares).
writeFileSync(join(outdir, 'BUILT'), `${new Date().toISOString()}\n`);

/**
 * dist/bridge/NAME.mjs for each entry point: what a user module importing `smpsim/NAME` gets when
 * the compiled CLI (dist/smpsim.cjs, src/cli/cli-bundle.ts) loads it: that bundle's own modules,
 * which it publishes on globalThis, under the export names of the ES-module entry
 * (machine/load-module.ts).
 */
// The registry's key is machine/load-module.ts's COMPILED_CLI_ENTRIES (a Symbol.for, so plain JS reads it).
function writeBridges(metafile) {
  mkdirSync(join(outdir, 'bridge'), { recursive: true });
  for (const [spec, name] of [
    ['smpsim', 'index'],
    ['smpsim/guest', 'guest'],
    ['smpsim/policy', 'policy'],
  ]) {
    const output = Object.entries(metafile.outputs).find(([file]) => file.endsWith(`/${name}.mjs`));
    if (output === undefined) throw new Error(`build: no output for the ${name} entry`);
    const names = output[1].exports.filter((e) => e !== 'default');
    const lines = [
      `// Written by scripts/build.mjs: \`${spec}\` for a user module the compiled CLI (dist/smpsim.cjs) loads.`,
      `const m = globalThis[Symbol.for('smpsim.compiled-cli.entries')]?.[${JSON.stringify(spec)}];`,
      `if (m === undefined) throw new Error('smpsim: the ${spec} bridge loaded outside the compiled CLI');`,
      `export const { ${names.join(', ')} } = m;`,
      '',
    ];
    writeFileSync(join(outdir, 'bridge', `${name}.mjs`), lines.join('\n'));
  }
}
