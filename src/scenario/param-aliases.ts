/**
 * A program parameter given under one of its aliases (the real tool's option name, issue 22)
 * is read as the parameter itself; giving it twice, under two of its names, is bad input
 * naming both.
 */
import type { ParamSpec } from '../workloads/program.ts';
import { fail, fieldPath, type ReadContext } from './fields.ts';

export function withAliasesResolved(
  ctx: ReadContext,
  table: Record<string, unknown>,
  prefix: string,
  specs: readonly ParamSpec[],
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...table };
  for (const spec of specs) {
    const names = [spec.name, ...(spec.aliases ?? [])].filter((n) => Object.hasOwn(table, n));
    if (names.length > 1) {
      fail(
        ctx,
        fieldPath(prefix, names[1]!),
        `is ${names[0]} again under another name`,
        `one of ${[spec.name, ...(spec.aliases ?? [])].join(', ')}`,
      );
    }
    const alias = names[0];
    if (alias === undefined || alias === spec.name) continue;
    out[spec.name] = table[alias];
    delete out[alias];
  }
  return out;
}
