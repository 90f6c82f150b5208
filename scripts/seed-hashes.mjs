// Prints each seed scenario's trace hash, simulated time and pass/fail, one line per file, so a
// structural change can show that no seed moved (issue 13: "every seed scenario keeps its trace
// hash unless a commit says why it moved"). Compare two trees by diffing this script's output.
//
//   node --import tsx scripts/seed-hashes.mjs [name-fragment...]
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runConfig } from '../src/report/run.ts';
import { loadScenarioFile } from '../src/scenario/load.ts';

const dir = join(import.meta.dirname, '..', 'scenarios', 'seeds');
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.toml'))
  .filter((f) => filters.length === 0 || filters.some((part) => f.includes(part)))
  .sort();
for (const file of files) {
  const report = runConfig(loadScenarioFile(join(dir, file), {}));
  console.log(`${file} ${report.trace_hash} sim_ns=${report.sim_ns} passed=${report.passed}`);
}
