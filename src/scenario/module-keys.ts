/**
 * The scenario keys that name a user module (issue 22): `[kernel] scheduler = { module, preset }`
 * and a `[[workload]]`'s `module`. A module path is relative to the scenario file. The module
 * must have been loaded already (scenario/load-modules.ts does it before validation: importing
 * is asynchronous, validation is not); the CLI and `loadScenario` always do.
 */
import { SCHEDULERS, type SchedPolicyName } from '../machine/config.ts';
import { modulePath } from '../machine/load-module.ts';
import { programFromModule } from '../machine/program-module.ts';
import { loadedModule } from '../machine/load-module.ts';
import type { GuestProgram } from '../workloads/program.ts';
import {
  fail,
  fieldPath,
  isTable,
  kindOf,
  own,
  type ReadContext,
  readChoice,
  readString,
  readTable,
} from './fields.ts';

/** The preset a module policy's machine takes when the scenario names none. */
export const MODULE_POLICY_PRESET: SchedPolicyName = 'fair';

/** `[kernel] scheduler`: a built-in's name, or `{ module = "…", preset = "…" }`. */
export function readSchedulerKey(
  ctx: ReadContext,
  table: Record<string, unknown>,
  fallback: SchedPolicyName,
): { scheduler: SchedPolicyName; policyModule?: string } {
  const value = own(table, 'scheduler');
  if (!isTable(value)) {
    const scheduler = readChoice(ctx, table, 'scheduler', 'kernel', {
      choices: SCHEDULERS,
      noun: 'a scheduler',
      fallback,
    });
    return { scheduler };
  }
  const sub = readTable(ctx, value, 'kernel.scheduler', ['module', 'preset']);
  const scheduler = readChoice(ctx, sub, 'preset', 'kernel.scheduler', {
    choices: SCHEDULERS,
    noun: 'a preset',
    fallback: MODULE_POLICY_PRESET,
  });
  return { scheduler, policyModule: readModulePath(ctx, sub, 'kernel.scheduler') };
}

/** A `module` key: the absolute path of a module already loaded. */
function readModulePath(ctx: ReadContext, table: Record<string, unknown>, prefix: string): string {
  const file = readString(ctx, table, 'module', prefix);
  const path = modulePath(file, ctx.dir);
  if (loadedModule(path) === undefined)
    fail(
      ctx,
      fieldPath(prefix, 'module'),
      `${file} was not loaded before validation`,
      'scenario files naming modules are read with loadScenario or the smpsim command',
    );
  return path;
}

/** A `[[workload]]` table's `module`: its path and program, or null when it has no such key. */
export function readWorkloadModule(
  ctx: ReadContext,
  value: Record<string, unknown>,
  prefix: string,
): { path: string; program: GuestProgram } | null {
  if (own(value, 'module') === undefined) return null;
  if (own(value, 'program') !== undefined)
    fail(
      ctx,
      fieldPath(prefix, 'program'),
      'a workload names a built-in program or a module, not both',
      'program, or module',
    );
  if (typeof own(value, 'module') !== 'string')
    fail(
      ctx,
      fieldPath(prefix, 'module'),
      `expected a string, got ${kindOf(own(value, 'module'))}`,
      'a path to a .ts or .js file',
    );
  const path = readModulePath(ctx, value, prefix);
  return { path, program: programFromModule(path)! };
}
