/**
 * The README's capability-ring scaling table (issue 20, RING-2, RING-3, RING-6): the primes study
 * (`smpsim scale --abi capring`) for the four combinations of workers (processes or threads of
 * one process) and rings (one per process or one per thread), on 1, 2 and 4 CPUs, each point one
 * run of the model. A point the harness rejects (a serialised section, or a wait queued behind a
 * process ring's one cap_enter waiter) says so beside its time.
 *
 * The second table (RING-2's waits) is the same study with a ring sleep after every segment
 * (`--sleep-ns`, a Timeout operation): the timed section waits in cap_enter, which is what the
 * process ring's one-waiter rule is about.
 * scripts/update-readme.mjs writes it; test/readme.test.ts checks it.
 */
import type { RingMode } from '../abi/capring.ts';
import type { PrimesMode } from '../machine/config.ts';
import { runScaleStudy, type ScalePoint } from './scale.ts';

export const RING_TABLE_CPUS = [1, 2, 4] as const;
/** Small enough for the README check to rerun it; 4 workers split it as the seeds do. */
export const RING_TABLE_RANGE: [number, number] = [2, 300_000];
/** The waiting table's ring sleep per segment: about half a segment's compute at this range. */
export const RING_TABLE_SLEEP_NS = 500_000;

const COMBINATIONS: readonly (readonly [PrimesMode, RingMode])[] = [
  ['process', 'process'],
  ['process', 'thread'],
  ['thread', 'process'],
  ['thread', 'thread'],
];

function cell(point: ScalePoint, base: number): string {
  const run = point.runs[0]!;
  const ms = (run.elapsed_ns / 1e6).toFixed(2);
  const time =
    point.cpus === RING_TABLE_CPUS[0] ? `${ms} ms` : `${ms} ms (${(base / run.elapsed_ns).toFixed(2)}×)`;
  return run.rejected === null ? time : `${time}, rejected: ${run.rejected}`;
}

/** The table; `sleepNs` > 0: every worker sleeps that long on its ring after each segment. */
export async function ringScalingMarkdown(sleepNs = 0): Promise<string[]> {
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
      ...(sleepNs > 0 ? { sleepNs } : {}),
    });
    const points = study.results[0]!.points;
    const base = points[0]!.runs[0]!.elapsed_ns;
    const cells = points.map((p) => cell(p, base));
    lines.push(
      `| 4 ${mode === 'process' ? 'processes' : 'threads'}, ${rings} rings | ${cells.join(' | ')} |`,
    );
  }
  return lines;
}
