/** `smpsim scale`'s flags, each checked with the one-line error (bad input is exit 2). */
import { KERNEL_ABIS, RING_MODES } from '../abi/capring.ts';
import { PRIMES_MODES, PRIMES_PARTITIONS, SCHED_POLICIES, type SchedPolicyName } from '../machine/config.ts';
import { CPUS_MAX } from '../machine/defaults.ts';
import { PRIMES_RANGE_MAX, PRIMES_SLEEP_NS_MAX } from '../scenario/workload.ts';
import type { ScaleOptions } from './commands.ts';
import { UsageError } from './errors.ts';
import { checkPlotFile } from './plot.ts';
import { parseChoiceFlag, parseIntFlag, parseIntListFlag, parseJobs, parseRangeFlag } from './flags.ts';

/** The largest --seed (any safe integer) and --runs. */
export const SEED_MAX = Number.MAX_SAFE_INTEGER;
const RUNS_MAX = 100;

/** Checks every `scale` flag; the defaults above are strings so they go through the same checks. */
export function parseScaleOptions(opts: Record<string, string | boolean | undefined>): ScaleOptions {
  const str = (key: string) => String(opts[key]);
  const policy = parseChoiceFlag('--policy', str('policy'), [...SCHED_POLICIES, 'both'] as const);
  const cpus = parseIntListFlag('--cpus', str('cpus'), 1, CPUS_MAX);
  return {
    // `both`: the baseline and the improved kernel, the comparison the scaling study is about.
    policies: policy === 'both' ? ['dwrr', 'fair'] : [policy as SchedPolicyName],
    cpus,
    workers:
      opts.workers === undefined ? Math.max(...cpus) : parseIntFlag('--workers', str('workers'), 1, CPUS_MAX),
    workload: parseChoiceFlag('--workload', str('workload'), ['primes'] as const),
    mode: parseChoiceFlag('--mode', str('mode'), PRIMES_MODES),
    partition: parseChoiceFlag('--partition', str('partition'), PRIMES_PARTITIONS),
    runs: parseIntFlag('--runs', str('runs'), 1, RUNS_MAX),
    seed: parseIntFlag('--seed', str('seed'), 0, SEED_MAX),
    range: parseRangeFlag('--range', str('range'), PRIMES_RANGE_MAX),
    ...parsePersonalityFlags(opts),
    json: opts.json === true,
    jobs: parseJobs(opts.jobs as string | undefined),
    ...parsePlotFlag(opts.plot),
  };
}

/** `--plot FILE` (issue 21): checked before any run, so a bad path costs nothing. */
export function parsePlotFlag(raw: unknown): { plot?: string } {
  if (raw === undefined) return {};
  checkPlotFile('--plot', String(raw));
  return { plot: String(raw) };
}

/** `--abi` and `--rings` (issue 20): rings only with the capring personality. */
function parsePersonalityFlags(
  opts: Record<string, string | boolean | undefined>,
): Pick<ScaleOptions, 'abi' | 'rings' | 'sleepNs'> {
  const abi = parseChoiceFlag('--abi', String(opts.abi ?? 'redox'), KERNEL_ABIS);
  if (abi !== 'capring') {
    if (opts.rings !== undefined)
      throw new UsageError('--rings', 'ring modes belong to the capring personality', '--abi capring');
    if (opts.sleepNs !== undefined)
      throw new UsageError('--sleep-ns', 'a ring sleep belongs to the capring personality', '--abi capring');
    return {};
  }
  const rings = parseChoiceFlag('--rings', String(opts.rings ?? 'process'), RING_MODES);
  if (opts.sleepNs === undefined) return { abi, rings };
  return { abi, rings, sleepNs: parseIntFlag('--sleep-ns', String(opts.sleepNs), 0, PRIMES_SLEEP_NS_MAX) };
}
