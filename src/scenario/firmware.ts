/**
 * `[firmware]` of a scenario (HW-7, HW-14, HW-6): `parser` (redox | hardened; the preset's by
 * default: redox under dwrr and redbear, hardened under fair), `bugs` (firmware bugs injected into
 * the tables, hw/acpi/bugs.ts) and `x2apic` (whether CPUID offers it; true by default).
 */
import { FIRMWARE_BUGS, type FirmwareBug } from '../hw/acpi/bugs.ts';
import { PARSER_NAMES } from '../kernel/acpi/types.ts';
import type { FirmwareConfig, SchedPolicyName, TopologyConfig } from '../machine/config.ts';
import { presetFirmware } from '../machine/defaults.ts';
import { fail, kindOf, own, type ReadContext, readChoice, readTable, show } from './fields.ts';

/** `tables` is read by firmware-tables.ts, before the machine's topology is final. */
const FIRMWARE_KEYS = ['parser', 'bugs', 'x2apic', 'tables'];

function readBugs(ctx: ReadContext, value: unknown): FirmwareBug[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(ctx, 'firmware.bugs', `expected an array, got ${kindOf(value)}`);
  const allowed = FIRMWARE_BUGS.join(', ');
  return value.map((bug, i) => {
    if (typeof bug !== 'string' || !(FIRMWARE_BUGS as readonly string[]).includes(bug)) {
      fail(ctx, `firmware.bugs.${i}`, `${show(bug)} is not a firmware bug`, allowed);
    }
    return bug as FirmwareBug;
  });
}

/** Bugs that edit a table a machine of `nodes` nodes and `cpus` CPUs does not ship, and why. */
function unfit(bug: FirmwareBug, cpus: number, nodes: number): string | null {
  if ((bug === 'slit-diagonal-20' || bug === 'srat-cpu-not-in-madt') && nodes < 2) {
    return `${bug} edits the SRAT or SLIT, which a one-node machine does not ship`;
  }
  if (bug === 'duplicate-apic-id' && cpus < 2) return 'duplicate-apic-id needs two CPUs';
  return null;
}

export function readFirmware(
  ctx: ReadContext,
  value: unknown,
  scheduler: SchedPolicyName,
  topology: TopologyConfig,
): FirmwareConfig {
  const preset = presetFirmware(scheduler);
  const table = readTable(ctx, value ?? {}, 'firmware', FIRMWARE_KEYS);
  const parser = readChoice(ctx, table, 'parser', 'firmware', {
    choices: PARSER_NAMES,
    noun: 'a firmware parser',
    fallback: preset.parser,
  });
  const x2apic = own(table, 'x2apic') ?? preset.x2apic;
  if (typeof x2apic !== 'boolean')
    fail(ctx, 'firmware.x2apic', `expected true or false, got ${show(x2apic)}`);
  const bugs = readBugs(ctx, own(table, 'bugs'));
  bugs.forEach((bug, i) => {
    const why = unfit(bug, topology.cpus, topology.numaNodes);
    if (why !== null) fail(ctx, `firmware.bugs.${i}`, why, 'machine.numa_nodes >= 2, or another bug');
  });
  return { parser, bugs, x2apic };
}
