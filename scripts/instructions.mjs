// Instructions a warm run of a bench workload takes, counted by cachegrind: a measure of a speed
// change that the host's swings do not move (development tool, not in the suite; needs valgrind).
// Wall time on a shared VM moves by ±20% from run to run, which hides the few-percent changes
// most speed work makes; the instruction count of the same program is reproducible to ~0.05%
// (issue 14, docs/design.md). It runs the workload LOW and HIGH times in one process each (the
// two at once), and reports (Ir(HIGH) − Ir(LOW)) ÷ (HIGH − LOW): start-up, compiling and the
// first runs' warm-up cancel out. V8 runs --single-threaded so that no compiler thread's work
// lands in the count at a different time.
//
//   node scripts/instructions.mjs WORKLOAD [LOW HIGH]     e.g. compute/20, spin:256:256:7812
//
// Compare two trees by running it in each. Cache misses: SMPSIM_CACHE_SIM=yes (much slower).
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const [spec, low = '2', high = '4'] = process.argv.slice(2);
if (spec === undefined || !(Number(high) > Number(low))) {
  console.error('usage: node scripts/instructions.mjs WORKLOAD [LOW HIGH] (HIGH > LOW runs)');
  process.exit(2);
}
// Inside the tree, so that the bundle's packages resolve from node_modules.
const dir = join(import.meta.dirname, '..', 'node_modules', '.cache', 'smpsim');
mkdirSync(dir, { recursive: true });
const bundle = join(dir, `instructions-driver-${process.pid}.mjs`);
await build({
  entryPoints: [join(import.meta.dirname, 'instructions', 'driver.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  outfile: bundle,
  logLevel: 'warning',
});
const run = promisify(execFile);
const cacheSim = process.env.SMPSIM_CACHE_SIM === 'yes' ? 'yes' : 'no';
async function count(runs) {
  const args = ['--tool=cachegrind', `--cache-sim=${cacheSim}`, '--smc-check=all-non-file'];
  args.push('--cachegrind-out-file=/dev/null', process.execPath, '--single-threaded', bundle, spec, runs);
  const { stdout, stderr } = await run('valgrind', args, { maxBuffer: 1 << 24 });
  const field = (label) =>
    Number(new RegExp(`${label}:\\s+([\\d,]+)`).exec(stderr)?.[1]?.replaceAll(',', ''));
  const work = stdout
    .trim()
    .split('\n')
    .at(-1)
    ?.replace(/^run \d+ /, '');
  return { ir: field('I\\s+refs'), d1: field('D1\\s+misses'), ll: field('LLd misses'), work };
}
try {
  const [a, b] = await Promise.all([count(low), count(high)]);
  const runs = Number(high) - Number(low);
  const per = (x, y) => Math.round((y - x) / runs);
  const events = Number(/events=(\d+)/.exec(b.work)?.[1]);
  const ir = per(a.ir, b.ir);
  console.log(
    `${spec}: ${(ir / 1e6).toFixed(1)} M instructions a warm run, ${(ir / events).toFixed(0)} an event (${b.work})`,
  );
  if (cacheSim === 'yes')
    console.log(`  D1 misses ${per(a.d1, b.d1)}, LL data misses ${per(a.ll, b.ll)} a warm run`);
  if (a.work !== b.work) console.log(`  the runs differ: ${a.work} | ${b.work}`);
} catch (error) {
  const lines = String(error?.stderr ?? error)
    .split('\n')
    .filter((l) => /Error/.test(l));
  console.error(`instructions: the run under valgrind failed: ${lines[0] ?? error}`);
  process.exitCode = 1;
} finally {
  rmSync(bundle, { force: true });
}
