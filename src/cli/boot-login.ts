/**
 * `smpsim boot --login`: boot continues past bring-up into userspace (SVC-8): kernel init ends
 * when the last AP is online; then init starts the units of a scenario file (by default the
 * `boot-to-login` seed's redbear-mini set) on a machine with the CPUs bring-up brought online,
 * once under each init (`redox`, the baseline, and `improved`), until the login unit is ready.
 * Printed per init: the milestones (bring-up, each unit's readiness, login) on one clock whose
 * zero is the first INIT IPI, the total, and the critical chain to login, systemd-analyze
 * critical-chain style (`unit @ready +start`, then the dependency settled last).
 *
 * The userspace phase runs on its own machine (report/run.ts) whose clock starts at init's
 * start: its times are offset by the bring-up time, as if init started the moment the last AP
 * came online. Bring-up's own machine has no userspace (report/boot-run.ts).
 */
import { join } from 'node:path';
import type { InitVariant } from '../services/init-config.ts';
import { runConfig } from '../report/run.ts';
import { loadScenarioFile } from '../scenario/load.ts';
import { packageRoot } from './package-root.ts';

export const DEFAULT_UNITS = 'scenarios/seeds/boot-to-login.toml';
const INITS: readonly InitVariant[] = ['redox', 'improved'];

export interface LoginRun {
  init: InitVariant;
  booted: boolean;
  /** Login's readiness after init's start, ms (-1: not booted). */
  loginMs: number;
  /** Each unit's first readiness after init's start, ms, in time order. */
  ready: [string, number][];
  criticalChain: string[];
  log: string[];
  traceHash: string;
}

/** One init's run of the units in `file` on `cpus` CPUs. */
export function runLogin(file: string, cpus: number, init: InitVariant): LoginRun {
  const loaded = loadScenarioFile(file, { set: [`machine.cpus=${cpus}`, `workload.0.variant="${init}"`] });
  // One init per run: the file's own comparison and expectations are its test's, not boot's.
  const report = runConfig({ ...loaded, compare: [], expect: [] }, { skipNameChecks: true });
  const m = report.metrics;
  const ready = Object.entries(m)
    .filter(([k]) => k.startsWith('workload.svc-init.ready_ms_'))
    .map(([k, v]): [string, number] => [k.slice('workload.svc-init.ready_ms_'.length), v])
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  const text = report.guest_text?.['svc-init'] ?? {};
  return {
    init,
    booted: m['workload.svc-init.booted'] === 1,
    loginMs: m['workload.svc-init.boot_ms'] ?? -1,
    ready,
    criticalChain: text.critical_chain ?? [],
    log: text.log ?? [],
    traceHash: report.trace_hash,
  };
}

/** Both inits over `file` (relative paths from the working directory; the default from the package). */
export function runLogins(file: string | undefined, cpus: number): LoginRun[] {
  const path = file ?? join(packageRoot(), DEFAULT_UNITS);
  return INITS.map((init) => runLogin(path, cpus, init));
}

const ms = (v: number) => v.toFixed(3);

/** The text after bring-up's: per init, milestones on the bring-up clock, total, critical chain. */
export function formatLogins(runs: readonly LoginRun[], bringupNs: number): string {
  const base = bringupNs / 1e6;
  const lines = ['', `userspace: init starts at ${ms(base)} ms (the last AP online)`];
  for (const r of runs) {
    lines.push('', `init ${r.init}:`);
    for (const [unit, at] of r.ready) lines.push(`  ${ms(base + at).padStart(10)} ms  ${unit} ready`);
    lines.push(
      r.booted
        ? `  login in ${ms(r.loginMs)} ms after init; boot to login ${ms(base + r.loginMs)} ms in all`
        : '  login never became ready: boot did not finish',
    );
    lines.push("  critical chain (after init's start):", ...r.criticalChain.map((l) => `    ${l}`));
  }
  const [redox, improved] = runs;
  if (redox?.booted && improved?.booted)
    lines.push(
      '',
      `improved / redox boot to login: ${((base + improved.loginMs) / (base + redox.loginMs)).toFixed(3)}`,
    );
  return `${lines.join('\n')}\n`;
}
