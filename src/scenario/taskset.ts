/**
 * A periodic task set as SimSo describes one (issue 23, exact global EDF): a list of tasks,
 * each with `wcet_us`, `period_us`, `deadline_us` (relative; the period when absent) and
 * `offset_us` (SimSo's activation date; 0 when absent). The same list from TOML
 * (`[[workload.tasks]]`) or JSON (an array of objects). Bad input is one ScenarioError naming
 * the file, the field and what is allowed.
 */
import type { PeriodicTask } from '../kernel/sched/gedf-exact.ts';
import { ScenarioError } from './errors.ts';

const TASK_KEYS = ['wcet_us', 'period_us', 'deadline_us', 'offset_us'];
const US_MAX = 3_600_000_000; // an hour: far beyond any simulated run

function field(
  file: string,
  at: string,
  row: Record<string, unknown>,
  key: string,
  fallback?: number,
): number {
  const v = row[key];
  if (v === undefined && fallback !== undefined) return fallback;
  const min = key === 'offset_us' ? 0 : 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > US_MAX) {
    const problem = v === undefined ? 'is missing' : `is ${JSON.stringify(v)}`;
    throw new ScenarioError({
      file,
      field: `${at}.${key}`,
      problem,
      allowed: `an integer ${min}..${US_MAX}`,
    });
  }
  return v;
}

/** The tasks of `value` (ids are the list positions), times in ns. */
export function readTaskSet(file: string, at: string, value: unknown): PeriodicTask[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new ScenarioError({
      file,
      field: at,
      problem: 'is not a list of tasks',
      allowed: 'a non-empty list',
    });
  return value.map((raw, id) => {
    const where = `${at}.${id}`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw new ScenarioError({
        file,
        field: where,
        problem: 'is not a table',
        allowed: TASK_KEYS.join(', '),
      });
    const row = raw as Record<string, unknown>;
    const unknown = Object.keys(row).find((k) => !TASK_KEYS.includes(k));
    if (unknown !== undefined)
      throw new ScenarioError({
        file,
        field: `${where}.${unknown}`,
        problem: 'is not a task field',
        allowed: TASK_KEYS.join(', '),
      });
    const period = field(file, where, row, 'period_us');
    const wcet = field(file, where, row, 'wcet_us');
    const deadline = field(file, where, row, 'deadline_us', period);
    const offset = field(file, where, row, 'offset_us', 0);
    return {
      id,
      wcet_ns: wcet * 1000,
      period_ns: period * 1000,
      deadline_ns: deadline * 1000,
      offset_ns: offset * 1000,
    };
  });
}
