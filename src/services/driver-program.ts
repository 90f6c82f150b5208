/**
 * A driver daemon (SVC-6) and the hotplug stand-in, as guest programs.
 *
 * Devices are files under `/scheme/pci` (Redox's pcid lists one entry per function there),
 * seeded by the scenario's `[[file]]` tables until the devices engineer's `[[device]]` bus is
 * wired to the services; each is TOML: `class`, `vendor`, `device`, `bus` ("pci" | "acpi"), and
 * a `[probe]` table giving, per driver, the outcome of its 1st, 2nd … probe ("bound", "fatal",
 * "not-supported", "deferred"; the last repeats) and optionally `crash_ms.<driver>` (a bound
 * driver that dies by SIGSEGV that long after binding). A driver counts its probes of a device
 * in `/run` so the outcome list survives its processes, as a device's state would.
 *
 * A driver tells the manager it bound by writing its readiness byte (`Daemon::ready`); a failed
 * probe exits with a status naming the outcome (see PROBE_EXIT).
 */
import { parse } from 'smol-toml';
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { SIGTERM } from '../abi/signal.ts';
import { mkdir, unlink } from '../libc/io.ts';
import { kill } from '../libc/signal.ts';
import { sleep_ns } from '../libc/time.ts';
import type { DeviceDesc, ProbeOutcome } from './driver-manager.ts';
import { closeFd, readFileText, writeByte, writeFileText } from './io.ts';

export const BUS_DIR = '/scheme/pci';
export const SCHEDULE_FILE = '/etc/hotplug/schedule';

/** Exit statuses of a failed probe: 1 fatal, ENODEV (19) not supported, EPROBE_DEFER's low byte (517 & 0xff = 5) deferred. */
export const PROBE_EXIT: Readonly<Record<'fatal' | 'not-supported' | 'deferred', number>> = {
  fatal: 1,
  'not-supported': 19,
  deferred: 5,
};

const OUTCOMES: readonly ProbeOutcome[] = ['bound', 'fatal', 'not-supported', 'deferred'];
const MS = 1_000_000;
/** A probe's own work: reading config space, resetting the device (a few hundred µs). */
const PROBE_CYCLES = 300_000;
const IDLE_NS = 3_600_000 * MS;

export interface DeviceFile {
  desc: DeviceDesc;
  probe: Record<string, ProbeOutcome[]>;
  crashMs: Record<string, number>;
}

/** Parses a device file; a bad one throws one line naming the file and the field. */
export function parseDeviceFile(id: string, text: string): DeviceFile {
  const bad = (field: string, allowed: string): never => {
    throw new Error(`device ${id}: field ${field}: not valid; allowed: ${allowed}`);
  };
  const doc = parse(text) as Record<string, unknown>;
  const int = (k: string) => {
    const v = doc[k] ?? 0;
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : bad(k, 'a whole number');
  };
  const bus = doc.bus ?? 'pci';
  if (bus !== 'pci' && bus !== 'acpi') bad('bus', 'pci, acpi');
  const probe: Record<string, ProbeOutcome[]> = {};
  for (const [drv, list] of Object.entries((doc.probe ?? {}) as Record<string, unknown>)) {
    if (!Array.isArray(list) || list.length === 0 || list.some((o) => !OUTCOMES.includes(o as ProbeOutcome)))
      bad(`probe.${drv}`, `a non-empty list of ${OUTCOMES.join(', ')}`);
    probe[drv] = list as ProbeOutcome[];
  }
  const crashMs: Record<string, number> = {};
  for (const [drv, v] of Object.entries((doc.crash_ms ?? {}) as Record<string, unknown>)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      bad(`crash_ms.${drv}`, 'a whole number of ms');
    crashMs[drv] = v as number;
  }
  const desc: DeviceDesc = {
    id,
    bus: bus as 'pci' | 'acpi',
    classCode: int('class'),
    vendor: int('vendor'),
    device: int('device'),
  };
  return { desc, probe, crashMs };
}

export interface DriverArg {
  driver: string;
  deviceId: string;
  notifyFd: number;
}

function* driverMain(t: Guest, raw: unknown): Program<number> {
  const a = raw as DriverArg;
  const text = yield* readFileText(t, `${BUS_DIR}/${a.deviceId}`);
  yield t.compute(PROBE_CYCLES);
  if (text === null) return PROBE_EXIT.fatal; // gone: ENOENT
  const dev = parseDeviceFile(a.deviceId, text);
  yield* mkdir(t, '/run', 0o755);
  const counter = `/run/drv.${a.driver}.${a.deviceId}.probes`;
  const n = Number((yield* readFileText(t, counter)) ?? '0');
  yield* writeFileText(t, counter, String(n + 1));
  const list = dev.probe[a.driver] ?? ['bound'];
  const outcome = list[Math.min(n, list.length - 1)]!;
  if (outcome !== 'bound' && outcome !== 'crashed') return PROBE_EXIT[outcome];
  yield* writeByte(t, a.notifyFd);
  yield* closeFd(t, a.notifyFd);
  const crash = dev.crashMs[a.driver];
  if (crash === undefined) for (;;) yield* sleep_ns(t, IDLE_NS);
  yield* sleep_ns(t, crash * MS);
  t.load32(0); // SIGSEGV
  throw new Error('driver: the crash read did not fault');
}

export const DRIVER: ProgramImage = { name: 'driver', main: driverMain };

/**
 * Hotplug stand-in: `/etc/hotplug/schedule` (or the `schedule` file it is given) holds lines
 * `add ID MS` (copy `/etc/hotplug/ID` to `/scheme/pci/ID` MS after the start), `remove ID MS`
 * (unlink it) and `term drvmgr MS` (SIGTERM to the driver manager); run in time order. A line
 * `every MS` repeats the whole schedule with that period, for ever (SVC-9's stress run): event
 * times are then offsets within each period and must be below it.
 */
const EVERY = /^every\s+(\d+)$/;

export function parseSchedule(text: string): { kind: 'add' | 'remove' | 'term'; id: string; atNs: number }[] {
  const events = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !EVERY.test(l))
    .map((l) => {
      const m = /^(add|remove|term)\s+(\S+)\s+(\d+)$/.exec(l);
      if (m === null || (m[1] === 'term' && m[2] !== 'drvmgr'))
        throw new Error(
          `${SCHEDULE_FILE}: line "${l}": allowed: add ID MS, remove ID MS, term drvmgr MS, every MS`,
        );
      return { kind: m[1] as 'add' | 'remove' | 'term', id: m[2]!, atNs: Number(m[3]) * MS };
    });
  return events.sort((x, y) => x.atNs - y.atNs);
}

/** The `every MS` line's period in ns, or null when the schedule runs once. */
export function schedulePeriodNs(text: string): number | null {
  const periods = text
    .split('\n')
    .map((l) => EVERY.exec(l.trim()))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]) * MS);
  if (periods.length > 1 || periods[0] === 0)
    throw new Error(`${SCHEDULE_FILE}: every: allowed: one line "every MS" with MS > 0`);
  return periods[0] ?? null;
}

function* hotplugMain(t: Guest, raw: unknown): Program<number> {
  const file = (raw as { schedule?: string } | undefined)?.schedule ?? SCHEDULE_FILE;
  const text = (yield* readFileText(t, file)) ?? '';
  const once = parseSchedule(text);
  const periodNs = schedulePeriodNs(text);
  if (periodNs !== null && once.some((e) => e.atNs >= periodNs))
    throw new Error(`${file}: an event at or after the period (every ${periodNs / MS}); allowed: below it`);
  let now = 0;
  for (let round = 0; round === 0 || periodNs !== null; round++)
    for (const e of once) now = yield* hotplugEvent(t, e.kind, e.id, e.atNs + round * (periodNs ?? 0), now);
  return 0;
}

/** Sleeps to `atNs` (after the start) and carries the event out; returns the new time. */
function* hotplugEvent(
  t: Guest,
  kind: 'add' | 'remove' | 'term',
  id: string,
  atNs: number,
  nowNs: number,
): Program<number> {
  if (atNs > nowNs) yield* sleep_ns(t, atNs - nowNs);
  if (kind === 'term') {
    // SIGTERM to the driver manager, as a shutdown would send it (pid from its pid file).
    const pid = Number((yield* readFileText(t, '/run/drvmgr.pid')) ?? '0');
    if (pid > 0) yield* kill(t, pid, SIGTERM);
  } else if (kind === 'remove') yield* unlink(t, `${BUS_DIR}/${id}`);
  else yield* writeFileText(t, `${BUS_DIR}/${id}`, (yield* readFileText(t, `/etc/hotplug/${id}`)) ?? '');
  return Math.max(nowNs, atNs);
}

export const HOTPLUG: ProgramImage = { name: 'hotplug', main: hotplugMain };
