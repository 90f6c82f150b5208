/** The text table `smpsim bench` prints without `--json` (the JSON is the BenchReport itself). */
import { formatBenchMultiRun } from './bench-multirun.ts';
import { BENCH_PINGPONG_RATIO_TARGET, BENCH_RATIO_TARGET, BENCH_REPETITIONS } from './bench-results.ts';
import { formatBenchScale } from './bench-scale.ts';
import { formatBenchServices } from './bench-services.ts';
import { formatBenchTraceOff } from './bench-trace-off.ts';
import type { BenchComparison, BenchReport } from './bench.ts';

/** The readable table `smpsim bench` prints without `--json`. */
export function formatBench(report: BenchReport, previous: BenchComparison | null = null): string {
  const header = ['workload', 'wall ms', 'effects', 'events', 'effects/s', 'events/s', 'sim ms/wall s'];
  const rows = report.workloads.map((w) => [
    w.name,
    w.wall_ms.toFixed(1),
    String(w.effects),
    String(w.events),
    millions(w.effects_per_s),
    millions(w.events_per_s),
    (w.sim_ns_per_wall_s / 1e6).toFixed(1),
  ]);
  const lines = [
    `smpsim bench${report.quick ? ' --quick' : ''}  node ${report.node_version}  cpu ${report.cpu_model}`,
    `best of ${BENCH_REPETITIONS} timed repetitions after one warm-up run`,
    '',
    ...table(header, rows),
    '',
  ];
  for (const w of report.workloads) {
    if (w.reference === undefined || w.ratio === undefined) continue;
    const target = w.name === 'futex-pingpong' ? BENCH_PINGPONG_RATIO_TARGET : BENCH_RATIO_TARGET;
    const verdict = w.ratio >= target ? 'meets' : 'BELOW';
    lines.push(
      `${w.name}: reference loop ${millions(w.reference.effects_per_s)} effects/s ` +
        `(${w.reference.wall_ms.toFixed(1)} ms); ratio ${w.ratio.toFixed(3)} ` +
        `(${verdict} the ${target.toFixed(2)} target)`,
    );
  }
  if (report.scale !== undefined) lines.push('', ...formatBenchScale(report.scale));
  if (report.trace_off !== undefined) lines.push(...formatBenchTraceOff(report.trace_off));
  if (report.services !== undefined) lines.push('', ...formatBenchServices(report.services));
  const multi = formatBenchMultiRun(report.multi_run, report.startup);
  if (multi.length > 0) lines.push('', ...multi);
  if (previous !== null) {
    lines.push(
      '',
      `against ${previous.file}${previous.quick ? ' (a --quick run)' : ''} (new ÷ old effects/s):`,
    );
    for (const [name, ratio] of Object.entries(previous.effects_per_s_ratio)) {
      lines.push(`  ${name.padEnd(16)} ${ratio.toFixed(3)}`);
    }
    lines.push(`  ${'ratio_compute'.padEnd(16)} ${previous.ratio_compute_ratio.toFixed(3)}`);
  }
  return `${lines.join('\n')}\n`;
}

function millions(perSecond: number): string {
  return `${(perSecond / 1e6).toFixed(2)}M`;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)];
}
