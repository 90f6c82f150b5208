// `[kernel] paging` and `fork` (scenario/tlb.ts readKernelMm; kernel/mm-options.ts): absent
// unless given, so no existing scenario changes, and a bad value is one line naming the field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { readKernelMm } from '../../src/scenario/tlb.ts';

const ctx = { file: 'scenarios/x.toml' };

test('paging and fork: absent, one given, both given', () => {
  assert.deepEqual(readKernelMm(ctx, {}), {});
  assert.deepEqual(readKernelMm(ctx, { paging: 'demand' }), { mm: { paging: 'demand', fork: 'copy' } });
  assert.deepEqual(readKernelMm(ctx, { fork: 'cow' }), { mm: { paging: 'eager', fork: 'cow' } });
  assert.deepEqual(readKernelMm(ctx, { paging: 'eager', fork: 'cow' }), {
    mm: { paging: 'eager', fork: 'cow' },
  });
});

test('a bad paging or fork mode is one line naming the field and the allowed values', () => {
  const cases: [Record<string, unknown>, string][] = [
    [
      { paging: 'lazy' },
      'scenarios/x.toml: kernel.paging: "lazy" is not a paging mode (allowed: eager, demand)',
    ],
    [{ fork: 1 }, 'scenarios/x.toml: kernel.fork: 1 is not a fork mode (allowed: copy, cow)'],
  ];
  for (const [table, message] of cases) {
    assert.throws(
      () => readKernelMm(ctx, table),
      (e: unknown) => e instanceof ScenarioError && e.message === message,
      message,
    );
  }
});

test('fork = "cow" needs futex mode linux: frame-keyed futexes would move with a copy', () => {
  const text = (futex: string) =>
    `name = "x"\n[kernel]\nscheduler = "fair"\nfutex = { mode = "${futex}", shards = 64 }\nfork = "cow"\n[[workload]]\nkind = "program"\nprogram = "forkcow"\n`;
  assert.equal(parseScenario(text('linux'), 'x.toml').kernel.mm?.fork, 'cow');
  assert.throws(
    () => parseScenario(text('redbear'), 'x.toml'),
    (e: unknown) =>
      e instanceof ScenarioError &&
      e.message ===
        'x.toml: kernel.fork: "cow" needs futex mode "linux", not "redbear" (allowed: copy, or futex mode linux)',
  );
});
