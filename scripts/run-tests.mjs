// Runs every *.test.ts under test/ (or those whose path contains one of the arguments) with
// node:test through tsx, spread over the machine's cores.
//
//   node scripts/run-tests.mjs [--jobs N] [--isolate] [path-fragment...]
//
// Default: the files are split into one shard per core (--jobs, or SMPSIM_TEST_JOBS), and each
// shard imports its files into one process (scripts/test-shard.mjs). A process per file, as
// `node --test` does, spent about 1 s of each file's time starting tsx and compiling the same
// sources again, more than most files' tests take. Shards are balanced by each file's test time
// in the last run (kept in node_modules/.cache), and the README and seed checks share a shard so
// that they share one run of each seed scenario (test/support/seed-runs.ts). Each shard's output
// is printed when it ends. --isolate runs a process per file instead (`node --test`, as many at
// once as --jobs), for a test suspected of leaking state into the next file.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Files that must share a process: they reuse each other's runs. */
const SHARED = [['test/readme.test.ts', 'test/scenarios/seeds.test.ts', 'test/kernel/idle-fold.test.ts']];
/** A file's weight before any run has timed it. */
const DEFAULT_MS = 200;
/** A shard still running after this long is killed: a test that hangs fails instead of stalling. */
const SHARD_TIMEOUT_MS = Number(process.env.SMPSIM_TEST_TIMEOUT_S ?? 900) * 1000;
const TIMES_FILE = join('node_modules', '.cache', 'smpsim', 'test-times.json');

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts') && !name.startsWith('.')) out.push(path);
  }
  return out;
}

function parseArgs(argv) {
  let jobs = Number(process.env.SMPSIM_TEST_JOBS ?? availableParallelism());
  let isolate = false;
  const filter = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--jobs') jobs = Number(argv[++i]);
    else if (argv[i] === '--isolate') isolate = true;
    else filter.push(argv[i]);
  }
  if (!Number.isInteger(jobs) || jobs < 1) {
    console.error('run-tests: --jobs: expected a positive integer');
    process.exit(2);
  }
  return { jobs, isolate, filter };
}

function readTimes() {
  try {
    return JSON.parse(readFileSync(TIMES_FILE, 'utf8'));
  } catch {
    return {};
  }
}

/** Longest first, each onto the least-loaded shard (LPT); shared files travel together. */
function shard(files, jobs, times) {
  const units = [];
  const placed = new Set();
  for (const group of SHARED) {
    const members = files.filter((f) => group.includes(f));
    if (members.length > 1) {
      units.push(members);
      for (const f of members) placed.add(f);
    }
  }
  for (const f of files) if (!placed.has(f)) units.push([f]);
  const weight = (unit) => unit.reduce((sum, f) => sum + (times[resolve(f)] ?? DEFAULT_MS), 0);
  units.sort((a, b) => weight(b) - weight(a));
  const shards = Array.from({ length: Math.min(jobs, units.length) }, () => ({ files: [], ms: 0 }));
  for (const unit of units) {
    const least = shards.reduce((a, b) => (b.ms < a.ms ? b : a));
    least.files.push(...unit);
    least.ms += weight(unit);
  }
  // Files keep their sorted order inside a shard, so its output reads like the tree.
  for (const s of shards) s.files.sort();
  return shards;
}

/** Runs one shard; resolves with its exit status, output and test times. */
function runShard(index, count, files, timesPath) {
  const args = [
    '--import',
    'tsx',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=./scripts/test-times-reporter.mjs',
    `--test-reporter-destination=${timesPath}`,
    'scripts/test-shard.mjs',
    ...files,
  ];
  return new Promise((done) => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      output += `\nrun-tests: shard ${index + 1} killed after ${SHARD_TIMEOUT_MS / 1000} s (SMPSIM_TEST_TIMEOUT_S)\n`;
      child.kill('SIGKILL');
    }, SHARD_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.stdout.write(`\n── shard ${index + 1}/${count}: ${files.length} files ──\n${output}`);
      let result = { files: {}, pass: 0, fail: 0 };
      try {
        result = JSON.parse(readFileSync(timesPath, 'utf8'));
      } catch {
        // The shard died before its reporter wrote: its status says so.
      }
      done({ status: code ?? (signal === null ? 1 : 128), failures: failingPart(output), ...result });
    });
  });
}

/** Lines of the spec reporter's closing "failing tests" section kept for the summary. */
const FAILURE_LINES_MAX = 80;

/**
 * The spec reporter's "✖ failing tests:" section of a shard's output, cut to FAILURE_LINES_MAX
 * lines: printed again after every shard, since a log read from its end (CI's is) shows only
 * the last shard's output, and a failure in an earlier one was a name without its error.
 */
function failingPart(output) {
  const at = output.lastIndexOf('\u2716 failing tests:');
  if (at < 0) return '';
  const lines = output.slice(at).split('\n');
  const cut = lines.length > FAILURE_LINES_MAX ? [...lines.slice(0, FAILURE_LINES_MAX), '…'] : lines;
  return cut.join('\n').trimEnd();
}

async function runSharded(files, jobs) {
  const times = readTimes();
  const shards = shard(files, jobs, times);
  const tmp = mkdtempSync(join(tmpdir(), 'smpsim-tests-'));
  const start = Date.now();
  try {
    const results = await Promise.all(
      shards.map((s, i) => runShard(i, shards.length, s.files, join(tmp, `shard-${i}.json`))),
    );
    const pass = results.reduce((n, r) => n + r.pass, 0);
    const fail = results.reduce((n, r) => n + r.fail, 0);
    const failedShards = results.filter((r) => r.status !== 0).length;
    mkdirSync(join('node_modules', '.cache', 'smpsim'), { recursive: true });
    writeFileSync(TIMES_FILE, JSON.stringify(Object.assign(times, ...results.map((r) => r.files)), null, 1));
    const seconds = ((Date.now() - start) / 1000).toFixed(1);
    for (const [i, r] of results.entries())
      if (r.failures !== '') console.log(`\n── shard ${i + 1}'s failures, again ──\n${r.failures}`);
    console.log(
      `\nrun-tests: ${files.length} files in ${shards.length} shards, ${pass} passed, ${fail} failed, ${seconds} s`,
    );
    return failedShards === 0 ? 0 : 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function runIsolated(files, jobs) {
  const args = [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${jobs}`,
    '--test-timeout=120000',
    '--test-reporter=spec',
    ...files,
  ];
  return new Promise((done) => {
    spawn(process.execPath, args, { stdio: 'inherit' }).on('close', (code) => done(code ?? 1));
  });
}

const { jobs, isolate, filter } = parseArgs(process.argv.slice(2));
const files = findTests('test').filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(2);
}
process.exit(isolate ? await runIsolated(files, jobs) : await runSharded(files, jobs));
