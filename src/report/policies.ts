/**
 * `smpsim policies`: each scenario run under every scheduler policy (dwrr, redbear, fair), with
 * its `headline` metrics side by side, so one command compares the baseline, the plans as the
 * patches wrote them, and the improved design on the same workload (issue 3's table). Each run
 * takes the policy's preset (its tick source) as `--set kernel.scheduler=...` does; the
 * scenario's `[compare]` and expectations are not run.
 * @module
 */
import { SCHED_POLICIES, type RunConfig, type SchedPolicyName } from '../machine/config.ts';
import { type Runner, serialRunner } from './runner.ts';
import type { ModulePolicyColumn } from './scale.ts';

export const POLICIES_SCHEMA = 'smpsim.policies/1';

export interface PolicyCell {
  /** The metric's value, or null when the run did not produce it. */
  value: number | null;
  /** Why the run stopped early, if it did (a deadlock, a limit). */
  error: string | null;
  /** Guest processes killed in the run (a fault or a failed check in the guest). */
  killed: number;
}

export interface PolicyRow {
  scenario: string;
  metric: string;
  /** By policy: the built-in ones' names, and a policy module's label. */
  cells: Record<string, PolicyCell>;
}

export interface PoliciesReport {
  schema: typeof POLICIES_SCHEMA;
  policies: string[];
  rows: PolicyRow[];
}

/**
 * Runs each scenario (as `load` gives it, for a policy) under every policy. `load` returns the
 * scenario's configuration with that scheduler, or throws for a bad file; every file is loaded
 * before any run, so a bad one fails first. The runs are one batch for `runner` (the worker pool,
 * or this thread by default); the table is built from their reports in order.
 */
export async function runPolicies(
  scenarios: readonly string[],
  load: (scenario: string, policy: SchedPolicyName) => RunConfig,
  runner: Runner = serialRunner,
  module?: ModulePolicyColumn,
): Promise<PoliciesReport> {
  const policies: string[] = [...SCHED_POLICIES, ...(module === undefined ? [] : [module.label])];
  const plan = scenarios.map((scenario) => {
    const configs = policies.map((policy) => {
      // issue 22: a policy module's column runs on its preset's machine, with its own policy.
      const config = load(scenario, policy === module?.label ? module.preset : (policy as SchedPolicyName));
      if (policy === module?.label) config.kernel.policyModule = module.path;
      config.compare = [];
      config.expect = [];
      return config;
    });
    // The last policy's name and headline, as the table has always shown them.
    return { configs, name: configs.at(-1)!.name, headline: configs.at(-1)!.headline };
  });
  // A headline metric one policy does not report is a cell without a value, not bad input.
  const reports = await runner(
    plan.flatMap((p) => p.configs.map((config) => ({ config, skipNameChecks: true }))),
  );
  const rows: PolicyRow[] = [];
  plan.forEach((p, s) => {
    const mine = reports.slice(s * policies.length, (s + 1) * policies.length);
    for (const metric of p.headline) {
      const cells: Record<string, PolicyCell> = {};
      policies.forEach((policy, i) => {
        const run = mine[i]!;
        cells[policy] = {
          value: run.metrics[metric] ?? null,
          error: run.error ?? null,
          killed: run.metrics['processes.killed'] ?? 0,
        };
      });
      rows.push({ scenario: p.name, metric, cells });
    }
  });
  return { schema: POLICIES_SCHEMA, policies, rows };
}

/** A value at 4 significant digits (integers as they are), or the reason there is none. */
function cellText(cell: PolicyCell): string {
  if (cell.value === null) return cell.error !== null ? 'stopped' : cell.killed > 0 ? 'killed' : 'n/a';
  const v = cell.value;
  if (Number.isInteger(v)) return String(v);
  return Number(v.toPrecision(4)).toString();
}

export function formatPolicies(report: PoliciesReport): string {
  const header = ['scenario', 'metric', ...report.policies];
  const body = report.rows.map((r) => [
    r.scenario,
    r.metric,
    ...report.policies.map((p) => cellText(r.cells[p]!)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const failures = new Set<string>();
  for (const r of report.rows) {
    for (const p of report.policies) {
      const e = r.cells[p]!.error;
      if (e !== null) failures.add(`${r.scenario} under ${p}: ${e.split('\n')[0]}`);
    }
  }
  const notes = [...failures].map((f) => `  ${f}`);
  const legend = 'stopped: the run ended early (below); killed: a guest process died before reporting';
  return `${[line(header), ...body.map(line), '', legend, ...(notes.length > 0 ? ['', 'runs that stopped early:', ...notes] : [])].join('\n')}\n`;
}

/** The same table in Markdown, for the README. */
export function policiesMarkdown(report: PoliciesReport): string[] {
  return [
    `| scenario | metric | ${report.policies.join(' | ')} |`,
    `|---|---|${report.policies.map(() => '---:').join('|')}|`,
    ...report.rows.map(
      (r) =>
        `| ${r.scenario} | \`${r.metric}\` | ${report.policies.map((p) => cellText(r.cells[p]!)).join(' | ')} |`,
    ),
  ];
}
