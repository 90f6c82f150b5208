/**
 * What cyclictest prints (rt-tests src/cyclictest/cyclictest.c print_stat and print_hist), from
 * each thread's wake-up latencies in ns: one line a thread, "T: 0 (    0) P:80 I:1000 C:   1000
 * Min:      3 Act:    5 Avg:    4 Max:     12" (in us; cyclictest's tid is replaced by the
 * thread's index, a run's tids being the simulator's), and with `-h N` its histogram: one row a
 * 1 us bucket below N ("000003 000012\t000010", one column a thread), then the Total, Min, Avg and Max Latencies and
 * the Histogram Overflows (samples of N us or more) rows. Also the metrics per thread.
 */
const NS_PER_US = 1000;

export interface CyclictestShape {
  priority: number;
  intervalUs: number;
  /** Histogram buckets (cyclictest -h); 0: no histogram. */
  histogramUs: number;
}

interface ThreadStat {
  count: number;
  minUs: number;
  actUs: number;
  avgUs: number;
  maxUs: number;
}

/** Whole microseconds, as cyclictest keeps its latencies (it measures in us). */
const us = (ns: number) => Math.floor(ns / NS_PER_US);

function statOf(samplesNs: readonly number[]): ThreadStat {
  if (samplesNs.length === 0) return { count: 0, minUs: 0, actUs: 0, avgUs: 0, maxUs: 0 };
  const values = samplesNs.map(us);
  const sum = values.reduce((x, y) => x + y, 0);
  return {
    count: values.length,
    minUs: Math.min(...values),
    actUs: values.at(-1)!,
    avgUs: Math.floor(sum / values.length),
    maxUs: Math.max(...values),
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** cyclictest -h rows: every bucket 0..N-1 (zeros too, as it prints them), then the summary rows. */
function histogramLines(perThreadNs: readonly number[][], bucketsUs: number, stats: ThreadStat[]): string[] {
  const counts = perThreadNs.map(() => new Array<number>(bucketsUs).fill(0));
  const overflows = perThreadNs.map(() => 0);
  perThreadNs.forEach((samples, i) => {
    for (const ns of samples) {
      const b = us(ns);
      if (b < bucketsUs) counts[i]![b]!++;
      else overflows[i]!++;
    }
  });
  const lines = ['# Histogram'];
  for (let b = 0; b < bucketsUs; b++) {
    lines.push(`${pad(b, 6)} ${counts.map((c) => pad(c[b]!, 6)).join('\t')}`);
  }
  const row = (label: string, values: number[], width: number) =>
    `# ${label}: ${values.map((v) => pad(v, width)).join(' ')}`;
  lines.push(
    row(
      'Total',
      stats.map((s, i) => s.count - overflows[i]!),
      9,
    ),
  );
  lines.push(
    row(
      'Min Latencies',
      stats.map((s) => s.minUs),
      5,
    ),
  );
  lines.push(
    row(
      'Avg Latencies',
      stats.map((s) => s.avgUs),
      5,
    ),
  );
  lines.push(
    row(
      'Max Latencies',
      stats.map((s) => s.maxUs),
      5,
    ),
  );
  lines.push(row('Histogram Overflows', overflows, 5));
  return lines;
}

/** The per-thread metrics, cyclictest's lines under `text.stdout`, and the overflow count with -h. */
export function cyclictestReport(
  perThreadNs: readonly number[][],
  shape: CyclictestShape,
): Record<string, unknown> {
  const stats = perThreadNs.map(statOf);
  const out: Record<string, unknown> = {};
  const stdout: string[] = [];
  stats.forEach((st, i) => {
    const samples = perThreadNs[i]!;
    out[`thread${i}MinNs`] = samples.length === 0 ? 0 : Math.min(...samples);
    out[`thread${i}AvgNs`] =
      samples.length === 0 ? 0 : Math.round(samples.reduce((x, y) => x + y, 0) / samples.length);
    out[`thread${i}MaxNs`] = samples.length === 0 ? 0 : Math.max(...samples);
    stdout.push(
      `T:${String(i).padStart(2)} (${String(i).padStart(5)}) P:${String(shape.priority).padStart(2)} I:${shape.intervalUs} C:${String(st.count).padStart(7)} Min:${String(st.minUs).padStart(7)} Act:${String(st.actUs).padStart(8)} Avg:${String(st.avgUs).padStart(8)} Max:${String(st.maxUs).padStart(8)}`,
    );
  });
  if (shape.histogramUs > 0) {
    const lines = histogramLines(perThreadNs, shape.histogramUs, stats);
    stdout.push(...lines);
    out.histogramOverflows = perThreadNs.flat().filter((ns) => us(ns) >= shape.histogramUs).length;
  }
  out.text = { stdout };
  return out;
}
