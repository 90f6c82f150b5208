/** The readable text summary of one run's report, printed by `smpsim run` without `--json`. */
import type { ExpectationResult, RunReport } from '../report/types.ts';
import { formatNs } from '../report/format-ns.ts';

export { formatNs };

/** Renders `report` as lines of text ending in a newline: header, CPUs, locks, futexes, latency, checks. */
export function formatRunReport(report: RunReport): string {
  const lines = [
    `scenario ${report.scenario}  seed ${report.seed}  policy ${report.policy}  tick ${report.tick}  ` +
      `cpus ${report.cpus.length}  sim ${formatNs(report.sim_ns)}  events ${report.events}`,
  ];
  if (report.error !== undefined) lines.push(`run ended early: ${report.error}`);
  lines.push('', ...cpuTable(report));
  if (report.locks.length > 0) lines.push('', ...lockTable(report));
  lines.push('', `futex: ${formatCounts(report.futex)}`);
  lines.push(`syscalls: ${formatCounts(report.syscalls)}`);
  const w = report.wakeup_latency;
  lines.push(
    `wakeup latency: ${w.count} wakeups, p50 ${formatNs(w.p50_ns)}, p90 ${formatNs(w.p90_ns)}, ` +
      `p99 ${formatNs(w.p99_ns)}, max ${formatNs(w.max_ns)}`,
  );
  const p = report.processes;
  lines.push(`processes: ${p.spawned} spawned, ${p.exited} exited, ${p.killed} killed`);
  lines.push(...guestText(report));
  const variants = report.compare ?? [];
  for (const c of variants) {
    lines.push('', `compared with "${c.name}" (trace hash ${c.trace_hash}):`);
    // A lone [compare] owns every compare./ratio. metric; [[compare]] variants their own prefix.
    const own = variants.length === 1 ? '' : `${c.name}.`;
    const compared = Object.entries(report.metrics).filter(
      ([k]) => k.startsWith(`compare.${own}`) || k.startsWith(`ratio.${own}`),
    );
    for (const [k, v] of compared) lines.push(`  ${k} = ${v}`);
    if (c.error !== null) lines.push(`  its run ended early: ${c.error.split('\n').join('\n    ')}`);
  }
  if (report.expectations.length > 0) {
    lines.push('', 'expectations:', ...report.expectations.map((e) => `  ${formatExpectation(e)}`));
  }
  lines.push('', `result: ${verdict(report)}`, `trace hash: ${report.trace_hash}`);
  return `${lines.join('\n')}\n`;
}

/** Lines shown of one published text list; the JSON report has them all. */
const GUEST_TEXT_LINES_MAX = 30;

/** Each workload's published text lists (init's log, critical chain, wait-for graph). */
function guestText(report: RunReport): string[] {
  const lines: string[] = [];
  for (const [name, lists] of Object.entries(report.guest_text ?? {}))
    for (const [key, list] of Object.entries(lists)) {
      if (list.length === 0) continue;
      lines.push('', `${name} ${key}:`, ...list.slice(0, GUEST_TEXT_LINES_MAX).map((l) => `  ${l}`));
      if (list.length > GUEST_TEXT_LINES_MAX) lines.push(`  … ${list.length - GUEST_TEXT_LINES_MAX} more`);
    }
  return lines;
}

/** PASSED, or FAILED with the reason the run did not do its work, else the count of failed checks. */
function verdict(report: RunReport): string {
  if (report.passed) return 'PASSED';
  if (report.failure !== null) return `FAILED: ${report.failure}`;
  const failed = report.expectations.filter((e) => !e.pass).length;
  return `FAILED (${failed} of ${report.expectations.length} checks failed)`;
}

function cpuTable(report: RunReport): string[] {
  const ms = (ns: number) => (ns / 1e6).toFixed(3);
  const rows = report.cpus.map((c) => [
    String(c.id),
    ms(c.user_ns),
    ms(c.kernel_ns),
    ms(c.spin_ns),
    ms(c.idle_ns),
    (c.utilisation * 100).toFixed(1),
    String(c.context_switches),
    String(c.migrations_in),
  ]);
  return table(
    ['cpu', 'user ms', 'kernel ms', 'spin ms', 'idle ms', 'util %', 'switches', 'migrations'],
    rows,
  );
}

function lockTable(report: RunReport): string[] {
  const rows = report.locks.map((l) => [
    l.name,
    String(l.acquisitions),
    String(l.contended),
    (l.spin_ns / 1e6).toFixed(3),
  ]);
  return table(['lock', 'acquisitions', 'contended', 'spin ms'], rows);
}

/** `PASS metric op expected (actual X)`, with the note on failures, where the reader needs the why. */
export function formatExpectation(e: ExpectationResult): string {
  const actual = e.actual === null ? 'missing' : String(e.actual);
  const note = !e.pass && e.note !== undefined ? ` - ${e.note}` : '';
  return `${e.pass ? 'PASS' : 'FAIL'} ${e.metric} ${e.op} ${e.expected} (actual ${actual})${note}`;
}

function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k} ${v}`).join(', ');
}

/** Left-aligns the first `leftColumns` columns (names) and right-aligns the rest (numbers read best so). */
export function table(headers: string[], rows: string[][], leftColumns = 1): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i < leftColumns ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}
