// The package as a user gets it (issue 22): `npm pack` holds the compiled entry points, their
// declarations, the CLI, the seed scenarios and the examples, and no sources or tests; a fresh
// project (`npm init -y`, `npm install <tarball>`) imports `smpsim`, `smpsim/guest` and
// `smpsim/policy` under plain node, runs a scenario to the trace hash the sources give, runs a
// policy module kept outside any project on the kernel's own modules, type-checks against the
// declarations, and runs the installed `smpsim` command. One build, one pack, one install, shared
// by every test here (about 30 s, most of it tsc writing the declarations and type-checking).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../../src/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SEED = 'scenarios/seeds/futex-robust.toml';
const NPM_QUIET = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

let work = '';
let project = '';
let outside = '';
let packed: { path: string; size: number }[] = [];

function run(cmd: string, args: string[], cwd: string): string {
  const result = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  assert.equal(result.status, 0, `${cmd} ${args.join(' ')} in ${cwd}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** The repository's files (tracked, and new ones not ignored) copied to `dir`, without dist/. */
function stage(dir: string): void {
  const list = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  for (const file of list.split('\n')) {
    if (file === '' || file.startsWith('dist/')) continue;
    mkdirSync(join(dir, dirname(file)), { recursive: true });
    try {
      copyFileSync(join(ROOT, file), join(dir, file));
    } catch {
      // a file deleted in the work tree but still tracked
    }
  }
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'smpsim-pack-'));
  const staged = join(work, 'staged');
  stage(staged);
  // The build `npm pack` runs (prepare) writes into the repository's dist/, which other tests may
  // be running; build the staged copy's own instead and pack without scripts.
  run(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--types', join(staged, 'dist')], ROOT);
  const json = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], staged);
  const [info] = JSON.parse(json) as { filename: string; files: { path: string; size: number }[] }[];
  packed = info!.files;
  project = join(work, 'project');
  mkdirSync(project);
  run('npm', ['init', '-y'], project);
  run('npm', ['install', join(work, info!.filename), ...NPM_QUIET], project);
  outside = join(work, 'outside'); // no package.json or node_modules above it but /tmp's
  mkdirSync(outside);
});

after(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

test('npm pack: the entry points, their declarations, the CLI and the seeds; no sources or tests', () => {
  const paths = new Set(packed.map((f) => f.path));
  for (const file of [
    'package.json',
    'README.md',
    'LICENSE',
    'bin/smpsim.js',
    'dist/smpsim.cjs',
    'dist/bridge/policy.mjs',
    'bin/code-cache.js',
    'dist/run-worker.mjs',
    'dist/index.mjs',
    'dist/guest.mjs',
    'dist/policy.mjs',
    'dist/entry-hooks.mjs',
    'dist/types/index.d.ts',
    'dist/types/guest.d.ts',
    'dist/types/policy.d.ts',
    SEED,
    'examples/policies/fifo-rr.ts',
    'examples/policies/percpu-rr.ts',
    'examples/programs/counter.ts',
    'examples/programs/counter.toml',
    'docs/tutorial.md',
    'fidelity/primes.c', // smpsim fidelity and calibrate build these on the user's host (issue 23)
    'fidelity/calibrate.c',
  ]) {
    assert.ok(paths.has(file), `${file} is packed`);
  }
  const stray = [...paths].filter(
    // dist/code-cache/: the V8 code caches this host's runs wrote (bin/code-cache.js), not the package's.
    (p) => /^(src|test|bench|scripts|node_modules|\.ci|dist\/code-cache)\//.test(p) || p.endsWith('.test.ts'),
  );
  assert.deepEqual(stray, []);
  // Every file under dist/ but the types is the build's: entries, chunks, their maps, the stamp,
  // and the web viewer's page script (issue 21), which `npx smpsim view` serves without a build.
  assert.ok(paths.has('dist/web/viewer.js'), 'the viewer page is packed');
  const odd = [...paths].filter(
    (p) =>
      p.startsWith('dist/') &&
      !p.startsWith('dist/types/') &&
      p !== 'dist/web/viewer.js' &&
      !/^dist\/((bridge\/)?[\w-]+\.[cm]js(\.map)?|BUILT)$/.test(p),
  );
  assert.deepEqual(odd, []);
  const bytes = packed.reduce((sum, f) => sum + f.size, 0);
  assert.ok(bytes < 16 * 2 ** 20, `unpacked ${bytes} B, under 16 MiB`);
});

test('a fresh project imports the API under plain node and runs a scenario to the sources’ trace hash', async () => {
  const expected = await runScenario(join(ROOT, SEED));
  writeFileSync(
    join(project, 'use.mjs'),
    [
      "import { runScenario, SCHED_POLICIES, main } from 'smpsim';",
      "import { pthread_create, publish } from 'smpsim/guest';",
      "import { SpinLock, lock } from 'smpsim/policy';",
      `const report = await runScenario(new URL('./node_modules/smpsim/${SEED}', import.meta.url).pathname);`,
      'const kinds = [main, pthread_create, publish, SpinLock, lock].map((f) => typeof f);',
      'console.log(JSON.stringify({ hash: report.trace_hash, passed: report.passed, policies: SCHED_POLICIES, kinds }));',
    ].join('\n'),
  );
  const out = JSON.parse(run(process.execPath, ['use.mjs'], project)) as Record<string, unknown>;
  assert.deepEqual(out, {
    hash: expected.trace_hash,
    passed: true,
    policies: ['dwrr', 'redbear', 'fair'],
    kinds: ['function', 'function', 'function', 'function', 'function'],
  });
});

test("a policy module outside any project runs on the installed package's own kernel modules", async () => {
  const policy = join(outside, 'fifo-rr.ts');
  const text = readFileSync(
    join(project, 'node_modules', 'smpsim', 'examples', 'policies', 'fifo-rr.ts'),
    'utf8',
  );
  // Tells the test which SpinLock class `smpsim/policy` gave the module.
  writeFileSync(policy, `${text}\n(globalThis as Record<string, unknown>).policySpinLock = SpinLock;\n`);
  const expected = await runScenario(join(ROOT, SEED), {
    policyModule: join(ROOT, 'examples/policies/fifo-rr.ts'),
  });
  writeFileSync(
    join(project, 'module.mjs'),
    [
      "import { runScenario } from 'smpsim';",
      "import { SpinLock } from 'smpsim/policy';",
      `const seed = new URL('./node_modules/smpsim/${SEED}', import.meta.url).pathname;`,
      `const report = await runScenario(seed, { policyModule: ${JSON.stringify(policy)} });`,
      'const same = globalThis.policySpinLock === SpinLock;',
      'console.log(JSON.stringify({ hash: report.trace_hash, passed: report.passed, same }));',
    ].join('\n'),
  );
  const out = JSON.parse(run(process.execPath, ['module.mjs'], project)) as Record<string, unknown>;
  assert.deepEqual(out, { hash: expected.trace_hash, passed: true, same: true });
  assert.notEqual(expected.trace_hash, (await runScenario(join(ROOT, SEED))).trace_hash, 'the module ran');
});

test('the installed smpsim command runs from the compiled build', () => {
  const bin = join(project, 'node_modules', '.bin', 'smpsim');
  const out = run(bin, ['run', join(project, 'node_modules', 'smpsim', SEED), '--json'], project);
  const report = JSON.parse(out) as { passed: boolean; trace_hash: string };
  assert.equal(report.passed, true);
  const version = run(bin, ['--version'], project).trim();
  assert.equal(
    version,
    (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
  );
});

test('the declarations type-check a consumer and the packed examples under strict tsc', () => {
  const examples = join(project, 'node_modules', 'smpsim', 'examples');
  copyFileSync(join(examples, 'policies', 'percpu-rr.ts'), join(project, 'percpu-rr.ts'));
  copyFileSync(join(examples, 'programs', 'counter.ts'), join(project, 'counter.ts'));
  writeFileSync(
    join(project, 'consumer.mts'),
    [
      "import { type RunReport, runScenario } from 'smpsim';",
      "import type { GuestProgram } from 'smpsim/guest';",
      "import type { SchedPolicy } from 'smpsim/policy';",
      "const report: RunReport = await runScenario('x.toml');",
      '// @ts-expect-error trace_hash is a string: the declarations are there, not `any`',
      'const wrong: number = report.trace_hash;',
      'export const checks: [SchedPolicy | null, GuestProgram | null, number] = [null, null, wrong];',
    ].join('\n'),
  );
  const compilerOptions = {
    target: 'ES2023',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules', '@types')],
  };
  const files = ['consumer.mts', 'percpu-rr.ts', 'counter.ts'];
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
  run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], project);
});

/** docs/tutorial.md's code blocks in order: `sh` ones to run, `js NAME` ones to write as NAME. */
function tutorialBlocks(): { kind: 'sh' | 'file'; name: string; text: string }[] {
  const text = readFileSync(join(ROOT, 'docs', 'tutorial.md'), 'utf8');
  return [...text.matchAll(/^```(sh|js ([\w.-]+))\n([\s\S]*?)^```$/gm)].map((m) => ({
    kind: m[1] === 'sh' ? 'sh' : 'file',
    name: m[2] ?? '',
    text: m[3]!,
  }));
}

test('docs/tutorial.md: every command in it works, in order, in the fresh project', () => {
  const [install, ...blocks] = tutorialBlocks();
  // The install block is what before() did (with the tarball for `smpsim`); the rest runs here.
  assert.match(install!.text, /^npm install smpsim$/m);
  const outputs: string[] = [];
  for (const block of blocks) {
    if (block.kind === 'file') {
      writeFileSync(join(project, block.name), block.text);
      continue;
    }
    const script = `set -e -o pipefail\n{\n${block.text}} 2>&1`;
    const env = {
      ...process.env,
      NODE_OPTIONS: '',
      npm_config_yes: 'true',
      npm_config_prefer_offline: 'true',
    };
    const done = spawnSync('bash', ['-c', script], { cwd: project, encoding: 'utf8', env });
    assert.equal(done.status, 0, `tutorial block:\n${block.text}\n${done.stdout}${done.stderr}`);
    outputs.push(done.stdout);
  }
  const [list, , , checkCases, compare, compareJs, broken, counter] = outputs;
  assert.equal(outputs.length, 8, 'the blocks this test reads');
  assert.match(list!, /\bfair\b/);
  assert.match(checkCases!, /my-policy conforms\n/);
  assert.match(compare!, /sched-wakeup-latency +workload\.schbench\.p99_ns/);
  assert.deepEqual(
    compareJs!
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/)[0]),
    ['dwrr', 'redbear', 'fair', 'my-policy'],
  );
  assert.match(
    broken!,
    /broken\.ts: select: the policy threw Error: oops \(at broken\.ts:\d+:\d+, simulated time \d+ ns\)\n/,
  );
  assert.match(broken!, /exit status 2\n$/);
  assert.match(counter!, /result: PASSED/);
});
