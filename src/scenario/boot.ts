/**
 * `[boot]` of a scenario (issue 16): `simulate` (start the run from a simulated AP bring-up),
 * `protocol` (redox | linux | parallel; redox under dwrr and redbear, linux under fair), each race
 * of Redox's AP code on or off (`k1_counter_race`, `k2_dual_ready`, `k8_node_late`; on for redox,
 * off otherwise), `legacy_delays` (Linux's 10 ms INIT delay) and `faults`, AP faults as
 * `"<cpu>:<fault>"` (no-answer, esr-once, esr-always, dies) on CPUs 1..cpus-1.
 */
import { AP_FAULTS, type ApFault } from '../hw/ap-startup.ts';
import { BOOT_PROTOCOLS, presetRaces } from '../kernel/boot/plan.ts';
import type { BootConfig, SchedPolicyName } from '../machine/config.ts';
import { presetBoot } from '../machine/defaults.ts';
import { fail, kindOf, own, type ReadContext, readChoice, readTable, show, type Table } from './fields.ts';

const BOOT_KEYS = [
  'simulate',
  'protocol',
  'legacy_delays',
  'k1_counter_race',
  'k2_dual_ready',
  'k8_node_late',
  'faults',
];

function readFlag(ctx: ReadContext, table: Table, key: string, fallback: boolean): boolean {
  const value = own(table, key) ?? fallback;
  if (typeof value !== 'boolean') fail(ctx, `boot.${key}`, `expected true or false, got ${show(value)}`);
  return value;
}

function readFaults(ctx: ReadContext, value: unknown, cpus: number): BootConfig['faults'] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(ctx, 'boot.faults', `expected an array, got ${kindOf(value)}`);
  const allowed = `"<cpu 1..${cpus - 1}>:<${AP_FAULTS.join('|')}>"`;
  return value.map((entry, i) => {
    const m = typeof entry === 'string' ? /^(\d+):([a-z-]+)$/.exec(entry) : null;
    const cpu = m === null ? Number.NaN : Number(m[1]);
    if (m === null || !(cpu >= 1 && cpu < cpus) || !(AP_FAULTS as readonly string[]).includes(m[2]!)) {
      fail(ctx, `boot.faults.${i}`, `${show(entry)} is not an AP fault`, allowed);
    }
    return { cpu, fault: m[2] as ApFault };
  });
}

export function readBoot(
  ctx: ReadContext,
  value: unknown,
  scheduler: SchedPolicyName,
  cpus: number,
): BootConfig {
  const preset = presetBoot(scheduler);
  const table = readTable(ctx, value ?? {}, 'boot', BOOT_KEYS);
  const protocol = readChoice(ctx, table, 'protocol', 'boot', {
    choices: BOOT_PROTOCOLS,
    noun: 'a bring-up protocol',
    fallback: preset.protocol,
  });
  const races = presetRaces(protocol);
  return {
    simulate: readFlag(ctx, table, 'simulate', false),
    protocol,
    races: {
      counter: readFlag(ctx, table, 'k1_counter_race', races.counter),
      dualReady: readFlag(ctx, table, 'k2_dual_ready', races.dualReady),
      nodeLate: readFlag(ctx, table, 'k8_node_late', races.nodeLate),
    },
    legacyDelays: readFlag(ctx, table, 'legacy_delays', false),
    faults: readFaults(ctx, own(table, 'faults'), cpus),
  };
}
