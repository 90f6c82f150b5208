// `[kernel] paging` and `fork` (scenario/tlb.ts readKernelMm; kernel/mm-options.ts): absent
// unless given, so no existing scenario changes, and a bad value is one line naming the field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScenarioError } from '../../src/scenario/errors.ts';
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
