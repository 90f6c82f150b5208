/** Turns a parsed scenario document (an untyped TOML table) into a checked RunConfig. */
import { readKernel } from './kernel-table.ts';
import { dirname, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import {
  type Expectation,
  type KernelConfig,
  LIBC_VARIANTS,
  type LibcConfig,
  type RunConfig,
  type SchedPolicyName,
  type SweepConfig,
  TICK_SOURCES,
  type TickConfig,
  type TickSourceName,
} from '../machine/config.ts';
import { CPUS_MAX, defaultRunConfig, presetLibc, presetTick } from '../machine/defaults.ts';
import {
  allowedNames,
  checkInt,
  fail,
  fieldPath,
  isTable,
  kindOf,
  own,
  type ReadContext,
  readChoice,
  readInt,
  readNumber,
  readString,
  readTable,
  type Table,
} from './fields.ts';
import { COST_NAMES, type CostName, costRange, isCostName } from '../hw/cost-model.ts';
import { readClock, readCpufreq } from './clocks.ts';
import { libcSpeaksLinuxFutex } from '../libc/variant.ts';
import { readLimits, readOutcome } from './limits.ts';
import { readBoot } from './boot.ts';
import { readFirmware } from './firmware.ts';
import { readFirmwareTables } from './firmware-tables.ts';
import { checkPrimesSleep, readWorkload } from './workload.ts';
import { readDeviceSetup } from './devices.ts';
import { readFiles } from './files.ts';
import { readSteps } from './steps.ts';
import { readMachineTlb } from './tlb.ts';
import { checkLockDemoCpus } from './locks.ts';

/**
 * Keys a scenario may have at its top level. `description` and `claims` are documentation only;
 * `headline` names the metrics that sum the scenario up (what `smpsim policies` tabulates).
 */
export const SCENARIO_KEYS = [
  'name',
  'seed',
  'description',
  'claims',
  'headline',
  'machine',
  'kernel',
  'libc',
  'clock',
  'cpufreq',
  'firmware',
  'boot',
  'costs',
  'limits',
  'outcome',
  'workload',
  'expect',
  'sweep',
  'compare',
  'faults',
  'device',
  'file',
  // devices (issue 18): timed actions (scenario/steps.ts)
  'step',
] as const;
const SWEEP_KEYS = ['cpus', 'runs', 'metric'];
const SWEEP_RUNS_MAX = 100;
const MACHINE_KEYS = [
  'cpus',
  'smt',
  'packages',
  'numa_nodes',
  'numa_remote_distance',
  'cpu_mhz',
  'tick',
  'tlb',
  'iommu',
];
const TICK_KEYS = ['source', 'hz'];
const LIBC_KEYS = ['variant'];
const EXPECT_KEYS = ['metric', 'equals', 'min', 'max', 'note'];
const EXPECT_OPS = ['equals', 'min', 'max'] as const;

/** Bounds of machine fields (see `TopologyConfig`); SLIT distances are one byte and 10 means local. */
const TICK_HZ_MIN = 10;
const TICK_HZ_MAX = 10_000;
const CPU_MHZ_MIN = 100;
const CPU_MHZ_MAX = 10_000;
const NUMA_DISTANCE_MIN = 11;
const NUMA_DISTANCE_MAX = 254;

/** Checks every field of `doc` and fills in defaults; throws ScenarioError on the first problem. */
export function validateScenario(ctx: ReadContext, doc: unknown): RunConfig {
  const top = readTable(ctx, doc, '', SCENARIO_KEYS);
  const name = readString(ctx, top, 'name', '');
  const seed = readInt(ctx, top, 'seed', '', { min: 0, fallback: 1 });
  readString(ctx, top, 'description', '', '');
  readStrings(ctx, own(top, 'claims'), 'claims');
  const headline = readStrings(ctx, own(top, 'headline'), 'headline');
  const kernel = readKernel(ctx, own(top, 'kernel'), own(top, 'faults'));
  const libc = readLibc(ctx, own(top, 'libc'), kernel);
  const firmware = own(top, 'firmware');
  const tablesGiven = isTable(firmware) && own(firmware, 'tables') !== undefined;
  const machine = readMachine(ctx, own(top, 'machine'), kernel.scheduler, tablesGiven);
  const tables = readFirmwareTables(ctx, firmware, own(top, 'machine'), machine.topology, (dir) =>
    resolve(dirname(ctx.file.split(' ')[0]!), dir),
  );
  const cpus = machine.topology.cpus;
  checkLockDemoCpus(ctx, kernel, cpus);
  const workloads = readArrayOfTables(ctx, top, 'workload').map((w, i) => readWorkload(ctx, w, i, cpus));
  checkPrimesSleep(ctx, kernel.abi, workloads); // issue 20: a ring sleep is capring's
  const devices = readDeviceSetup(
    ctx,
    readArrayOfTables(ctx, top, 'device'),
    tableOrEmpty(own(top, 'kernel')),
    tableOrEmpty(own(top, 'machine')),
    kernel.scheduler,
  );
  const files = readFiles(ctx, top);
  const steps = readSteps(ctx, top, cpus);
  const costs = readCostsWithProfile(ctx, own(top, 'costs'));
  const config: RunConfig = {
    name,
    seed,
    headline,
    machine,
    kernel,
    libc,
    clock: readClock(ctx, own(top, 'clock')),
    cpufreq: readCpufreq(ctx, own(top, 'cpufreq'), machine.cpuMhz),
    firmware: {
      ...readFirmware(ctx, own(top, 'firmware'), kernel.scheduler, machine.topology),
      ...(tables === null ? {} : { tables }),
    },
    boot: readBoot(ctx, own(top, 'boot'), kernel.scheduler, cpus),
    costs,
    workloads,
    limits: readLimits(ctx, own(top, 'limits')),
    outcome: readOutcome(ctx, own(top, 'outcome')),
    expect: readArrayOfTables(ctx, top, 'expect').map((e, i) => readExpectation(ctx, e, `expect.${i}`)),
    sweep: readSweep(ctx, own(top, 'sweep')),
    ...(files.length > 0 ? { files } : {}),
    compare: [], // filled in by load.ts, which can re-validate a changed copy of the document
    ...(devices === null ? {} : { devices }),
    ...(steps.length > 0 ? { steps } : {}),
  };
  // A run with nothing to do would pass every check it has: refused, not reported as done. Checked
  // last, so that a file's other mistakes are named first.
  if (workloads.length === 0) {
    fail(ctx, 'workload', 'the scenario has no [[workload]]', 'at least one [[workload]] table');
  }
  return config;
}

/** `[sweep]`: CPU counts (distinct, 1..256), runs per count, and the metric that times a run. */
function readSweep(ctx: ReadContext, value: unknown): SweepConfig | null {
  if (value === undefined) return null;
  const table = readTable(ctx, value, 'sweep', SWEEP_KEYS);
  const list = own(table, 'cpus');
  if (!Array.isArray(list) || list.length === 0) {
    fail(
      ctx,
      'sweep.cpus',
      `expected a non-empty array of CPU counts, got ${kindOf(list)}`,
      `integers 1..${CPUS_MAX}`,
    );
  }
  const cpus = list.map((v, i) => checkInt(ctx, v, `sweep.cpus.${i}`, 1, CPUS_MAX));
  if (new Set(cpus).size !== cpus.length)
    fail(ctx, 'sweep.cpus', 'a CPU count is listed twice', 'distinct counts');
  return {
    cpus,
    runs: readInt(ctx, table, 'runs', 'sweep', { min: 1, max: SWEEP_RUNS_MAX, fallback: 3 }),
    metric: readString(ctx, table, 'metric', 'sweep', 'workload.primes.elapsed_ns'),
  };
}

/** An array of strings at top-level `key`; absent means none. */
function readStrings(ctx: ReadContext, value: unknown, key: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(ctx, key, `expected an array of strings, got ${kindOf(value)}`);
  return value.map((item, i) => {
    if (typeof item !== 'string') fail(ctx, `${key}.${i}`, `expected a string, got ${kindOf(item)}`);
    return item as string;
  });
}

/** `[[key]]` entries; absent means none. A single `[key]` table is a common slip, so it is named. */
function readArrayOfTables(ctx: ReadContext, top: Table, key: string): unknown[] {
  const value = own(top, key);
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(ctx, key, `expected an array of tables ([[${key}]]), got ${kindOf(value)}`);
  return value;
}

/**
 * `[libc] variant`: defaults follow the futex mode (relibc on redox and redbear, improved on
 * linux). Each variant speaks one futex ABI (relibc passes WAIT absolute Redox deadlines, the
 * improved libc needs WAIT_BITSET and CMP_REQUEUE), so a mismatched pair is refused.
 */
function readLibc(ctx: ReadContext, value: unknown, kernel: KernelConfig): LibcConfig {
  const table = readTable(ctx, value ?? {}, 'libc', LIBC_KEYS);
  const variant = readChoice(ctx, table, 'variant', 'libc', {
    choices: LIBC_VARIANTS,
    noun: 'a libc variant',
    fallback: presetLibc(kernel.futex.mode).variant,
  });
  const needsLinux = libcSpeaksLinuxFutex(variant);
  if (needsLinux !== (kernel.futex.mode === 'linux')) {
    const what = `libc ${variant} does not speak the ${kernel.futex.mode} futex ABI`;
    fail(ctx, 'libc.variant', what, needsLinux ? 'relibc (or kernel.futex.mode linux)' : 'improved');
  }
  return { variant };
}

/**
 * `[machine]`: when the table is present `cpus` is required, so a machine is never half-specified by
 * accident, unless `[firmware] tables` gives the topology (the tables' CPU count then replaces it).
 */
function readMachine(
  ctx: ReadContext,
  value: unknown,
  scheduler: SchedPolicyName,
  topologyFromTables: boolean,
): RunConfig['machine'] {
  const defaults = defaultRunConfig(scheduler).machine;
  const table = readTable(ctx, value ?? { cpus: defaults.topology.cpus }, 'machine', MACHINE_KEYS);
  const p = 'machine';
  const cpusFallback = topologyFromTables ? { fallback: defaults.topology.cpus } : {};
  const cpus = readInt(ctx, table, 'cpus', p, { min: 1, max: CPUS_MAX, ...cpusFallback });
  const smt = readInt(ctx, table, 'smt', p, { min: 1, max: 2, fallback: defaults.topology.smt });
  const packages = readInt(ctx, table, 'packages', p, { min: 1, max: cpus, fallback: 1 });
  if (cpus % (smt * packages) !== 0) {
    const what = `${cpus} CPUs do not split evenly into ${packages} package(s) of ${smt}-thread cores`;
    fail(ctx, fieldPath(p, 'cpus'), what, `a multiple of ${smt * packages}`);
  }
  const numaNodes = readInt(ctx, table, 'numa_nodes', p, { min: 1, max: packages, fallback: 1 });
  if (packages % numaNodes !== 0) {
    const divisors = Array.from({ length: packages }, (_, i) => i + 1).filter((d) => packages % d === 0);
    const what = `${packages} packages do not split evenly into ${numaNodes} nodes`;
    fail(ctx, fieldPath(p, 'numa_nodes'), what, allowedNames(divisors.map(String), String(numaNodes)));
  }
  return {
    topology: {
      cpus,
      smt,
      packages,
      numaNodes,
      numaRemoteDistance: readInt(ctx, table, 'numa_remote_distance', p, {
        min: NUMA_DISTANCE_MIN,
        max: NUMA_DISTANCE_MAX,
        fallback: defaults.topology.numaRemoteDistance,
      }),
      ...(own(table, 'tlb') === undefined ? {} : { tlb: readMachineTlb(ctx, own(table, 'tlb')) }),
    },
    tick: readTick(ctx, own(table, 'tick'), scheduler),
    cpuMhz: readInt(ctx, table, 'cpu_mhz', p, {
      min: CPU_MHZ_MIN,
      max: CPU_MHZ_MAX,
      fallback: defaults.cpuMhz,
    }),
  };
}

/** The tick defaults to the scheduler's preset (HW-12); a source given alone gets that source's usual rate. */
function readTick(ctx: ReadContext, value: unknown, scheduler: SchedPolicyName): TickConfig {
  const preset = presetTick(scheduler);
  const table = readTable(ctx, value ?? {}, 'machine.tick', TICK_KEYS);
  const source = readChoice(ctx, table, 'source', 'machine.tick', {
    choices: TICK_SOURCES,
    noun: 'a tick source',
    fallback: preset.source,
  });
  const hz = readInt(ctx, table, 'hz', 'machine.tick', {
    min: TICK_HZ_MIN,
    max: TICK_HZ_MAX,
    fallback: source === preset.source ? preset.hz : usualTickHz(source),
  });
  return { source, hz };
}

/** The rate each source has in the preset that uses it: the PIT's divisor 4847 (≈246 Hz), the LAPIC's 1000 Hz (also TSC-deadline's nominal tick). */
function usualTickHz(source: TickSourceName): number {
  return presetTick(source === 'pit' ? 'dwrr' : 'fair').hz; // tsc-deadline: a 1000 Hz nominal tick
}

/**
 * `[costs]` with an optional `profile = "host.toml"` (issue 23, `smpsim calibrate` writes one): the
 * profile's own `[costs]` first, checked as a scenario's are (errors name the profile's file),
 * then the scenario's keys over it.
 */
function readCostsWithProfile(ctx: ReadContext, value: unknown): Record<string, number> {
  if (!isTable(value) || own(value, 'profile') === undefined) return readCosts(ctx, value);
  const { profile, ...rest } = value;
  if (typeof profile !== 'string' || profile === '')
    fail(
      ctx,
      'costs.profile',
      `expected a file path, got ${kindOf(profile)}`,
      'a costs profile such as host.toml',
    );
  const file = resolve(ctx.dir ?? '.', profile);
  const doc = readCostProfile(ctx, file);
  return { ...readCosts({ file, dir: dirname(file) }, own(doc, 'costs') ?? {}), ...readCosts(ctx, rest) };
}

/**
 * A costs profile file on its own (`smpsim fidelity --profile`): its `[costs]`, checked as a
 * scenario's are, every problem a ScenarioError naming the profile's file and field.
 */
export function loadCostProfile(file: string): Record<string, number> {
  const doc = readCostProfile({ file }, file);
  return readCosts({ file, dir: dirname(file) }, own(doc, 'costs') ?? {});
}

function readCostProfile(ctx: ReadContext, file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    fail(ctx, 'costs.profile', `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (e) {
    fail({ file }, '', `not valid TOML: ${(e as Error).message.split('\n')[0]}`);
  }
}

/**
 * `[costs]`: each key a cost-model parameter within its range (hw/cost-model.ts). Unknown keys
 * are found in one pass and only the first is named, with a count of the rest, so a file with
 * thousands of them is refused as fast as one with one.
 */
function readCosts(ctx: ReadContext, value: unknown): Record<string, number> {
  const costs: Record<string, number> = {};
  if (value === undefined) return costs;
  if (!isTable(value)) fail(ctx, 'costs', `expected a table, got ${kindOf(value)}`);
  const keys = Object.keys(value);
  const unknown = keys.filter((key) => !isCostName(key));
  if (unknown.length > 0) {
    const more = unknown.length === 1 ? '' : ` (and ${unknown.length - 1} more unknown keys)`;
    fail(
      ctx,
      fieldPath('costs', unknown[0]!),
      `unknown cost parameter${more}`,
      allowedNames(COST_NAMES, unknown[0]!),
    );
  }
  for (const key of keys as CostName[]) {
    const [min, max] = costRange(key);
    const cost = readNumber(ctx, value[key], fieldPath('costs', key), min, max);
    // Times, rates and ppm are whole numbers in the machine (a fractional ns has no tick to land
    // on); a cycle charge may be a fraction, rounded where a burst is charged.
    if (!key.endsWith('Cycles') && !Number.isInteger(cost))
      fail(ctx, fieldPath('costs', key), `${cost} is not a whole number`, `an integer ${min}..${max}`);
    // defineProperty, not assignment, so that no key can reach a prototype.
    Object.defineProperty(costs, key, { value: cost, enumerable: true, writable: true, configurable: true });
  }
  return costs;
}

/** An `[[expect]]` entry: a metric and exactly one comparison, so the check's meaning is never ambiguous. */
function readExpectation(ctx: ReadContext, value: unknown, prefix: string): Expectation {
  const table = readTable(ctx, value, prefix, EXPECT_KEYS);
  const metric = readString(ctx, table, 'metric', prefix);
  const ops = EXPECT_OPS.filter((op) => own(table, op) !== undefined);
  if (ops.length !== 1) {
    const what = ops.length === 0 ? 'no comparison given' : `${ops.join(' and ')} given together`;
    fail(ctx, prefix, what, 'exactly one of equals, min, max');
  }
  const op = ops[0]!;
  const expectation: Expectation = { metric, [op]: readNumber(ctx, own(table, op), fieldPath(prefix, op)) };
  if (own(table, 'note') !== undefined) expectation.note = readString(ctx, table, 'note', prefix, '');
  return expectation;
}

/** A table already checked by readTable (or absent): its record, for keys read beside it. */
function tableOrEmpty(value: unknown): Table {
  return isTable(value) ? value : {};
}
