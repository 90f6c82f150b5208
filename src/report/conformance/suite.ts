/**
 * `smpsim check-policy FILE` (issue 22): the conformance cases under dwrr, redbear, fair and
 * your policy module, side by side, and the verdict on the module: it passes when every case
 * conforms or departs as a documented exception whose own bound holds.
 * @module
 */
import { loadedModule, ModuleError } from '../../machine/load-module.ts';
import { SCHED_POLICIES } from '../../machine/config.ts';
import { CONFORMANCE_CASES } from './cases.ts';
import type { PolicyUnderTest } from './machine.ts';
import { type CaseResult, MODULE_EXCEPTION_CASES, type ModuleException, verdictOf } from './verdict.ts';

export const CHECK_POLICY_SCHEMA = 'smpsim.check-policy/1';

export interface ConformanceColumn {
  policy: string;
  results: CaseResult[];
  /** No case failed. */
  conforms: boolean;
}

export interface ConformanceReport {
  schema: typeof CHECK_POLICY_SCHEMA;
  cases: { name: string; conforming: string; measures: string }[];
  columns: ConformanceColumn[];
}

/** The built-in policies as columns. */
export function builtInColumns(): PolicyUnderTest[] {
  return SCHED_POLICIES.map((p) => ({ label: p, preset: p }));
}

/** Runs every case under every policy (a module's, loaded already, among them). */
export function runConformance(policies: readonly PolicyUnderTest[]): ConformanceReport {
  const columns = policies.map((policy) => {
    const exceptions = policy.module === undefined ? {} : moduleExceptions(policy.module);
    const results = CONFORMANCE_CASES.map((c) => verdictOf(c.name, policy, c.measure(policy), exceptions));
    return { policy: policy.label, results, conforms: results.every((r) => r.verdict !== 'FAIL') };
  });
  const cases = CONFORMANCE_CASES.map((c) => ({
    name: c.name,
    conforming: c.conforming,
    measures: c.measures,
  }));
  return { schema: CHECK_POLICY_SCHEMA, cases, columns };
}

/** A module's `conformanceExceptions` export, checked: one-line errors name the file and the key. */
export function moduleExceptions(path: string): Record<string, ModuleException> {
  const raw = loadedModule(path)?.conformanceExceptions;
  if (raw === undefined) return {};
  const bad = (field: string, problem: string, allowed: string): never => {
    throw new ModuleError({ file: path, field: `conformanceExceptions${field}`, problem, allowed });
  };
  if (typeof raw !== 'object' || raw === null) bad('', 'is not an object', '{ "<case>": { reason, max } }');
  const out: Record<string, ModuleException> = {};
  for (const [name, value] of Object.entries(raw as object)) {
    if (!MODULE_EXCEPTION_CASES.includes(name))
      bad(`.${name}`, 'is not a case that takes an exception', MODULE_EXCEPTION_CASES.join(', '));
    const e = value as Partial<ModuleException>;
    if (typeof e?.reason !== 'string' || e.reason === '')
      bad(`.${name}.reason`, 'is missing', 'one line saying why');
    if (typeof e.max !== 'number' || !(e.max > 0))
      bad(`.${name}.max`, 'is not a positive number', "the case's bound, in ns");
    out[name] = { reason: e.reason!, max: e.max! };
  }
  return out;
}

/** How a case's figures print in a cell. */
function figures(r: CaseResult): string {
  return r.values.map((v) => (Math.abs(v) >= 100_000 ? `${(v / 1e6).toFixed(2)}ms` : String(v))).join('/');
}

/** The table: one row per case, one column per policy, then each exception's and failure's note. */
export function formatConformance(report: ConformanceReport): string {
  const header = ['case', ...report.columns.map((c) => c.policy)];
  const rows = report.cases.map((c, i) => [
    c.name,
    ...report.columns.map((col) => `${col.results[i]!.verdict} ${figures(col.results[i]!)}`),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const notes = report.columns.flatMap((col) =>
    col.results
      .filter((r) => r.note !== '')
      .map((r) => `  ${col.policy}, ${r.case}: ${r.verdict}: ${r.note}`),
  );
  const verdicts = report.columns.map((c) => `${c.policy} ${c.conforms ? 'conforms' : 'DOES NOT CONFORM'}`);
  const legend = report.cases.map((c) => `  ${c.name}: ${c.measures}`);
  return `${[line(header), ...rows.map(line), '', 'figures:', ...legend, '', ...notes, '', verdicts.join('; ')].join('\n')}\n`;
}
