// Regenerates the README's model-produced parts, so its figures stay what the model gives
// (test/readme.test.ts checks them):
// - the seed-scenario part of the demo block, from `smpsim demo`;
// - the futex benchmark: re-records bench/results/futex/<newest>.json from `smpsim bench futex`
//   (simulated, hence deterministic) and rewrites the table from it;
// - the policy comparison table, from `smpsim policies --markdown`;
// - the clock and CPU-frequency tables, from the tsc-calibration and cpufreq-governors seeds.
// - the bring-up time table per protocol and CPU count, from src/report/boot-table.ts.
// - the preset table per scheduler policy, from src/machine/defaults.ts POLICY_PRESETS.
// - the TLB shootdown protocol table, from src/report/tlb-protocols.ts.
// - the interrupts-and-devices table, from src/report/devices-table.ts.
// - the explorer's budget table, from running its buggy models (src/explore/budgets.ts).
// - the thread- and process-creation tables, from the thread-create-cost and spawn-cost seeds
//   (src/report/creation-table.ts).
// - the capability-ring scaling table, from the primes study on capring (src/report/ring-table.ts).
// Usage: node scripts/update-readme.mjs
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { register } from 'tsx/esm/api';

register();
const { benchFutexMarkdown, runBenchFutex } = await import('../src/report/bench-futex.ts');
const { clocksMarkdown, CPUFREQ_SCENARIO, TSC_SCENARIO } = await import('../src/report/clocks-table.ts');
const { bootTimesMarkdown } = await import('../src/report/boot-table.ts');
const { policyPresetsMarkdown } = await import('../src/machine/defaults.ts');
const { tlbProtocolsMarkdown } = await import('../src/report/tlb-protocols.ts');
const { devicesMarkdown } = await import('../src/report/devices-table.ts');
const { loadScenarioFile } = await import('../src/scenario/load.ts');
const { foundBudgetsMarkdown } = await import('../src/explore/budgets.ts');
const { spawnMarkdown, threadCreateMarkdown } = await import('../src/report/creation-table.ts');
const { ringScalingMarkdown } = await import('../src/report/ring-table.ts');

const root = join(import.meta.dirname, '..');
const smpsim = (...args) =>
  execFileSync(process.execPath, [join(root, 'bin', 'smpsim.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
const readme = readFileSync(join(root, 'README.md'), 'utf8').split('\n');

/** Replaces README lines [from, to) with `lines`. */
function splice(from, to, lines, what) {
  if (from < 0 || to < 0) throw new Error(`update-readme: README has no ${what}`);
  readme.splice(from, to - from, ...lines);
  console.log(`README.md: ${lines.length} lines of ${what}`);
}

// Seed scenarios.
const demo = smpsim('demo').split('\n');
const start = demo.findIndex((l) => l.startsWith('3. Seed scenarios'));
let end = demo.findIndex((l, i) => i > start && l.startsWith('demo:'));
while (end > start && demo[end - 1].trim() === '') end--;
if (start < 0 || end < 0) throw new Error('update-readme: demo output has no seed-scenario section');
const from = readme.findIndex((l) => l.startsWith('3. Seed scenarios'));
splice(
  from,
  readme.findIndex((l, i) => i > from && l.startsWith('```')),
  demo.slice(start, end),
  'seed scenarios',
);

// Futex benchmark.
const dir = join(root, 'bench', 'results', 'futex');
const newest = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .at(-1);
const futex = await runBenchFutex({ quick: false });
writeFileSync(join(dir, newest), `${JSON.stringify(futex, null, 2)}\n`);
const table = benchFutexMarkdown(futex);
const head = readme.findIndex((l) => l.startsWith('| shape | CPUs | global lock ops/s'));
let tail = head;
while (tail < readme.length && readme[tail].startsWith('|')) tail++;
splice(head, tail, table, 'futex benchmark table');

// The policy comparison table (issue 3), from `smpsim policies --markdown`.
const policies = smpsim('policies', '--markdown').trimEnd().split('\n');
const pBegin = readme.findIndex((l) => l.startsWith('<!-- policies:begin'));
const pEnd = readme.findIndex((l) => l.startsWith('<!-- policies:end'));
splice(pBegin + 1, pEnd, policies, 'policy comparison table');

// The clock and CPU-frequency tables (issue 16), from the two seed scenarios' runs.
const seedRun = (file) => JSON.parse(smpsim('run', join(root, 'scenarios', 'seeds', file), '--json'));
const clocks = clocksMarkdown(seedRun(TSC_SCENARIO), seedRun(CPUFREQ_SCENARIO));
const cBegin = readme.findIndex((l) => l.startsWith('<!-- clocks:begin'));
const cEnd = readme.findIndex((l) => l.startsWith('<!-- clocks:end'));
splice(cBegin + 1, cEnd, clocks, 'clock and cpufreq tables');

// The bring-up time table (issue 16), from the bring-up programs.
const bBegin = readme.findIndex((l) => l.startsWith('<!-- boot:begin'));
const bEnd = readme.findIndex((l) => l.startsWith('<!-- boot:end'));
splice(bBegin + 1, bEnd, bootTimesMarkdown(), 'bring-up time table');

// The preset table per scheduler policy (issue 13), from POLICY_PRESETS.
const sBegin = readme.findIndex((l) => l.startsWith('<!-- presets:begin'));
const sEnd = readme.findIndex((l) => l.startsWith('<!-- presets:end'));
splice(sBegin + 1, sEnd, policyPresetsMarkdown(), 'policy preset table');

// The TLB shootdown protocol table (issue 15), from the model.
const tlb = tlbProtocolsMarkdown((file, protocol) =>
  loadScenarioFile(join(root, 'scenarios', 'seeds', file), { set: [`kernel.tlb="${protocol}"`] }),
);
const tBegin = readme.findIndex((l) => l.startsWith('<!-- tlb:begin'));
const tEnd = readme.findIndex((l) => l.startsWith('<!-- tlb:end'));
splice(tBegin + 1, tEnd, tlb, 'TLB protocol table');

// The interrupts-and-devices table (issue 18), from the device seeds and their variants.
const devices = devicesMarkdown((file) => loadScenarioFile(join(root, 'scenarios', 'seeds', file)));
const dBegin = readme.findIndex((l) => l.startsWith('<!-- devices:begin'));
const dEnd = readme.findIndex((l) => l.startsWith('<!-- devices:end'));
splice(dBegin + 1, dEnd, devices, 'devices table');

// The explorer's budget table (issue 17), from running the buggy models.
const eBegin = readme.findIndex((l) => l.startsWith('<!-- explore:begin'));
const eEnd = readme.findIndex((l) => l.startsWith('<!-- explore:end'));
splice(eBegin + 1, eEnd, foundBudgetsMarkdown(), 'explorer budget table');

// Thread and process creation (issue 24), from the thread-create-cost and spawn-cost seeds.
const loadSeed = (file) => loadScenarioFile(join(root, 'scenarios', 'seeds', file), {});
const creation = [...threadCreateMarkdown(loadSeed), '', ...spawnMarkdown(loadSeed)];
const crBegin = readme.findIndex((l) => l.startsWith('<!-- creation:begin'));
const crEnd = readme.findIndex((l) => l.startsWith('<!-- creation:end'));
splice(crBegin + 1, crEnd, creation, 'creation tables');
// The capability-ring scaling table (issue 20), from the primes study on the capring personality.
const rBegin = readme.findIndex((l) => l.startsWith('<!-- rings:begin'));
const rEnd = readme.findIndex((l) => l.startsWith('<!-- rings:end'));
splice(rBegin + 1, rEnd, await ringScalingMarkdown(), 'capability-ring scaling table');
// The same study with a ring sleep after every segment (issue 20, RING-2's waits).
const { RING_TABLE_SLEEP_NS } = await import('../src/report/ring-table.ts');
const rwBegin = readme.findIndex((l) => l.startsWith('<!-- rings-wait:begin'));
const rwEnd = readme.findIndex((l) => l.startsWith('<!-- rings-wait:end'));
splice(rwBegin + 1, rwEnd, await ringScalingMarkdown(RING_TABLE_SLEEP_NS), 'capability-ring waiting table');

writeFileSync(join(root, 'README.md'), readme.join('\n'));
