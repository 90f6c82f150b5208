/** `smpsim list`: the built-in workloads, scheduler policies, tick sources and seed scenarios. */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'smol-toml';
import {
  SCHEDULERS,
  type SchedPolicyName,
  TICK_SOURCES,
  type TickSourceName,
  WORKLOAD_KINDS,
  type WorkloadKind,
} from '../machine/config.ts';
import { COST_NAMES, costSource, resolveCostModel } from '../hw/cost-model.ts';
import type { ParamSpec } from '../workloads/program.ts';
import { PROGRAMS, programNames } from '../workloads/registry.ts';
import { table } from './format.ts';

const COST_DEFAULTS = resolveCostModel();

const WORKLOAD_DESCRIPTIONS: Record<WorkloadKind, string> = {
  primes: 'segmented prime counting split over workers (processes or threads); the scaling workload',
  spin: 'CPU-bound threads that only compute; measures the simulator itself',
  pingpong: 'pairs of threads handing a token back and forth through futexes',
  futexhash:
    'threads calling FUTEX_WAIT with a value that never matches: futex table lock throughput (perf bench futex hash)',
  program: 'a named guest program with its own parameters (`program = "<name>"`; see guest programs below)',
  rtapp:
    'an rt-app JSON task description (`file = "tasks.json"`): run, sleep, timer, lock/unlock, wait/signal, barrier; per-task period, run, slack, wake-up latency',
};

const POLICY_DESCRIPTIONS: Record<SchedPolicyName, string> = {
  dwrr: 'baseline: DWRR over one global queue set, one global switch lock, deferred wakeups (SCHED-1)',
  redbear:
    'Red Bear patches as written: RT pass, min-vruntime pass, per-CPU queues, stealing, 100 ms balancing that overwrites affinity (models.md §1.7)',
  fair: 'improved: per-CPU run queues, CFS-style vruntime, placement, stealing, balancing (SCHED-2..4)',
  gedf: 'exact global EDF for SCHED_DEADLINE task sets: one deadline-ordered ready set, jobs linked to CPUs (issue 23)',
};

const TICK_DESCRIPTIONS: Record<TickSourceName, string> = {
  pit: 'PIT on the boot CPU (divisor 4847, about 246 Hz), relayed to the others by IPI (baseline)',
  lapic: 'per-CPU LAPIC periodic timer, 1000 Hz by default (improved)',
  'tsc-deadline':
    'LAPIC timer in TSC-deadline mode: one-shot, programmed from the next slice end or timer; no tick on idle CPUs (hz = nominal tick, 1000 by default)',
};

/** A scenario file found under `scenarios/seeds/`. */
export interface ListedScenario {
  /** Path relative to the package root. */
  file: string;
  /** The scenario's `name`, or the file name if it has none. */
  name: string;
  /** First line of its `description`, or empty. */
  description: string;
  /** Set when the file could not be read as TOML; `list` shows it rather than failing. */
  error?: string;
}

/** What `smpsim list --json` prints (schema `smpsim.list/1`). */
export interface ListResult {
  schema: 'smpsim.list/1';
  workloads: string[];
  policies: string[];
  tick_sources: string[];
  /** One-line descriptions by category and name. */
  descriptions: {
    workloads: Record<string, string>;
    policies: Record<string, string>;
    tick_sources: Record<string, string>;
  };
  scenarios: ListedScenario[];
  /** Guest programs for `kind = "program"`, with their parameters. */
  programs: {
    name: string;
    doc: string;
    claims: string[];
    params: { name: string; doc: string; allowed: string }[];
  }[];
  /** The cost model: every parameter with its default and the source of that default. */
  costs: { name: string; default: number; source: string }[];
}

/** Gathers the list; `packageRoot` is the directory holding `scenarios/`. */
export function listEverything(packageRoot: string): ListResult {
  return {
    schema: 'smpsim.list/1',
    workloads: [...WORKLOAD_KINDS],
    policies: [...SCHEDULERS],
    tick_sources: [...TICK_SOURCES],
    descriptions: {
      workloads: WORKLOAD_DESCRIPTIONS,
      policies: POLICY_DESCRIPTIONS,
      tick_sources: TICK_DESCRIPTIONS,
    },
    scenarios: listSeedScenarios(packageRoot),
    programs: programNames().map((name) => {
      const p = PROGRAMS.get(name)!;
      return {
        name,
        doc: p.doc,
        claims: [...p.claims],
        params: p.params.map((s) => ({ name: s.name, doc: s.doc, allowed: describeParam(s) })),
      };
    }),
    costs: COST_NAMES.map((name) => ({ name, default: COST_DEFAULTS[name], source: costSource(name) })),
  };
}

/** What a parameter accepts, and its default, in a few words. */
function describeParam(s: ParamSpec): string {
  const fallback = s.fallback === undefined ? 'required' : `default ${JSON.stringify(s.fallback)}`;
  switch (s.kind) {
    case 'int':
      return `integer ${s.min}..${s.max}, ${fallback}`;
    case 'choice':
      return `${s.choices.join(' | ')}, ${fallback}`;
    case 'ints':
      return `up to ${s.maxLength} integers ${s.min}..${s.max}, ${fallback}`;
  }
}

/** Seed scenarios in file-name order; a missing directory is an empty list. */
export function listSeedScenarios(packageRoot: string): ListedScenario[] {
  const dir = join(packageRoot, 'scenarios', 'seeds');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.toml'));
  } catch {
    return [];
  }
  return names.sort().map((n) => describeScenario(join(dir, n), `scenarios/seeds/${n}`));
}

/** Reads only `name` and `description`, leniently: `list` is for browsing, `run` does the checking. */
function describeScenario(path: string, file: string): ListedScenario {
  try {
    const doc = parse(readFileSync(path, 'utf8'));
    const name = typeof doc.name === 'string' ? doc.name : basename(file, '.toml');
    const description =
      typeof doc.description === 'string' ? (doc.description.trim().split('\n')[0] ?? '') : '';
    return { file, name, description };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return { file, name: basename(file, '.toml'), description: '', error: reason };
  }
}

/** The text form of the list. */
export function formatList(result: ListResult): string {
  const section = (title: string, names: string[], descriptions: Record<string, string>) => [
    `${title}:`,
    ...table(
      ['  name', 'description'],
      names.map((n) => [`  ${n}`, descriptions[n] ?? '']),
      2,
    ).slice(1),
    '',
  ];
  const scenarios =
    result.scenarios.length === 0
      ? ['  (none found under scenarios/seeds/)']
      : table(
          ['  file', 'name', 'description'],
          result.scenarios.map((s) => [
            `  ${s.file}`,
            s.name,
            s.error === undefined ? s.description : `(unreadable: ${s.error})`,
          ]),
          3,
        ).slice(1);
  return [
    ...section('workloads', result.workloads, result.descriptions.workloads),
    ...section('scheduler policies (kernel.scheduler)', result.policies, result.descriptions.policies),
    ...section('tick sources (machine.tick.source)', result.tick_sources, result.descriptions.tick_sources),
    'guest programs (kind = "program", program = "<name>"):',
    ...(result.programs.length === 0
      ? ['  (none)']
      : result.programs.flatMap((p) => [
          `  ${p.name}: ${p.doc}${p.claims.length > 0 ? ` (${p.claims.join(', ')})` : ''}`,
          ...p.params.map((s) => `      ${s.name}: ${s.doc} (${s.allowed})`),
        ])),
    '',
    'scenarios:',
    ...scenarios,
    '',
    'cost model ([costs] in a scenario, --set costs.<name>=<value>):',
    ...table(
      ['  name', 'default', 'source'],
      result.costs.map((c) => [`  ${c.name}`, String(c.default), c.source]),
      3,
    ).slice(1),
    '',
  ].join('\n');
}
