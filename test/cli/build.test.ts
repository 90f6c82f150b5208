// The compiled CLI (issue 14): scripts/build.mjs bundles src/ into one CommonJS file (so that
// bin/smpsim.js can compile it through a V8 code cache) whose `main` behaves as the source's: the
// same listing, and the same run to the same trace hash.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
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

// Inside the package, so the bundle finds package.json above it as dist/ would (.gitignore'd).
let outdir = '';

before(() => {
  outdir = mkdtempSync(join(ROOT, 'tmp-build-'));
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), outdir], {
    encoding: 'utf8',
  });
  assert.equal(built.status, 0, built.stderr);
});

after(() => {
  if (outdir !== '') rmSync(outdir, { recursive: true, force: true });
});

test('build: the bundled CLI lists, runs and runs on worker threads as the source does', async () => {
  // The viewer's page script (issue 21), which `smpsim view` serves from dist/web/.
  assert.match(readFileSync(join(outdir, 'web', 'viewer.js'), 'utf8'), /smpsim view/);
  const bundle = createRequire(import.meta.url)(
    join(outdir, 'smpsim.cjs'),
  ) as typeof import('../../src/cli/main.ts');
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
});

test('build: the bundled CLI imports at run time only through importModule (machine/import-module.ts)', () => {
  // An import() in code from bin/code-cache.js's V8 cache fails on Node 20; template strings
  // (a worker's boot code, run elsewhere) are not imports of the bundle's own.
  const lines = readFileSync(join(outdir, 'smpsim.cjs'), 'utf8').split('\n');
  const imports = lines.filter((l) => /\bimport\(/.test(l) && !l.includes('`') && !/^\s*\/\//.test(l));
  assert.equal(imports.length, 1, imports.join('\n'));
  assert.match(imports[0]!, /importer === void 0 \? import\(specifier\)/);
});

test("build: a policy module the bundled CLI loads gets that bundle's own SpinLock (dist/bridge/)", () => {
  // In a process of its own: this one has the sources' modules and loader hooks.
  const policy = join(outdir, 'policy-probe.ts');
  const text = readFileSync(join(ROOT, 'examples', 'policies', 'fifo-rr.ts'), 'utf8');
  writeFileSync(policy, `${text}\n(globalThis as Record<string, unknown>).policySpinLock = SpinLock;\n`);
  const probe = [
    `const cli = require(${JSON.stringify(join(outdir, 'smpsim.cjs'))});`,
    `const seed = ${JSON.stringify(join(ROOT, 'scenarios', 'seeds', 'futex-robust.toml'))};`,
    `cli.main(['run', seed, '--policy-module', ${JSON.stringify(policy)}, '--json']).then((code) => {`,
    "  const own = globalThis[Symbol.for('smpsim.compiled-cli.entries')]['smpsim/policy'].SpinLock;",
    '  process.stderr.write(JSON.stringify({ code, same: globalThis.policySpinLock === own }));',
    '});',
  ].join('\n');
  const child = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', cwd: outdir });
  assert.equal(child.status, 0, child.stderr);
  const report = JSON.parse(child.stdout) as { passed: boolean; policy: string };
  assert.equal(report.passed, true);
  assert.deepEqual(JSON.parse(child.stderr), { code: 0, same: true });
});
