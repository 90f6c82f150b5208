// CPU frequency (HW-15): the governors' decisions as Linux's formulas give them, compute bursts
// that stretch by the clock ratio (also when a transition lands mid-burst), the energy estimate
// as power x time, and the `[cpufreq]` table's one-line errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CAPACITY_SCALE, ondemandState, schedutilState } from '../../src/kernel/cpufreq/governors.ts';
import { buildMachine } from '../../src/machine/build.ts';
import type { CpufreqConfig, RunConfig } from '../../src/machine/config.ts';
import { defaultRunConfig } from '../../src/machine/defaults.ts';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { parseScenario } from '../../src/scenario/load.ts';

const MHZ = [3000, 2400, 1800, 1200];

test('ondemand: above up_threshold straight to the maximum, else min + load x (max - min) / 100, closest', () => {
  assert.equal(ondemandState(MHZ, 81, 80), 0);
  assert.equal(ondemandState(MHZ, 80, 80), 1, '80% is not above 80: 1200 + 1440 = 2640, closest 2400');
  assert.equal(ondemandState(MHZ, 40, 80), 2, '1200 + 720 = 1920: closest 1800');
  assert.equal(ondemandState(MHZ, 0, 80), 3);
});

test('schedutil: 1.25 x max x util / 1024, the lowest state at or above it', () => {
  assert.equal(schedutilState(MHZ, CAPACITY_SCALE), 0, '3750 MHz is above every state: the highest');
  assert.equal(schedutilState(MHZ, 512), 1, '1875 MHz: 2400 is the lowest at or above');
  assert.equal(schedutilState(MHZ, 393), 2, '3750 x 393 / 1024 = 1439: 1800');
  assert.equal(schedutilState(MHZ, 0), 3);
});

const BURST_CYCLES = 300_000_000; // 100 ms at 3000 MHz

function burstConfig(governor: CpufreqConfig['governor']): RunConfig {
  const config = defaultRunConfig('fair', 1);
  config.costs = { computeJitterPpm: 0, cpuSkewPpm: 0 };
  config.cpufreq = {
    governor,
    pstatesMhz: MHZ,
    powerMw: [12_000, 6_000, 3_000, 2_000],
    idleMw: 1000,
    transitionLatencyUs: 20,
    transitionDelayUs: 500,
    upThreshold: 80,
    samplingDownFactor: 1,
  };
  config.workloads = [{ kind: 'spin', threads: 1, iterations: 1, cycles: BURST_CYCLES }];
  return config;
}

function run(config: RunConfig, before?: (m: ReturnType<typeof buildMachine>) => void) {
  const m = buildMachine(config);
  before?.(m);
  m.board.engine.run({ simNsMax: 10e9, eventsMax: 10_000_000 });
  assert.ok(m.kernel.finished);
  return m;
}

test('a compute burst at the lowest P-state takes max/min = 2.5 times as long', () => {
  const fast = run(burstConfig('performance')).board.cpus[0]!.userNs;
  const slow = run(burstConfig('powersave')).board.cpus[0]!.userNs;
  // Exact: with no jitter nor skew a burst is cycles / (MHz / 1000) ns; the rest of user time
  // (the spin program's own few effects) is the same in both.
  assert.equal(slow - fast, BURST_CYCLES / 1.2 - BURST_CYCLES / 3);
});

test('a transition landing mid-burst runs the remaining cycles at the new clock', () => {
  const requestNs = 50_000_000;
  const m = run(burstConfig('performance'), (machine) => {
    const kind = machine.board.engine.register('test-request', () =>
      machine.kernel.cpufreq!.hw.request(0, 3),
    );
    machine.board.engine.at(requestNs, kind, 0, 0);
  });
  const hw = m.kernel.cpufreq!.hw;
  assert.equal(hw.transitions[0], 1);
  // The burst ran `a` ns at 3 cycles/ns and the rest at 1.2: 3a + 1.2 (U - a) = cycles, so
  // a = (cycles - 1.2 U) / 1.8, which must end at the transition (request + 20 us) minus the
  // little the burst started after boot.
  const userNs = m.board.cpus[0]!.userNs;
  const fastNs = (BURST_CYCLES - 1.2 * userNs) / 1.8;
  assert.ok(
    fastNs <= requestNs + 20_000 && fastNs >= requestNs + 20_000 - 1_000_000,
    `ran ${fastNs} ns fast`,
  );
});

test('energy is busy time x the state power plus halted time x the idle power', () => {
  const m = run(burstConfig('powersave'));
  const hw = m.kernel.cpufreq!.hw;
  const energy = hw.energyMj();
  const busyNs = hw.busyNs.reduce((s, v) => s + v, 0);
  const idleNs = hw.idleNs.reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(busyNs + idleNs - m.board.engine.nowNs) < 1, 'every ns is busy or halted');
  const lowBusyNs = hw.busyNs[3]!; // the one CPU's lowest state, where it ran from 20 us on
  assert.ok(lowBusyNs >= BURST_CYCLES / 1.2, 'the burst ran at the lowest state');
  const expected = (hw.busyNs[0]! * 12_000 + lowBusyNs * 2_000 + idleNs * 1000) / 1e9;
  assert.ok(Math.abs(energy - expected) < 1e-6, `${energy} mJ, expected ${expected}`);
});

function errorOf(table: string): string {
  const text = `name = "c"\n[machine]\ncpus = 1\ncpu_mhz = 3000\n${table}\n[[workload]]\nkind = "spin"\nthreads = 1\niterations = 1\ncycles = 1`;
  try {
    parseScenario(text, 'c.toml');
  } catch (error) {
    assert.ok(error instanceof ScenarioError);
    return error.message;
  }
  assert.fail('no error');
}

test('[cpufreq] mistakes are one-line errors naming the field and what is allowed', () => {
  assert.equal(
    errorOf('[cpufreq]\ngovernor = "conservative"'),
    'c.toml: cpufreq.governor: "conservative" is not a governor (allowed: performance, powersave, ondemand, schedutil)',
  );
  assert.equal(
    errorOf('[cpufreq]\ngovernor = "ondemand"\npstates_mhz = [2000, 1000]'),
    'c.toml: cpufreq.pstates_mhz: the first state is 2000 MHz, not machine.cpu_mhz (allowed: clocks starting at 3000)',
  );
  assert.equal(
    errorOf('[cpufreq]\ngovernor = "ondemand"\npstates_mhz = [3000, 3000]'),
    'c.toml: cpufreq.pstates_mhz.1: 3000 is not below the state before it (allowed: clocks in falling order)',
  );
  assert.equal(
    errorOf('[cpufreq]\ngovernor = "ondemand"\npower_mw = [1, 2]'),
    'c.toml: cpufreq.power_mw: 2 powers for 4 states (allowed: one power per state)',
  );
  assert.equal(
    errorOf('[cpufreq]\ngovernor = "ondemand"\nup_threshold = 101'),
    'c.toml: cpufreq.up_threshold: 101 is out of range (allowed: 1..100)',
  );
  assert.match(
    errorOf('[clock]\ncalibration = "hpet"'),
    /^c\.toml: clock\.calibration: "hpet" is not a TSC calibration method \(allowed: redox, quick-pit, pit, pit-pmtimer, linux\)$/,
  );
});

test('without [cpufreq] the machine has no P-states; the default table is cpu_mhz x 1, 0.8, 0.6, 0.4', () => {
  const spin = '\n[[workload]]\nkind = "spin"\nthreads = 1\niterations = 1\ncycles = 1';
  assert.equal(parseScenario(`name = "n"${spin}`, 'n.toml').cpufreq, null);
  const c = parseScenario(`name = "n"\n[cpufreq]\ngovernor = "schedutil"${spin}`, 'n.toml').cpufreq!;
  assert.deepEqual(c.pstatesMhz, [3000, 2400, 1800, 1200]);
  assert.deepEqual(c.powerMw, [12_000, 6876, 3768, 2172], '1500 + 10500 x (f / 3000)^3, rounded');
});
