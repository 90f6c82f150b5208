// Runs one bench workload `runs` times in this process and prints each run's work (effects,
// events, simulated ns): the program scripts/instructions.mjs runs under cachegrind. Not part of
// the package; bundled by that script so that tsx's transpiling is not in the count.
//
//   driver WORKLOAD RUNS, WORKLOAD one of smpsim bench's workloads (compute, compute-dwrr,
//   futex-pingpong, primes), optionally /N for a run N times shorter, spin:CPUS:THREADS:ITERATIONS,
//   or reference:EFFECTS (the bench's reference loop over that many effects, 4 generators).
import type { RunConfig } from '../../src/machine/config.ts';
import { benchWorkloads, measureOnce } from '../../src/report/bench.ts';
import { referenceLoop } from '../../src/report/bench-reference.ts';
import { spinConfig } from '../../src/report/bench-scale.ts';

function configOf(spec: string): RunConfig {
  const [name = '', divisor = '1'] = spec.split('/');
  if (name.startsWith('spin:')) {
    const [cpus, threads, iterations] = name.slice(5).split(':').map(Number);
    return spinConfig(cpus!, threads!, Math.max(1, Math.round(iterations! / Number(divisor))));
  }
  const workload = benchWorkloads(false).find((w) => w.name === name);
  if (workload === undefined) throw new Error(`instructions: no bench workload ${name}`);
  const config = workload.config;
  for (const w of config.workloads as unknown as Record<string, number>[]) {
    for (const field of ['iterations', 'rounds']) {
      if (typeof w[field] === 'number') w[field] = Math.max(1, Math.round(w[field] / Number(divisor)));
    }
  }
  return config;
}

/** One run's work, as the line scripts/instructions.mjs compares between its two processes. */
function runOnce(spec: string): string {
  if (spec.startsWith('reference:')) {
    const r = referenceLoop(Number(spec.slice(10)), 4);
    return `effects=${r.effects} events=${r.events} sim_ns=0`;
  }
  const m = measureOnce(configOf(spec));
  return `effects=${m.effects} events=${m.events} sim_ns=${m.simNs}`;
}

const [spec = '', runs = '1'] = process.argv.slice(2);
for (let i = 0; i < Number(runs); i++) console.log(`run ${i} ${runOnce(spec)}`);
