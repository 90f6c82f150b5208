/**
 * One run of each seed scenario per process, shared by the tests that need it: the seed checks
 * (test/scenarios/seeds.test.ts) and the README's demo figures (test/readme.test.ts) used to run
 * the same scenarios again each. `seedRun(file)` runs the file as written, `seedRun(file, seed)`
 * under another seed (expectations-only runs for extra seeds reuse it); each (file, seed) runs
 * once. The determinism check's second run must not come from here: it is a fresh run on purpose.
 * The test runner (scripts/run-tests.mjs) puts both test files in one process so they share.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type ScenarioResult, seedScenarioResult } from '../../src/cli/demo.ts';
import { listSeedScenarios } from '../../src/cli/list.ts';
import type { RunConfig } from '../../src/machine/config.ts';
import { runConfig } from '../../src/report/run.ts';
import type { RunReport } from '../../src/report/types.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';

export const PACKAGE_ROOT = join(import.meta.dirname, '..', '..');
export const SEEDS_DIR = join(PACKAGE_ROOT, 'scenarios', 'seeds');

/** The seed scenario files (names under scenarios/seeds/), sorted. */
export function seedFiles(): string[] {
  return readdirSync(SEEDS_DIR)
    .filter((f) => f.endsWith('.toml'))
    .sort();
}

/** Loads a seed scenario, under `seed` if given, as `smpsim run` and the demo do. */
export function loadSeed(file: string, seed?: number): RunConfig {
  return loadScenarioFile(join(SEEDS_DIR, file), { seed });
}

export interface SeedRun {
  config: RunConfig;
  report: RunReport;
}

const runs = new Map<string, SeedRun>();

/** The one run of `file` (under `seed`, or its own) in this process. */
export function seedRun(file: string, seed?: number): SeedRun {
  const key = `${file}@${seed ?? 'own'}`;
  let run = runs.get(key);
  if (run === undefined) {
    // The report's config is loaded apart from the one run, so nothing the run does to it shows.
    run = { config: loadSeed(file, seed), report: runConfig(loadSeed(file, seed)) };
    runs.set(key, run);
  }
  return run;
}

/** The demo's seed-scenario section from the shared runs (for `runDemo(root, seedScenarioResults)`). */
export function seedScenarioResults(packageRoot: string): ScenarioResult[] {
  return listSeedScenarios(packageRoot).map((listed) => {
    const { config, report } = seedRun(basename(listed.file));
    return seedScenarioResult(listed, config, report);
  });
}
