/** Validation of one `[[workload]]` entry into a WorkloadConfig (primes, spin, pingpong, futexhash). */
import {
  PRIMES_MODES,
  PRIMES_PARTITIONS,
  type PingPongWorkload,
  type PrimesWorkload,
  type SpinWorkload,
  WORKLOAD_KINDS,
  type WorkloadConfig,
  type FutexHashWorkload,
  type ProgramWorkload,
} from '../machine/config.ts';
import { PRIMES_DEFAULT, THREADS_LIMIT_MAX } from '../machine/defaults.ts';
import type { GuestProgram, ParamSpec, ParamValue } from '../workloads/program.ts';
import { readWorkloadModule } from './module-keys.ts';
import { readRtapp } from './rtapp.ts';
import { withAliasesResolved } from './param-aliases.ts';
import { TASK_TABLE_KEYS, withTaskTables } from './taskset-keys.ts';
import { PROGRAMS, programNames } from '../workloads/registry.ts';
import {
  checkInt,
  fail,
  fieldPath,
  isTable,
  kindOf,
  own,
  type ReadContext,
  readChoice,
  readInt,
  readTable,
} from './fields.ts';

/** Bounds of the primes workload: enough for SCHED-13's 2,000,000 with room to spare, small enough to finish. */
export const PRIMES_RANGE_MAX = 100_000_000;
export const PRIMES_SEGMENT_MIN = 100;
export const PRIMES_SEGMENT_MAX = 10_000_000;
export const PRIMES_WORKERS_MAX = 256;
/** Repetitions of a built-in workload's step (iterations, rounds, ops): a billion is hours of simulated work. */
export const WORK_COUNT_MAX = 1_000_000_000;
/** One compute burst: 10^10 cycles are over 3 simulated seconds at 3 GHz. */
export const BURST_CYCLES_MAX = 10_000_000_000;

/** Keys each workload kind accepts; `kind` is common to all. */
const WORKLOAD_KEYS = {
  primes: ['kind', 'mode', 'workers', 'range', 'segment', 'partition', 'sleep_ns'],
  spin: ['kind', 'threads', 'iterations', 'cycles'],
  pingpong: ['kind', 'pairs', 'rounds'],
  futexhash: ['kind', 'threads', 'futexes', 'ops'],
  // A program's own parameters are checked against its declaration in readProgram.
  program: ['kind', 'program'],
  rtapp: ['kind', 'file'],
} as const satisfies Record<WorkloadConfig['kind'], readonly string[]>;

/**
 * Reads `[[workload]]` entry `index`. Worker and thread counts default to the machine's CPU count,
 * the natural size for a scaling run; amounts of work have no sensible default and are required.
 */
export function readWorkload(ctx: ReadContext, value: unknown, index: number, cpus: number): WorkloadConfig {
  const prefix = `workload.${index}`;
  // Check `kind` first: which other keys are allowed depends on it.
  if (!isTable(value)) fail(ctx, prefix, `expected a table, got ${kindOf(value)}`);
  const kind = readChoice(ctx, value, 'kind', prefix, { choices: WORKLOAD_KINDS, noun: 'a workload kind' });
  if (kind === 'program') return readProgram(ctx, value, prefix, cpus);
  if (kind === 'rtapp') return readRtapp(ctx, value, prefix, cpus);
  const table = readTable(ctx, value, prefix, WORKLOAD_KEYS[kind]);
  switch (kind) {
    case 'primes':
      return readPrimes(ctx, table, prefix, cpus);
    case 'spin':
      return readSpin(ctx, table, prefix, cpus);
    case 'pingpong':
      return readPingPong(ctx, table, prefix);
    case 'futexhash':
      return readFutexHash(ctx, table, prefix, cpus);
  }
}

/** `kind = "program"`: the program's name, then each parameter it declares, by its spec. */
function readProgram(
  ctx: ReadContext,
  value: Record<string, unknown>,
  prefix: string,
  cpus: number,
): ProgramWorkload {
  // issue 22: your own program, from its module (module-keys.ts).
  const fromModule = readWorkloadModule(ctx, value, prefix);
  if (fromModule !== null)
    return readProgramParams(ctx, value, prefix, cpus, fromModule.program, fromModule.path);
  const names = programNames();
  const loose = readTable(ctx, value, prefix, [
    ...WORKLOAD_KEYS.program,
    ...TASK_TABLE_KEYS,
    ...new Set(
      [...PROGRAMS.values()].flatMap((p) => p.params.flatMap((s) => [s.name, ...(s.aliases ?? [])])),
    ),
  ]);
  const name = readChoice(ctx, loose, 'program', prefix, { choices: names, noun: 'a guest program' });
  return readProgramParams(ctx, loose, prefix, cpus, PROGRAMS.get(name)!, undefined);
}

/** The parameters `program` declares, read from its table; `module`: the program's module path. */
function readProgramParams(
  ctx: ReadContext,
  value: Record<string, unknown>,
  prefix: string,
  cpus: number,
  program: GuestProgram,
  module: string | undefined,
): ProgramWorkload {
  const keys = module === undefined ? WORKLOAD_KEYS.program : ['kind', 'module'];
  // The taskset's tasks may also be tables (SimSo's rows), read into its parallel lists.
  const tables = program === PROGRAMS.get('taskset') ? TASK_TABLE_KEYS : [];
  const given = readTable(ctx, value, prefix, [
    ...keys,
    ...tables,
    ...program.params.flatMap((s) => [s.name, ...(s.aliases ?? [])]),
  ]);
  const rows = tables.length === 0 ? given : withTaskTables(ctx, given, prefix);
  const table = withAliasesResolved(ctx, rows, prefix, program.params);
  const params: Record<string, ParamValue> = {};
  for (const spec of program.params) params[spec.name] = readParam(ctx, table, prefix, spec);
  const problem = program.check?.(params, { cpus }) ?? null;
  if (problem !== null) fail(ctx, fieldPath(prefix, problem.param), problem.problem, problem.allowed);
  const name = program.image.name;
  return { kind: 'program', program: name, params, ...(module === undefined ? {} : { module }) };
}

function readParam(
  ctx: ReadContext,
  table: Record<string, unknown>,
  prefix: string,
  spec: ParamSpec,
): ParamValue {
  switch (spec.kind) {
    case 'int':
      return readInt(ctx, table, spec.name, prefix, {
        min: spec.min,
        max: spec.max,
        fallback: spec.fallback,
      });
    case 'choice':
      return readChoice(ctx, table, spec.name, prefix, {
        choices: spec.choices,
        noun: `a ${spec.name}`,
        fallback: spec.fallback,
      });
    case 'ints': {
      const field = fieldPath(prefix, spec.name);
      const raw = own(table, spec.name);
      // A list whose default is empty may be given empty (as a rendered configuration writes it).
      const minLength = spec.fallback?.length === 0 ? 0 : 1;
      const allowed = `a list of ${minLength}..${spec.maxLength} integers ${spec.min}..${spec.max}`;
      if (raw === undefined) {
        if (spec.fallback !== undefined) return [...spec.fallback];
        fail(ctx, field, 'required key is missing', allowed);
      }
      if (!Array.isArray(raw) || raw.length < minLength || raw.length > spec.maxLength) {
        fail(ctx, field, `expected ${allowed}, got ${kindOf(raw)}`, allowed);
      }
      return raw.map((v, i) => checkInt(ctx, v, `${field}.${i}`, spec.min, spec.max));
    }
  }
}

function readPrimes(
  ctx: ReadContext,
  table: Record<string, unknown>,
  prefix: string,
  cpus: number,
): PrimesWorkload {
  return {
    kind: 'primes',
    mode: readChoice(ctx, table, 'mode', prefix, {
      choices: PRIMES_MODES,
      noun: 'a primes mode',
      fallback: PRIMES_DEFAULT.mode,
    }),
    workers: readInt(ctx, table, 'workers', prefix, {
      min: 1,
      max: PRIMES_WORKERS_MAX,
      fallback: Math.min(cpus, PRIMES_WORKERS_MAX),
    }),
    range: readRange(ctx, own(table, 'range'), fieldPath(prefix, 'range')),
    segment: readInt(ctx, table, 'segment', prefix, {
      min: PRIMES_SEGMENT_MIN,
      max: PRIMES_SEGMENT_MAX,
      fallback: PRIMES_DEFAULT.segment,
    }),
    partition: readChoice(ctx, table, 'partition', prefix, {
      choices: PRIMES_PARTITIONS,
      noun: 'a partition',
      fallback: PRIMES_DEFAULT.partition,
    }),
    ...(own(table, 'sleep_ns') === undefined
      ? {}
      : { sleepNs: readInt(ctx, table, 'sleep_ns', prefix, { min: 0, max: PRIMES_SLEEP_NS_MAX }) }),
  };
}

/** The longest ring sleep a primes worker takes after a segment (issue 20): 10 ms. */
export const PRIMES_SLEEP_NS_MAX = 10_000_000;

/** `sleep_ns` is a ring sleep (a capring Timeout operation): only on that personality (issue 20). */
export function checkPrimesSleep(
  ctx: ReadContext,
  abi: string | undefined,
  workloads: WorkloadConfig[],
): void {
  workloads.forEach((w, i) => {
    if (w.kind === 'primes' && w.sleepNs !== undefined && abi !== 'capring') {
      fail(
        ctx,
        `workload.${i}.sleep_ns`,
        'a ring sleep needs the capring personality',
        'kernel.abi = "capring"',
      );
    }
  });
}

/** Reads `range = [lo, hi]`, the half-open interval of integers to test. */
function readRange(ctx: ReadContext, value: unknown, field: string): [number, number] {
  const allowed = `[lo, hi] with 0 <= lo < hi <= ${PRIMES_RANGE_MAX}`;
  if (value === undefined) return [...PRIMES_DEFAULT.range];
  if (!Array.isArray(value) || value.length !== 2) fail(ctx, field, 'expected two integers', allowed);
  const lo = checkInt(ctx, value[0], `${field}.0`, 0, PRIMES_RANGE_MAX - 1);
  const hi = checkInt(ctx, value[1], `${field}.1`, 1, PRIMES_RANGE_MAX);
  if (lo >= hi) fail(ctx, field, `[${lo}, ${hi}] is empty`, allowed);
  return [lo, hi];
}

function readSpin(
  ctx: ReadContext,
  table: Record<string, unknown>,
  prefix: string,
  cpus: number,
): SpinWorkload {
  return {
    kind: 'spin',
    threads: readInt(ctx, table, 'threads', prefix, { min: 1, max: THREADS_LIMIT_MAX, fallback: cpus }),
    iterations: readInt(ctx, table, 'iterations', prefix, { min: 1, max: WORK_COUNT_MAX }),
    cycles: readInt(ctx, table, 'cycles', prefix, { min: 1, max: BURST_CYCLES_MAX }),
  };
}

function readFutexHash(
  ctx: ReadContext,
  table: Record<string, unknown>,
  prefix: string,
  cpus: number,
): FutexHashWorkload {
  return {
    kind: 'futexhash',
    threads: readInt(ctx, table, 'threads', prefix, { min: 1, max: THREADS_LIMIT_MAX, fallback: cpus }),
    futexes: readInt(ctx, table, 'futexes', prefix, { min: 1, max: 1 << 16, fallback: 1024 }),
    ops: readInt(ctx, table, 'ops', prefix, { min: 1, max: WORK_COUNT_MAX }),
  };
}

function readPingPong(ctx: ReadContext, table: Record<string, unknown>, prefix: string): PingPongWorkload {
  return {
    kind: 'pingpong',
    // Each pair is two threads, so the thread limit bounds the pairs.
    pairs: readInt(ctx, table, 'pairs', prefix, { min: 1, max: THREADS_LIMIT_MAX / 2, fallback: 1 }),
    rounds: readInt(ctx, table, 'rounds', prefix, { min: 1, max: WORK_COUNT_MAX }),
  };
}
