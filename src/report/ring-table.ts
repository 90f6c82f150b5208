/**
 * The README's capability-ring scaling table (issue 20, RING-2, RING-3, RING-6): the primes study
 * (`smpsim scale --abi capring`) for the four combinations of workers (processes or threads of
 * one process) and rings (one per process or one per thread), on 1, 2 and 4 CPUs, each point one
 * run of the model. A point the harness rejects (a serialised section, or a wait queued behind a
 * process ring's one cap_enter waiter) says so instead of a time.
 * scripts/update-readme.mjs writes it; test/readme.test.ts checks it.
 */
import type { RingMode } from '../abi/capring.ts';
import type { PrimesMode } from '../machine/config.ts';
import { runScaleStudy, type ScalePoint } from './scale.ts';

export const RING_TABLE_CPUS = [1, 2, 4] as const;
/** Small enough for the README check to rerun it; 4 workers split it as the seeds do. */
export const RING_TABLE_RANGE: [number, number] = [2, 300_000];

const COMBINATIONS: readonly (readonly [PrimesMode, RingMode])[] = [
  ['process', 'process'],
  ['process', 'thread'],
  ['thread', 'process'],
  ['thread', 'thread'],
];

function cell(point: ScalePoint, base: number | null): string {
  const run = point.runs[0]!;
  if (run.rejected !== null) return `rejected: ${run.rejected}`;
  const ms = (run.elapsed_ns / 1e6).toFixed(2);
  return base === null ? `${ms} ms` : `${ms} ms (${(base / run.elapsed_ns).toFixed(2)}×)`;
}

export async function ringScalingMarkdown(): Promise<string[]> {
  const lines = [
    `| workers, rings | ${RING_TABLE_CPUS.map((n) => `${n} CPU${n === 1 ? '' : 's'}`).join(' | ')} |`,
    `| --- |${RING_TABLE_CPUS.map(() => ' --- |').join('')}`,
  ];
  for (const [mode, rings] of COMBINATIONS) {
    const study = await runScaleStudy({
      policies: ['fair'],
      cpus: [...RING_TABLE_CPUS],
      workers: 4,
      mode,
      partition: 'interleaved',
      runs: 1,
      seed: 1,
      range: RING_TABLE_RANGE,
      abi: 'capring',
      rings,
    });
    const points = study.results[0]!.points;
    const base = points[0]!.runs[0]!.rejected === null ? points[0]!.runs[0]!.elapsed_ns : null;
    const cells = points.map((p, i) => cell(p, i === 0 ? null : base));
    lines.push(
      `| 4 ${mode === 'process' ? 'processes' : 'threads'}, ${rings} rings | ${cells.join(' | ')} |`,
    );
  }
  return lines;
}
