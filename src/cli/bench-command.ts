/**
 * `smpsim bench` (the simulator's own speed, every row of issue 14's table) and `smpsim bench
 * futex` (the futex table under perf-bench-futex loads, simulated): their flags, checked, and
 * the call to their implementations (commands.ts).
 */
import type { Command } from 'commander';
import { defaultJobs } from '../report/worker-pool.ts';
import { type BenchOptions, commandImpls } from './commands.ts';
import { UsageError } from './errors.ts';
import { parsePlotFlag } from './scale-options.ts';
import { parseJobs } from './flags.ts';

/** `bench` and `bench futex`: the simulator's own speed, and the futex table's. */
export function registerBenchCommands(
  program: Command,
  io: { out: (text: string) => void },
  setStatus: (status: number) => void,
): void {
  const bench = program
    .command('bench')
    .description("the simulator's own speed; `bench futex`: the futex table under perf-bench-futex loads")
    .argument('[suite]', 'speed (the default; futex is its own subcommand)')
    .option('--quick', 'a shorter run, for smoke tests')
    .option('--jobs <n>', `worker threads of the multi-run measure (default: every core, ${defaultJobs()})`)
    .option('--json', 'print one JSON object')
    .option('--plot <file>', 'also draw each measure against its goal (.svg or .png)')
    .action(
      async (
        suite: string | undefined,
        opts: { quick?: boolean; json?: boolean; jobs?: string; plot?: string },
      ) => {
        if (suite !== undefined && suite !== 'speed') {
          throw new UsageError('bench', `unknown suite ${JSON.stringify(suite)}`, 'speed, futex');
        }
        const options: BenchOptions = {
          json: opts.json === true,
          quick: opts.quick === true,
          suite: 'speed',
          jobs: parseJobs(opts.jobs),
          ...parsePlotFlag(opts.plot),
        };
        setStatus(await commandImpls.bench(options, io));
      },
    );
  // A subcommand, so that `bench futex --help` prints its own help.
  bench
    .command('futex')
    .description(
      'the futex table under perf-bench-futex shapes, one global lock against 64 shards (simulated)',
    )
    .option('--quick', 'a shorter run, for smoke tests')
    .option('--jobs <n>', `worker threads for the runs (default: every core, ${defaultJobs()})`)
    .option('--json', 'print one JSON object')
    .action(async (opts: { quick?: boolean; json?: boolean; jobs?: string }) => {
      const options: BenchOptions = {
        json: opts.json === true,
        quick: opts.quick === true,
        suite: 'futex',
        jobs: parseJobs(opts.jobs),
      };
      setStatus(await commandImpls.bench(options, io));
    });
}
