/**
 * `smpsim fidelity [--profile host.toml] [--quick] [--cpus N] [--runs R] [--json]` and
 * `smpsim calibrate [--out host.toml] [--cpu-mhz MHZ]` (issue 23): how far smpsim's figures are
 * from the machine it runs on, and a cost profile measured on that machine
 * (report/fidelity/). Both build the C programs under fidelity/ with the host's compiler.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Command } from 'commander';
import { measureHost, profileText } from '../report/fidelity/calibrate.ts';
import { describeHost, HostToolError, hostCpus } from '../report/fidelity/host.ts';
import { loadCostProfile } from '../scenario/validate.ts';
import { UsageError } from './errors.ts';
import { parseIntFlag } from './flags.ts';
import { packageRoot } from './package-root.ts';
import { FIDELITY_STUDIES, parseStudies, runStudies } from './fidelity-studies.ts';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export interface FidelityFlags {
  profile?: string;
  only?: string;
  quick?: boolean;
  cpus?: string;
  runs?: string;
  range?: string;
  json?: boolean;
}

export { SPEEDUP_ERROR_GOAL, TIME_ERROR_GOAL } from './fidelity-format.ts';

export function registerFidelityCommands(program: Command, io: Io, setStatus: (s: number) => void): void {
  program
    .command('fidelity')
    .description(
      'run primes, futex ping-pong, a mutex loop, a condvar herd and schbench on this host (C, pinned) and in smpsim (fair); compare',
    )
    .option('--only <list>', `run only these studies, comma-separated (${FIDELITY_STUDIES.join(', ')})`)
    .option('--profile <file>', 'run smpsim with this [costs] profile (from smpsim calibrate)')
    .option('--quick', 'a tenth of the work: primes below 2,000,000 instead of 20,000,000, fewer rounds')
    .option('--cpus <n>', `most workers and CPUs (default: this host's, ${hostCpus()})`)
    .option('--runs <n>', 'host runs per point, the median kept (default 3)')
    .option('--range <lo,hi>', 'count the primes in [lo, hi) (default 2,20000000; --quick 2,2000000)')
    .option('--json', 'print one JSON object (schema smpsim.fidelity/1)')
    .action((opts: FidelityFlags) => {
      setStatus(hostTool(() => fidelityCommand(opts, io)));
    });
  program
    .command('calibrate')
    .description(
      'measure this host (division, syscall, context switch, cache line, waking after idle) and write a [costs] profile',
    )
    .option('--out <file>', 'write the profile here (default: print it)')
    .option('--cpu-mhz <mhz>', 'the simulated clock the cycle charges are for (default 3000)')
    .action((opts: { out?: string; cpuMhz?: string }) => {
      setStatus(
        hostTool(() => {
          const mhz = opts.cpuMhz === undefined ? 3000 : parseIntFlag('--cpu-mhz', opts.cpuMhz, 100, 10_000);
          warnIfBusy(io);
          const h = describeHost();
          const text = profileText(
            measureHost(packageRoot()),
            mhz,
            `${h.model}, ${h.cpus} CPUs, Linux ${h.kernel}`,
          );
          if (opts.out === undefined) io.out(text);
          else writeFileSync(opts.out, text);
          return 0;
        }),
      );
    });
}

function parseRange(raw: string | undefined, fallback: [number, number]): [number, number] {
  if (raw === undefined) return fallback;
  const m = /^(\d+),(\d+)$/.exec(raw.trim());
  const lo = m === null ? Number.NaN : Number(m[1]);
  const hi = m === null ? Number.NaN : Number(m[2]);
  if (!(lo >= 2 && hi > lo && hi <= 2 ** 32))
    throw new UsageError('--range', `${raw}`, 'LO,HI with 2 <= LO < HI <= 4294967296');
  return [lo, hi];
}

/** The host is shared when its load is near its CPU count: the figures are then noise. */
function warnIfBusy(io: Io): void {
  const load = loadavg()[0]!;
  if (load > hostCpus() / 2)
    io.err(
      `smpsim: warning: the host is busy (load ${load.toFixed(1)} on ${hostCpus()} CPUs); host figures will be noisy\n`,
    );
}

/** A missing compiler or taskset is bad input of the environment: one line, exit 2. */
function hostTool(body: () => number): number {
  try {
    return body();
  } catch (e) {
    if (e instanceof HostToolError) throw new UsageError('host', e.message);
    throw e;
  }
}

function fidelityCommand(opts: FidelityFlags, io: Io): number {
  const costs = opts.profile === undefined ? {} : loadCostProfile(opts.profile);
  const studies = parseStudies(opts.only);
  const quick = opts.quick === true || opts.range !== undefined;
  const options = {
    range: parseRange(opts.range, opts.quick === true ? [2, 2_000_000] : [2, 20_000_000]),
    segment: 10_000,
    maxWorkers: opts.cpus === undefined ? hostCpus() : parseIntFlag('--cpus', opts.cpus, 1, hostCpus()),
    runs: opts.runs === undefined ? 3 : parseIntFlag('--runs', opts.runs, 1, 50),
    costs,
  };
  warnIfBusy(io);
  const loadBefore = loadavg()[0]!;
  const result = runStudies(packageRoot(), studies, options, quick);
  // The 1-minute load average before and after: the host side is only as good as the host was idle.
  const load = { before: loadBefore, after: loadavg()[0]! };
  const host = describeHost();
  if (opts.json === true) {
    const json = {
      schema: 'smpsim.fidelity/1',
      host,
      load,
      profile: opts.profile ?? null,
      options,
      ...result.json,
    };
    io.out(`${JSON.stringify(json, null, 2)}\n`);
  } else io.out(result.text(opts.profile ?? null, host.model));
  return result.sameWork ? 0 : 1;
}
