/**
 * `[[step]]` tables (issue 18): actions a scenario takes at a simulated time, beside its
 * workloads. Today: take a CPU offline or bring it back, as a root process writing `0` or `1` to
 * Linux's `/sys/devices/system/cpu/cpuN/online` would (machine/scenario-steps.ts runs them).
 *
 * ```toml
 * [[step]]
 * at_us = 2000             # from the start of the workloads, in µs
 * action = "cpu_offline"   # or "cpu_online"
 * cpu = 2
 * ```
 * Steps run in the order given and must not go back in time; a CPU that does not exist is
 * refused here, and what the kernel refuses (the BSP: EPERM; a Redox kernel: EOPNOTSUPP) is the
 * step's `errno` metric.
 */
import { type ScenarioStep, STEP_ACTIONS } from '../machine/config.ts';
import { fail, kindOf, own, type ReadContext, readChoice, readInt, readTable, type Table } from './fields.ts';

const STEP_KEYS = ['at_us', 'action', 'cpu'];
/** Steps a scenario may have: a timeline, not a program. */
export const STEPS_MAX = 64;
/** The latest a step may be: 100 simulated seconds. */
export const STEP_AT_US_MAX = 100_000_000;

export function readSteps(ctx: ReadContext, top: Table, cpus: number): ScenarioStep[] {
  const value = own(top, 'step');
  if (value === undefined) return [];
  if (!Array.isArray(value))
    fail(ctx, 'step', `expected an array of tables ([[step]]), got ${kindOf(value)}`);
  if (value.length > STEPS_MAX)
    fail(ctx, 'step', `${value.length} entries`, `at most ${STEPS_MAX} [[step]] tables`);
  let lastUs = 0;
  return value.map((entry, i) => {
    const prefix = `step.${i}`;
    const table = readTable(ctx, entry, prefix, STEP_KEYS);
    const atUs = readInt(ctx, table, 'at_us', prefix, { min: 0, max: STEP_AT_US_MAX });
    if (atUs < lastUs)
      fail(ctx, `${prefix}.at_us`, `${atUs} is before the step above it (${lastUs})`, `at least ${lastUs}`);
    lastUs = atUs;
    const action = readChoice(ctx, table, 'action', prefix, { choices: STEP_ACTIONS, noun: 'a step action' });
    const cpu = readInt(ctx, table, 'cpu', prefix, { min: 0, max: cpus - 1 });
    return { atUs, action, cpu };
  });
}
