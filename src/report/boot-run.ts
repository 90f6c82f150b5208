/**
 * One simulated bring-up (issue 16) as `smpsim boot` and the README's bring-up table run it: the
 * run configuration for a machine of N CPUs booting under a protocol (the parser, races and
 * firmware its preset gives unless told), and the run itself up to the last AP, with the boot
 * report and the firmware findings. A parser that panics on its tables throws FirmwareBootStop.
 */
import type { ApFault } from '../hw/ap-startup.ts';
import type { FirmwareBug } from '../hw/acpi/bugs.ts';
import type { ParserName } from '../kernel/acpi/types.ts';
import { bootReport } from '../kernel/boot/bringup.ts';
import { type BootProtocol, type BootReport, presetRaces } from '../kernel/boot/plan.ts';
import { buildMachine } from '../machine/build.ts';
import type { RunConfig, TopologyConfig } from '../machine/config.ts';
import { defaultRunConfig } from '../machine/defaults.ts';

export interface BootRunParams {
  cpus: number;
  protocol: BootProtocol;
  nodes?: number;
  parser?: ParserName;
  bugs?: FirmwareBug[];
  x2apic?: boolean;
  legacyDelays?: boolean;
  faults?: { cpu: number; fault: ApFault }[];
  /** Real table files to ship (`--tables`), and the topology they gave (scenario/firmware-tables.ts). */
  tables?: { dir: string; bytes: Uint8Array[]; topology: Partial<TopologyConfig> };
}

/** Simulated time a bring-up may take: 256 APs each at a 10 s timeout stay far inside it. */
const BOOT_SIM_NS_MAX = 3_000_000_000_000;

export function bootRunConfig(p: BootRunParams): RunConfig {
  const nodes = p.nodes ?? 1;
  const config = defaultRunConfig(p.protocol === 'redox' ? 'dwrr' : 'fair', p.cpus);
  config.machine.topology = {
    ...config.machine.topology,
    packages: nodes,
    numaNodes: nodes,
    ...p.tables?.topology,
  };
  config.firmware = {
    ...config.firmware,
    parser: p.parser ?? (p.protocol === 'redox' ? 'redox' : 'hardened'),
    bugs: p.bugs ?? [],
    x2apic: p.x2apic ?? true,
    ...(p.tables === undefined ? {} : { tables: { dir: p.tables.dir, bytes: p.tables.bytes } }),
  };
  config.boot = {
    simulate: true,
    protocol: p.protocol,
    races: presetRaces(p.protocol),
    legacyDelays: p.legacyDelays ?? false,
    faults: p.faults ?? [],
  };
  config.workloads = [{ kind: 'spin', threads: 1, iterations: 1, cycles: 1 }];
  config.limits.simNsMax = BOOT_SIM_NS_MAX;
  return config;
}

export interface BootRunResult {
  machine: ReturnType<typeof buildMachine>;
  report: BootReport;
}

export function runBoot(config: RunConfig): BootRunResult {
  const machine = buildMachine(config);
  machine.board.engine.run({ simNsMax: config.limits.simNsMax, eventsMax: config.limits.eventsMax });
  const run = machine.kernel.bringUp;
  if (run === null || run === undefined)
    throw new Error('boot: the machine was built without a simulated bring-up');
  return { machine, report: bootReport(run) };
}
