// A workload that dies before it publishes (report/build.ts workloadMetrics): the run reports the
// kill, that workload counts as not completed, and the workloads after it keep their own outputs.
// Before, the outputs were matched by position among those that had one, and the report stopped
// with "internal error: workload outputs out of order".
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { smpsim } from '../support/cli.ts';

const DIES = join(import.meta.dirname, '..', 'fixtures', 'programs', 'dies-early.ts');

test('a workload killed before its output: the kill is reported, the next workload keeps its metrics', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'smpsim-die-')), 'die.toml');
  writeFileSync(
    file,
    `name = "die"
seed = 1
[machine]
cpus = 2
[kernel]
scheduler = "fair"
[[workload]]
kind = "program"
module = ${JSON.stringify(DIES)}
[[workload]]
kind = "spin"
threads = 1
iterations = 2
cycles = 1000
`,
  );
  const got = await smpsim('run', file, '--json');
  assert.equal(got.status, 1, got.err);
  const report = JSON.parse(got.out) as { failure: string | null; metrics: Record<string, number> };
  assert.match(
    report.failure ?? '',
    /pid 2 \(dies-early\) by SIGABRT: dies-early: faulting before any output/,
  );
  assert.equal(report.metrics['workload.0.completed'], 0);
  assert.equal(report.metrics['workload.1.completed'], 1);
  assert.equal(report.metrics['workload.spin.completed'], 1);
  assert.ok(
    (report.metrics['workload.spin.elapsed_ns'] ?? 0) > 0,
    'the spin workload published its own output',
  );
});
