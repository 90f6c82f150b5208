// Property tests for the scenario parser: rendered configs round-trip, and bad input only ever raises ScenarioError.
import { FIRMWARE_BUGS } from '../../src/hw/acpi/bugs.ts';
import { PARSER_NAMES } from '../../src/kernel/acpi/types.ts';
import { BOOT_PROTOCOLS } from '../../src/kernel/boot/plan.ts';
import type { ApFault } from '../../src/hw/ap-startup.ts';

const ANY_MACHINE_BUGS: ReadonlySet<string> = new Set([
  'disabled-cpu-enabled',
  'bad-checksum',
  'unknown-entry-type',
]);
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type CompareConfig,
  type CpufreqConfig,
  type Expectation,
  PRIMES_MODES,
  PRIMES_PARTITIONS,
  RUN_ENDS,
  type RunConfig,
  SCHED_POLICIES,
  TICK_SOURCES,
  type WorkloadConfig,
} from '../../src/machine/config.ts';
import { COST_NAMES } from '../../src/hw/cost-model.ts';
import { TSC_CALIBRATIONS } from '../../src/kernel/clock/tsc-calibrate.ts';
import { GOVERNORS } from '../../src/kernel/cpufreq/governors.ts';
import { TLB_PROTOCOLS } from '../../src/kernel/tlb/state.ts';
import { FORK_MODES, PAGING_MODES } from '../../src/kernel/mm-options.ts';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { renderScenario } from '../../src/scenario/render.ts';

const count = (max: number) => fc.integer({ min: 1, max });
// + 0 turns -0 into 0; every cost parameter allows at least 0..100000.
const cost = fc.double({ min: 0, max: 100_000, noNaN: true }).map((x) => x + 0);

const topology = fc
  .record({ smt: fc.constantFrom(1, 2), packages: count(4), nodesPick: fc.nat(), coresPer: count(16) })
  .chain(({ smt, packages, nodesPick, coresPer }) => {
    const divisors = [1, 2, 3, 4].filter((d) => packages % d === 0);
    const numaNodes = divisors[nodesPick % divisors.length]!;
    return fc.record({
      cpus: fc.constant(Math.min(smt * packages * coresPer, 256 - (256 % (smt * packages)))),
      smt: fc.constant(smt),
      packages: fc.constant(packages),
      numaNodes: fc.constant(numaNodes),
      numaRemoteDistance: fc.integer({ min: 11, max: 254 }),
    });
  });

const workload: fc.Arbitrary<WorkloadConfig> = fc.oneof(
  fc
    .record({
      mode: fc.constantFrom(...PRIMES_MODES),
      workers: count(256),
      lo: fc.integer({ min: 0, max: 99_999_999 }),
      span: count(1_000_000),
      segment: fc.integer({ min: 100, max: 10_000_000 }),
      partition: fc.constantFrom(...PRIMES_PARTITIONS),
    })
    .map(({ lo, span, ...rest }) => ({
      kind: 'primes' as const,
      ...rest,
      range: [lo, Math.min(lo + span, 100_000_000)] as [number, number],
    })),
  fc.record({
    kind: fc.constant('spin' as const),
    threads: count(4096),
    iterations: count(1e9),
    cycles: count(1e9),
  }),
  fc.record({ kind: fc.constant('pingpong' as const), pairs: count(2048), rounds: count(1e9) }),
);

const expectation: fc.Arbitrary<Expectation> = fc
  .record({
    metric: fc.string({ minLength: 1 }),
    op: fc.constantFrom('equals', 'min', 'max'),
    value: fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x + 0),
    note: fc.option(fc.string(), { nil: undefined }),
  })
  .map(({ metric, op, value, note }) =>
    note === undefined ? { metric, [op]: value } : { metric, [op]: value, note },
  );

/** `[cpufreq]` before its table is fitted under the machine's clock (pstatesBelow). */
const cpufreqDraft = fc.record({
  governor: fc.constantFrom(...GOVERNORS),
  steps: fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { minLength: 0, maxLength: 15 }),
  power: fc.integer({ min: 0, max: 1_000_000 }),
  idleMw: fc.integer({ min: 0, max: 1_000_000 }),
  transitionLatencyUs: fc.integer({ min: 0, max: 10_000 }),
  transitionDelayUs: fc.integer({ min: 1, max: 100_000 }),
  upThreshold: fc.integer({ min: 1, max: 100 }),
  samplingDownFactor: fc.integer({ min: 1, max: 100_000 }),
});

/** A falling P-state table from `cpuMhz` (its steps as percentages of it, at least 100 MHz, distinct). */
function pstatesBelow(
  d: typeof cpufreqDraft extends fc.Arbitrary<infer T> ? T : never,
  cpuMhz: number,
): CpufreqConfig {
  const lower = [...new Set(d.steps.map((pct) => Math.max(100, Math.floor((cpuMhz * pct) / 100))))]
    .filter((mhz) => mhz < cpuMhz)
    .sort((a, b) => b - a);
  const pstatesMhz = [cpuMhz, ...lower];
  const { steps: _, power, ...rest } = d;
  return { ...rest, pstatesMhz, powerMw: pstatesMhz.map(() => power) };
}
/** [kernel] paging and fork (kernel/mm-options.ts): absent, or both read back. */
const mmOptions = fc.record({
  paging: fc.constantFrom(...PAGING_MODES),
  fork: fc.constantFrom(...FORK_MODES),
});
const KERNEL_REQUIRED = {
  requiredKeys: ['scheduler', 'futex', 'numa', 'tlb'] as ('scheduler' | 'futex' | 'numa' | 'tlb')[],
};

/** [kernel] tlb, pcid, tlb_timeout_us (linux only) and [faults] (issue 15). */
const tlbOptions = fc
  .record({
    protocol: fc.constantFrom(...TLB_PROTOCOLS),
    pcid: fc.boolean(),
    timeoutNs: fc.integer({ min: 0, max: 1_000_000 }).map((us) => us * 1000),
    dropIpi: fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 3 }),
    skipFlush: fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 3 }),
  })
  .map((o) => (o.protocol === 'linux' ? o : { ...o, timeoutNs: 0 }));

const runConfigWithoutLibc = fc.record({
  name: fc.string({ minLength: 1 }),
  seed: fc.nat(),
  headline: fc.array(fc.string({ minLength: 1 }), { maxLength: 3 }),
  machine: fc.record({
    topology,
    tick: fc.record({ source: fc.constantFrom(...TICK_SOURCES), hz: fc.integer({ min: 10, max: 10_000 }) }),
    cpuMhz: fc.integer({ min: 100, max: 10_000 }),
  }),
  kernel: fc
    .oneof(
      fc.record(
        {
          scheduler: fc.constantFrom(...SCHED_POLICIES),
          futex: fc.record({ mode: fc.constant('redox' as const), shards: fc.constant(1) }),
          numa: fc.boolean(),
          tlb: tlbOptions,
          mm: mmOptions,
        },
        KERNEL_REQUIRED,
      ),
      fc.record(
        {
          scheduler: fc.constantFrom(...SCHED_POLICIES),
          futex: fc.record({
            mode: fc.constantFrom('redbear' as const, 'linux' as const),
            shards: fc.integer({ min: 1, max: 4096 }),
          }),
          numa: fc.boolean(),
          tlb: tlbOptions,
          mm: mmOptions,
        },
        KERNEL_REQUIRED,
      ),
    )
    .map((k) =>
      // fork = "cow" needs futex mode linux (frame-keyed futexes would move with a copy: validate.ts).
      k.mm?.fork === 'cow' && k.futex.mode !== 'linux' ? { ...k, mm: { ...k.mm, fork: 'copy' as const } } : k,
    ),
  clock: fc.option(fc.record({ calibration: fc.constantFrom(...TSC_CALIBRATIONS) }), { nil: null }),
  cpufreq: fc.option(cpufreqDraft, { nil: null }),
  firmware: fc.record({
    parser: fc.constantFrom(...PARSER_NAMES),
    // The bugs any machine can take (the others need two CPUs or two nodes: validated apart).
    bugs: fc.uniqueArray(fc.constantFrom(...FIRMWARE_BUGS.filter((b) => ANY_MACHINE_BUGS.has(b))), {
      maxLength: 3,
    }),
    x2apic: fc.boolean(),
  }),
  // Faults name no CPU, as a machine of any size (1 CPU too) must take them.
  boot: fc.record({
    simulate: fc.boolean(),
    protocol: fc.constantFrom(...BOOT_PROTOCOLS),
    races: fc.record({ counter: fc.boolean(), dualReady: fc.boolean(), nodeLate: fc.boolean() }),
    legacyDelays: fc.boolean(),
    faults: fc.constant<{ cpu: number; fault: ApFault }[]>([]),
  }),
  // Cycle charges may be fractions; every other cost is a whole number (validate.ts readCosts).
  costs: fc
    .dictionary(fc.constantFrom(...COST_NAMES), cost)
    .map((costs) =>
      Object.fromEntries(
        Object.entries(costs).map(([k, v]) => [k, k.endsWith('Cycles') ? v : Math.round(v)]),
      ),
    ),
  workloads: fc.array(workload, { minLength: 1, maxLength: 4 }),
  limits: fc.record({
    simNsMax: count(2 ** 50),
    eventsMax: count(2 ** 50),
    threadsMax: count(4096),
    wallSMax: count(86_400),
    runsMax: fc.constant(1000),
  }),
  outcome: fc.record({ ends: fc.constantFrom(...RUN_ENDS), killed: fc.nat({ max: 4096 }) }),
  expect: fc.array(expectation, { maxLength: 4 }),
  compare: fc.constant([] as CompareConfig[]),
  sweep: fc.option(
    fc.record({
      cpus: fc.uniqueArray(fc.integer({ min: 1, max: 256 }), { minLength: 1, maxLength: 5 }),
      runs: fc.integer({ min: 1, max: 100 }), // at most 5 x 100 runs: inside runs_max 1000
      metric: fc.string({ minLength: 1 }),
    }),
    { nil: null },
  ),
});

/** The libc follows the futex ABI it speaks: relibc on redox and redbear, improved on linux. */
const runConfig: fc.Arbitrary<RunConfig> = runConfigWithoutLibc.map((c) => ({
  ...c,
  cpufreq: c.cpufreq === null ? null : pstatesBelow(c.cpufreq, c.machine.cpuMhz),
  libc: { variant: c.kernel.futex.mode === 'linux' ? ('improved' as const) : ('relibc' as const) },
}));

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** Runs `parse` and lets through only a ScenarioError, whose message must be one line. */
function onlyScenarioErrors(parse: () => unknown): void {
  try {
    parse();
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    assert.doesNotMatch(error.message, /[\r\n]/);
    assert.ok(error.message.startsWith('f.toml: '), error.message);
  }
}

test('any valid config rendered to TOML parses back to the same config', () => {
  fc.assert(
    fc.property(runConfig, (config) => {
      const parsed = parseScenario(renderScenario(config), 'f.toml');
      // fast-check may build null-prototype objects; compare plain data (all numbers here are finite).
      assert.deepEqual(plain(parsed), plain(config));
    }),
    { numRuns: 300 },
  );
});

test('[compare] and [[compare]] variants render and parse back, each with its own changes', () => {
  const name = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,11}$/);
  const variant = fc.record({
    name,
    scheduler: fc.constantFrom(...SCHED_POLICIES),
    metrics: fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 3 }),
  });
  const variants = fc.uniqueArray(variant, { minLength: 1, maxLength: 4, selector: (v) => v.name });
  fc.assert(
    fc.property(runConfig, variants, fc.boolean(), (config, vs, lone) => {
      const named = !(lone && vs.length === 1);
      config.compare = vs.map((v) => ({
        name: v.name,
        set: [`kernel.scheduler="${v.scheduler}"`],
        metrics: v.metrics,
        prefix: named ? `${v.name}.` : '',
        config,
      }));
      const parsed = parseScenario(renderScenario(config), 'f.toml');
      assert.deepEqual(
        parsed.compare.map((c) => [c.name, c.prefix, c.set, c.metrics, c.config.kernel.scheduler]),
        vs.map((v) => [
          v.name,
          named ? `${v.name}.` : '',
          [`kernel.scheduler="${v.scheduler}"`],
          v.metrics,
          v.scheduler,
        ]),
      );
      for (const c of parsed.compare) {
        assert.deepEqual(c.config.compare, [], 'a variant has no variants of its own');
        assert.equal(c.config.workloads.length, config.workloads.length);
      }
    }),
    { numRuns: 150 },
  );
});

test('random text never raises anything but a one-line ScenarioError', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (text) =>
      onlyScenarioErrors(() => parseScenario(text, 'f.toml')),
    ),
    { numRuns: 500 },
  );
});

test('random edits of a valid scenario never raise anything but a one-line ScenarioError', () => {
  const edit = fc.record({ at: fc.nat(), cut: fc.nat({ max: 20 }), insert: fc.string({ maxLength: 20 }) });
  fc.assert(
    fc.property(runConfig, fc.array(edit, { minLength: 1, maxLength: 4 }), (config, edits) => {
      let text = renderScenario(config);
      for (const { at, cut, insert } of edits) {
        const i = at % (text.length + 1);
        text = text.slice(0, i) + insert + text.slice(i + cut);
      }
      onlyScenarioErrors(() => parseScenario(text, 'f.toml'));
    }),
    { numRuns: 300 },
  );
});

test('random --set assignments never raise anything but a one-line ScenarioError', () => {
  const path = fc
    .array(
      fc.oneof(fc.constantFrom('machine', 'cpus', 'workload', '0', 'tick', 'costs', 'kernel'), fc.string()),
      {
        minLength: 1,
        maxLength: 4,
      },
    )
    .map((keys) => keys.join('.'));
  const assignment = fc.tuple(path, fc.string({ maxLength: 20 })).map(([p, v]) => `${p}=${v}`);
  fc.assert(
    fc.property(runConfig, fc.array(assignment, { maxLength: 3 }), (config, set) =>
      onlyScenarioErrors(() => parseScenario(renderScenario(config), 'f.toml', { set })),
    ),
    { numRuns: 300 },
  );
});
