/**
 * The simulator's own speed against issue 14's goals (`smpsim bench --plot`, `smpsim plot
 * BENCH.json`): one bar per measure, its share of the goal reached (1 = met; for measures where
 * less is better — memory, start-up, wall minutes for 72 idle hours — the goal ÷ the figure), with
 * the figure itself as the bar's label. Several bench results overlay, e.g. the previous
 * recording and the new one.
 */
import type { TopLevelSpec } from 'vega-lite';
import { BENCH_PINGPONG_RATIO_TARGET, BENCH_RATIO_TARGET, type BenchReport } from '../bench.ts';

export interface LabelledBench {
  label: string;
  report: BenchReport;
}

interface GoalRow {
  series: string;
  measure: string;
  reached: number;
  figure: string;
}

/** Issue 14's goals table, the ones bench-scale.ts and bench-multirun.ts print beside each figure. */
const GOALS = {
  cpuScaling: 0.7,
  threadScaling: 0.5,
  bytesPerThread: 4096,
  multiRun: 1.8,
  startupMs: 300,
  idleMin: 10,
};

function more(series: string, measure: string, value: number, goal: number, figure: string): GoalRow {
  return { series, measure, reached: value / goal, figure };
}

function less(series: string, measure: string, value: number, goal: number, figure: string): GoalRow {
  return { series, measure, reached: value <= 0 ? 1 : goal / value, figure };
}

/** The rows one bench result gives: the measures it recorded (older results lack some). */
export function goalRows({ label, report: r }: LabelledBench): GoalRow[] {
  const rows = [
    more(label, 'compute ÷ reference', r.ratio_compute, BENCH_RATIO_TARGET, r.ratio_compute.toFixed(2)),
  ];
  if (r.ratio_pingpong !== undefined)
    rows.push(
      more(
        label,
        'ping-pong ÷ reference',
        r.ratio_pingpong,
        BENCH_PINGPONG_RATIO_TARGET,
        r.ratio_pingpong.toFixed(2),
      ),
    );
  const s = r.scale;
  if (s !== undefined) {
    rows.push(
      more(label, '256 ÷ 4 CPUs', s.cpu_scaling.ratio, GOALS.cpuScaling, s.cpu_scaling.ratio.toFixed(2)),
    );
    rows.push(
      more(
        label,
        '4096 ÷ 4 threads',
        s.thread_scaling.ratio,
        GOALS.threadScaling,
        s.thread_scaling.ratio.toFixed(2),
      ),
    );
    const bytes = s.memory.bytes_per_idle_thread;
    rows.push(less(label, 'bytes per idle thread', bytes, GOALS.bytesPerThread, `${bytes} B`));
    for (const p of s.idle)
      rows.push(
        less(
          label,
          `72 h idle, ${p.tick}`,
          p.wall_min_for_72h,
          GOALS.idleMin,
          `${p.wall_min_for_72h.toFixed(1)} min`,
        ),
      );
  }
  if (r.multi_run !== undefined)
    rows.push(
      more(
        label,
        'multi-run speed-up',
        r.multi_run.speedup,
        GOALS.multiRun,
        `${r.multi_run.speedup.toFixed(2)}x`,
      ),
    );
  if (r.startup !== undefined)
    rows.push(
      less(label, 'start-up', r.startup.wall_ms, GOALS.startupMs, `${r.startup.wall_ms.toFixed(0)} ms`),
    );
  return rows;
}

export function benchSpec(benches: readonly LabelledBench[], title: string): TopLevelSpec {
  const rows = benches.flatMap(goalRows);
  const y = {
    field: 'measure',
    type: 'nominal',
    title: null,
    sort: null,
    axis: { labelLimit: 240 },
  } as const;
  // Beyond twice the goal the bar says nothing more: it stops at 2 and its label gives the figure.
  const x = {
    field: 'reached',
    type: 'quantitative',
    title: 'share of the goal reached (1 = met; bars stop at 2)',
    scale: { domain: [0, 2], clamp: true },
  } as const;
  const offset = benches.length > 1 ? { yOffset: { field: 'series' } } : {};
  return {
    title: {
      text: title,
      subtitle: `${benches[0]!.report.cpu_model}, Node ${benches[0]!.report.node_version}`,
    },
    width: 420,
    height: { step: benches.length > 1 ? 22 : 16 },
    data: { values: rows },
    layer: [
      {
        mark: 'bar',
        encoding: {
          y,
          x,
          color: { field: 'series', type: 'nominal', title: 'result', legend: { labelLimit: 260 } },
          ...offset,
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 3 },
        encoding: { y, x, text: { field: 'figure' }, ...offset },
      },
      {
        data: { values: [{ one: 1 }] },
        mark: { type: 'rule', strokeDash: [4, 3] },
        encoding: { x: { field: 'one', type: 'quantitative' } },
      },
    ],
  } as TopLevelSpec;
}
