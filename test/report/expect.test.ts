// Expectation checks against a run's metrics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateExpectations } from '../../src/report/expect.ts';

test('equals on an integer is exact', () => {
  const [hit, miss] = evaluateExpectations(
    [
      { metric: 'n', equals: 148933 },
      { metric: 'n', equals: 148934 },
    ],
    { n: 148933 },
  );
  assert.deepEqual(hit, { metric: 'n', op: 'equals', expected: 148933, actual: 148933, pass: true });
  assert.equal(miss?.pass, false);
  assert.equal(evaluateExpectations([{ metric: 'n', equals: 3 }], { n: 3 + 1e-12 })[0]?.pass, false);
});

test('equals on a non-integer allows a relative error of 1e-9', () => {
  const check = (actual: number) =>
    evaluateExpectations([{ metric: 'u', equals: 0.75 }], { u: actual })[0]?.pass;
  assert.equal(check(0.75 * (1 + 5e-10)), true);
  assert.equal(check(0.75 * (1 + 5e-9)), false);
});

test('min and max are inclusive bounds', () => {
  const results = evaluateExpectations(
    [
      { metric: 's', min: 1.6 },
      { metric: 's', max: 1.6 },
      { metric: 's', min: 1.7, note: 'SCHED-13' },
    ],
    { s: 1.6 },
  );
  assert.deepEqual(
    results.map((r) => [r.op, r.pass]),
    [
      ['min', true],
      ['max', true],
      ['min', false],
    ],
  );
  assert.equal(results[2]?.note, 'SCHED-13');
});

test('a missing or NaN metric fails, with actual null when missing', () => {
  const [missing, nan, inherited] = evaluateExpectations(
    [
      { metric: 'absent', min: 0 },
      { metric: 'nan', max: 1 },
      { metric: 'toString', min: 0 },
    ],
    { nan: Number.NaN },
  );
  assert.deepEqual(missing, { metric: 'absent', op: 'min', expected: 0, actual: null, pass: false });
  assert.equal(nan?.pass, false);
  assert.equal(inherited?.actual, null);
});
