/**
 * `drvmgr` and `hotplug` as scenario workloads (SVC-6, U5, U7): the driver manager over the
 * device files under /scheme/pci and the drivers in /etc/pcid.d/drivers.toml, and the stand-in
 * that adds and removes device files on the schedule in /etc/hotplug/schedule (all seeded by
 * the scenario's `[[file]]` tables; src/services/driver-program.ts says their format).
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { DRIVER_MANAGER, type DriverManagerArgs } from '../services/driver-manager-program.ts';
import type { DriverManagerVariant } from '../services/driver-manager.ts';
import { HOTPLUG } from '../services/driver-program.ts';
import { publishStatus, readStatus } from '../services/driver-status.ts';
import { type GuestProgram, intArg, type ProgramArgs, stringArg } from './program.ts';

function* drvmgrMain(t: Guest, raw: unknown): Program<number> {
  const a = raw as ProgramArgs;
  const args: DriverManagerArgs = {
    variant: stringArg(a, 'variant') as DriverManagerVariant,
    polls: intArg(a, 'polls'),
    status: stringArg(a, 'status') as 'short' | 'full',
  };
  return (yield t.call(DRIVER_MANAGER.main(t, args))) as number;
}

export const DRVMGR_PROGRAM: GuestProgram = {
  image: { name: 'drvmgr', main: drvmgrMain },
  doc: 'the driver manager: probes, deferred retries, skip set, reaping, hotplug polling every 2 s',
  claims: ['SVC-6'],
  params: [
    {
      name: 'variant',
      kind: 'choice',
      choices: ['redox', 'improved'],
      doc: 'which manager',
      fallback: 'improved',
    },
    {
      name: 'polls',
      kind: 'int',
      min: 1,
      max: 1_000_000,
      doc: 'polls (2 s apart) before it exits',
      fallback: 5,
    },
    {
      name: 'status',
      kind: 'choice',
      choices: ['short', 'full'],
      doc: 'the status file: state and driver (short), or also pid, restarts and last exit (full, for drvmgr-status)',
      fallback: 'short',
    },
  ],
};

function* hotplugMain(t: Guest, raw: unknown): Program<number> {
  const schedule = stringArg(raw as ProgramArgs, 'schedule');
  return (yield t.call(HOTPLUG.main(t, { schedule }))) as number;
}

export const HOTPLUG_PROGRAM: GuestProgram = {
  image: { name: 'hotplug', main: hotplugMain },
  doc: 'adds and removes device files under /scheme/pci, and stops the manager, on a schedule file',
  claims: ['SVC-6'],
  params: [
    {
      name: 'schedule',
      kind: 'choice',
      choices: ['/etc/hotplug/schedule', '/etc/hotplug/schedule-alt'],
      doc: 'the schedule file: -alt holds a second one for a [compare] variant',
      fallback: '/etc/hotplug/schedule',
    },
  ],
};

function* drvmgrStatusMain(t: Guest, raw: unknown): Program<number> {
  const lines = yield* readStatus(t, intArg(raw as ProgramArgs, 'after_ms') * 1_000_000);
  publishStatus(t, lines);
  return lines === null ? 1 : 0;
}

export const DRVMGR_STATUS_PROGRAM: GuestProgram = {
  image: { name: 'drvmgr-status', main: drvmgrStatusMain },
  doc: "`pcid-spawner --status`: the driver manager's status file as lines (state, pid, restarts, last exit)",
  claims: ['SVC-6'],
  params: [
    {
      name: 'after_ms',
      kind: 'int',
      min: 0,
      max: 259_200_000,
      doc: 'read the status file this long after the start (after boot, or after a crash)',
      fallback: 0,
    },
  ],
};
