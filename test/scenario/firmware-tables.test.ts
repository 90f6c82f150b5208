// `[firmware] tables = "DIR"` (issue 16, HW-14): a scenario boots from table files; the machine's
// CPUs and nodes come from the parsed MADT and SRAT, and a [machine] that contradicts them is refused.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runBoot } from '../../src/report/boot-run.ts';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { parseScenario } from '../../src/scenario/load.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'acpi');
const FILE = join(FIXTURES, 'scenario.toml'); // paths resolve against the scenario's directory

const scenario = (dir: string, machine = '') => `
name = "from-tables"
[kernel]
scheduler = "fair"
${machine}
[firmware]
tables = "${dir}"
[boot]
simulate = true
[[workload]]
kind = "spin"
threads = 1
iterations = 1
cycles = 1
`;

test('a scenario boots from the 8-CPU 2-node fixture: 8 CPUs on 2 nodes, all online', () => {
  const config = parseScenario(scenario('smpsim-8cpu-2node'), FILE);
  // The fixture is `acpi --generate --cpus 8 --nodes 2 --smt --hotplug 2` (fixtures/acpi/README.md).
  // APIC ids 0..7 on 2 nodes: ids alone cannot tell SMT from cores, so the first fit (smt 1).
  assert.equal(config.machine.topology.cpus, 8);
  assert.equal(config.machine.topology.numaNodes, 2);
  const { machine, report } = runBoot(config);
  assert.equal(machine.board.cpus.length, 8);
  assert.deepEqual(report.online, [0, 1, 2, 3, 4, 5, 6, 7]);
  // The kernel saw the fixture's bytes: its 2 hot-plug slots are listed, never started.
  assert.equal(machine.kernel.firmware.cpus.filter((c) => c.onlineCapable && !c.enabled).length, 2);
});

test('the 240-CPU x2APIC fixture gives 240 CPUs on 6 nodes; the acpidump text the 8-CPU machine', () => {
  const big = parseScenario(scenario('smpsim-240cpu-6node-x2apic'), FILE);
  assert.equal(big.machine.topology.cpus, 240);
  assert.equal(big.machine.topology.numaNodes, 6);
  const text = parseScenario(scenario('acpidump-text/acpidump.out'), FILE);
  assert.equal(text.machine.topology.cpus, 8);
});

test('a [machine] that contradicts the tables, or tables no machine has, are one-line errors', () => {
  const contradict = () => parseScenario(scenario('smpsim-8cpu-2node', '[machine]\ncpus = 16'), FILE);
  assert.throws(contradict, (e: unknown) => {
    assert.ok(e instanceof ScenarioError);
    assert.match(e.message, /firmware\.tables: smpsim-8cpu-2node gives cpus = 8, machine\.cpus = 16/);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
  // Agreeing keys are fine.
  assert.equal(
    parseScenario(scenario('smpsim-8cpu-2node', '[machine]\ncpus = 8'), FILE).machine.topology.cpus,
    8,
  );
  // The all-bugs tables list APIC id 0 twice (duplicate-apic-id): no hardware has that.
  assert.throws(
    () => parseScenario(scenario('smpsim-8cpu-all-bugs'), FILE),
    /firmware\.tables: smpsim-8cpu-all-bugs: /,
  );
  assert.throws(
    () => parseScenario(scenario('no-such-dir'), FILE),
    /firmware\.tables: .*no such file or directory/,
  );
});
