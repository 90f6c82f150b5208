/** Checks a run's metrics against a scenario's `[[expect]]` entries. */
import type { Expectation } from '../machine/config.ts';
import type { ExpectationResult } from './types.ts';

/** Relative tolerance for `equals` on non-integers, so that float summation order cannot fail a check. */
export const EQUALS_RELATIVE_TOLERANCE = 1e-9;

/**
 * One result per expectation, in order. A metric the run did not produce fails with `actual: null`
 * rather than being skipped, because a silently missing figure would hide a broken workload.
 */
export function evaluateExpectations(
  expect: readonly Expectation[],
  metrics: Readonly<Record<string, number>>,
): ExpectationResult[] {
  return expect.map((e) => {
    const [op, expected] = comparison(e);
    const value = Object.hasOwn(metrics, e.metric) ? metrics[e.metric] : undefined;
    const actual = typeof value === 'number' ? value : null;
    const result: ExpectationResult = {
      metric: e.metric,
      op,
      expected,
      actual,
      pass: actual !== null && passes(op, expected, actual),
    };
    if (e.note !== undefined) result.note = e.note;
    return result;
  });
}

function comparison(e: Expectation): ['equals' | 'min' | 'max', number] {
  if (e.equals !== undefined) return ['equals', e.equals];
  if (e.min !== undefined) return ['min', e.min];
  if (e.max !== undefined) return ['max', e.max];
  throw new Error(`expect: ${e.metric} has no comparison (the scenario validator should have rejected it)`);
}

function passes(op: 'equals' | 'min' | 'max', expected: number, actual: number): boolean {
  if (Number.isNaN(actual)) return false;
  if (op === 'min') return actual >= expected;
  if (op === 'max') return actual <= expected;
  // An integer expectation is a count (primes found, wakeups), where "close" would hide a real bug.
  if (Number.isInteger(expected)) return actual === expected;
  const scale = Math.max(Math.abs(expected), Math.abs(actual));
  return Math.abs(actual - expected) <= EQUALS_RELATIVE_TOLERANCE * scale;
}
