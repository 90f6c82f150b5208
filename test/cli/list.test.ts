// `smpsim list`'s scan of scenarios/seeds/: names, first description lines, and unreadable files.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatList, listEverything, listSeedScenarios } from '../../src/cli/list.ts';
import { COST_NAMES } from '../../src/hw/cost-model.ts';

test('seed scenarios are listed in file order with name and first description line', () => {
  const root = mkdtempSync(join(tmpdir(), 'smpsim-list-'));
  const seeds = join(root, 'scenarios', 'seeds');
  mkdirSync(seeds, { recursive: true });
  writeFileSync(join(seeds, 'b.toml'), 'name = "beta"\ndescription = """\nFirst line.\nSecond line.\n"""\n');
  writeFileSync(join(seeds, 'a.toml'), 'seed = 3\n');
  writeFileSync(join(seeds, 'c.toml'), 'name = [\n');
  writeFileSync(join(seeds, 'notes.md'), '# not a scenario\n');
  const listed = listSeedScenarios(root);
  assert.deepEqual(
    listed.map((s) => [s.file, s.name, s.description]),
    [
      ['scenarios/seeds/a.toml', 'a', ''],
      ['scenarios/seeds/b.toml', 'beta', 'First line.'],
      ['scenarios/seeds/c.toml', 'c', ''],
    ],
  );
  assert.match(listed[2]?.error ?? '', /^Invalid TOML document/);
});

test('a package without scenarios/seeds lists no scenarios', () => {
  assert.deepEqual(listSeedScenarios(mkdtempSync(join(tmpdir(), 'smpsim-list-'))), []);
});

test('list shows every cost-model parameter with its default and its source', () => {
  const result = listEverything(join(import.meta.dirname, '..', '..'));
  const jitter = result.costs.find((c) => c.name === 'computeJitterPpm');
  assert.deepEqual(jitter, {
    name: 'computeJitterPpm',
    default: 20000,
    source: 'run-to-run variation of a compute burst, +-2%',
  });
  assert.equal(result.costs.length, COST_NAMES.length);
  assert.match(formatList(result), /^ {2}ipiLatencyNs\s+1000\s+IPI send to remote handler entry/m);
});
