/**
 * The driver manager as a guest program (SVC-6, U5, U7): every poll (2 s) it lists the bus
 * (`/scheme/pci`, device files), asks DriverManagerState what to probe, and probes serially as
 * Redox's `Daemon::spawn` does (models-2.md §10.2): spawn the driver with an INIT_NOTIFY-style
 * pipe, then wait for its readiness byte (bound) or EOF, after which the exit status names the
 * failed outcome (driver-program.ts PROBE_EXIT). The improved manager reaps bound drivers that
 * die with the seed's reap loop, `waitpid(-1, WNOHANG)` until it returns 0, at each poll (Linux
 * do_wait's WNOHANG: kernel/proc.ts sysWait4), and cleans up; a removed device's driver gets
 * SIGTERM. Before WNOHANG it kept a thread per bound driver blocked in waitpid: the exits were
 * applied at the next poll all the same, and each thread left its libc scratch and I/O buffers
 * in the bump heap for good, a leak the stress run's census found (SVC-9). The redox one never
 * waits for a bound driver: a crash leaves a zombie and the device claimed. After each poll `/run/drvmgr.status` holds the `--status` lines.
 */
import { parse } from 'smol-toml';
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { SA_RESTART, SIGTERM, type SignalHandler } from '../abi/signal.ts';
import { WNOHANG } from '../abi/syscalls.ts';
import { mkdir } from '../libc/io.ts';
import { spawn, waitpid } from '../libc/process.ts';
import { kill, sigaction } from '../libc/signal.ts';
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import {
  type DeviceDesc,
  type DriverEntry,
  DriverManagerState,
  type DriverManagerVariant,
  driverManagerConfig,
  type ProbeOutcome,
  type ProbeRequest,
} from './driver-manager.ts';
import { BUS_DIR, DRIVER, type DriverArg, PROBE_EXIT, parseDeviceFile } from './driver-program.ts';
import {
  cloexecPipe,
  closeFd,
  inheritable,
  listDir,
  readByte,
  readFileText,
  writeByte,
  writeFileText,
} from './io.ts';
import { parseServiceArgs, type ServiceArg } from './service-program.ts';

export const DRIVERS_FILE = '/etc/pcid.d/drivers.toml';
/** Where the manager writes its pid, for whoever sends it SIGTERM. */
export const PID_FILE = '/run/drvmgr.pid';
/** The `--status` lines, rewritten after every poll (DriverManagerState.statusFile). */
export const STATUS_FILE = '/run/drvmgr.status';

export interface DriverManagerArgs {
  variant: DriverManagerVariant;
  /** Polls before it exits (the observation window, in polls of 2 s). */
  polls: number;
  /**
   * The status file's fields: `short` (state and driver, as before) or `full` (also pid, restarts
   * and last exit, for `drvmgr-status`). Opt-in: the longer file costs its writes time, which
   * would move the boot figures of the seeds written before it. Absent: short.
   */
  status?: 'short' | 'full';
}

/** `[[drivers]] name, bus, class, ids = [[vendor, device], …]` (pcid-spawner's config.toml shape). */
export function parseDrivers(text: string): DriverEntry[] {
  const doc = parse(text) as { drivers?: unknown };
  const list = Array.isArray(doc.drivers) ? doc.drivers : [];
  return list.map((d: Record<string, unknown>, i: number) => {
    const where = `${DRIVERS_FILE}: drivers[${i}]`;
    if (typeof d.name !== 'string') throw new Error(`${where}.name: not a string; allowed: a driver name`);
    const ids = (d.ids ?? []) as [number, number][];
    return {
      name: d.name,
      bus: d.bus === 'acpi' ? 'acpi' : 'pci',
      classCode: typeof d.class === 'number' ? d.class : null,
      ids,
    };
  });
}

interface Mgr {
  /** Set by the SIGTERM handler (improved): finish the poll, stop the drivers, exit. */
  stopping: boolean;
  state: DriverManagerState;
  fullStatus: boolean;
  variant: DriverManagerVariant;
  /** Bound drivers' pids by device. */
  pids: Map<string, number>;
  /** What the last poll found on the bus. */
  devices: DeviceDesc[];
  /** Exits the reap loop collected, applied at the next poll. */
  exits: { deviceId: string; pid: number; status: number }[];
}

function outcomeOf(status: number): [ProbeOutcome, string] {
  if ((status & 0x7f) !== 0) return ['crashed', `signal ${status & 0x7f}`];
  const code = (status >> 8) & 0xff;
  if (code === PROBE_EXIT.deferred) return ['deferred', 'EPROBE_DEFER'];
  if (code === PROBE_EXIT['not-supported']) return ['not-supported', 'ENODEV'];
  return ['fatal', code === 1 ? 'EIO' : `status ${code}`];
}

/** The reap loop (improved): every bound driver that has exited, without blocking. */
function* reapExited(t: Guest, m: Mgr): Program<void> {
  if (m.variant !== 'improved') return;
  for (;;) {
    const [pid, status] = yield* waitpid(t, -1, WNOHANG);
    if (pid <= 0) return; // 0: none has exited yet; -ECHILD: no children
    for (const [deviceId, bound] of m.pids) if (bound === pid) m.exits.push({ deviceId, pid, status });
  }
}

function* probe(t: Guest, m: Mgr, req: ProbeRequest): Program<void> {
  const pipe = yield* cloexecPipe(t);
  if (pipe === null) throw new Error('drvmgr: pipe failed');
  yield* inheritable(t, pipe[1], true);
  const arg: DriverArg = { driver: req.driver, deviceId: req.deviceId, notifyFd: pipe[1] };
  const pid = yield* spawn(t, DRIVER, arg);
  if (pid > 0) m.state.started(req.deviceId, req.driver, pid);
  yield* closeFd(t, pipe[1]);
  const got = pid < 0 ? 0 : yield* readByte(t, pipe[0]);
  yield* closeFd(t, pipe[0]);
  const now = yield* clock_gettime_ns(t);
  if (got === 1) {
    m.state.probed(now, req.deviceId, req.driver, 'bound');
    m.pids.set(req.deviceId, pid);
    return;
  }
  const [, status] = pid < 0 ? [0, 1 << 8] : yield* waitpid(t, pid);
  if (pid > 0) m.state.exited(req.deviceId, pid, status);
  const [outcome, error] = outcomeOf(status);
  m.state.probed(now, req.deviceId, req.driver, outcome === 'crashed' ? 'fatal' : outcome, error);
}

function* present(t: Guest): Program<DeviceDesc[]> {
  const names = (yield* listDir(t, BUS_DIR)) ?? [];
  const out: DeviceDesc[] = [];
  for (const id of names) {
    const text = yield* readFileText(t, `${BUS_DIR}/${id}`);
    if (text !== null) out.push(parseDeviceFile(id, text).desc);
  }
  return out;
}

/** What the reap loop collected since the last look: the drivers that exited. Returns how many. */
function applyExits(m: Mgr, nowNs: number): number {
  const exits = m.exits.splice(0);
  for (const e of exits) {
    if (m.pids.get(e.deviceId) === e.pid) m.pids.delete(e.deviceId);
    m.state.exited(e.deviceId, e.pid, e.status);
    m.state.driverExited(nowNs, e.deviceId, e.status);
  }
  return exits.length;
}

function* poll(t: Guest, m: Mgr): Program<void> {
  const now = yield* clock_gettime_ns(t);
  yield* reapExited(t, m);
  applyExits(m, now);
  const devices = yield* present(t);
  m.devices = devices;
  const cleanupsBefore = m.state.cleanups.length;
  for (const req of m.state.scan(now, devices)) yield* probe(t, m, req);
  // A removed device's driver is told to stop (improved); the next poll's reap loop collects it.
  for (const c of m.state.cleanups.slice(cleanupsBefore)) {
    const pid = m.pids.get(c.deviceId);
    if (pid !== undefined && !devices.some((d) => d.id === c.deviceId)) yield* kill(t, pid, SIGTERM);
  }
  yield* mkdir(t, '/run', 0o755);
  yield* writeFileText(t, STATUS_FILE, statusText(m));
  publish(t, m, devices);
}

/** The status file's text: the full lines (statusFile) or the short ones (status). */
function statusText(m: Mgr): string {
  return `${(m.fullStatus ? m.state.statusFile() : m.state.status()).join('\n')}\n`;
}

function publish(t: Guest, m: Mgr, devices: readonly DeviceDesc[]): void {
  const s = m.state;
  const output = (t.data.output ??= {}) as Record<string, unknown>;
  output.drvmgr = {
    probes: s.probes.length,
    bound: s.status().filter((l) => l.includes(' bound ')).length,
    skipped_pairs: s.skipped.size,
    cleanups: s.cleanups.length,
    leaked_claims: s.leakedClaims(devices.map((d) => d.id)).length,
    timeline_lines: s.timeline.entries.length,
    timeline_suppressed: s.timeline.suppressed,
    text: { timeline: s.timeline.lines(), status: s.status() },
  };
}

/** Started by init (a unit with `cmd = "drvmgr"`): `variant=`, `polls=` arguments and a notify fd. */
function argsOf(raw: unknown): [DriverManagerArgs, number] {
  if (raw === null || typeof raw !== 'object' || !('notifyFd' in raw)) return [raw as DriverManagerArgs, -1];
  const s = raw as ServiceArg;
  const opts = parseServiceArgs(s.args);
  const variant = opts.variant === 'redox' ? 'redox' : 'improved';
  const polls = Number(opts.polls ?? '1000000');
  if (!Number.isInteger(polls) || polls < 1)
    throw new Error(`drvmgr: argument polls=${opts.polls} is not a whole number`);
  return [{ variant, polls, status: opts.status === 'full' ? 'full' : 'short' }, s.notifyFd];
}

function* driverManagerMain(t: Guest, raw: unknown): Program<number> {
  const [args, notifyFd] = argsOf(raw);
  // The drivers it spawns must not inherit init's notify write end, or a crash before readiness
  // would give init no EOF while a driver lives.
  if (notifyFd >= 0) yield* inheritable(t, notifyFd, false);
  const cfg = driverManagerConfig(args.variant);
  const drivers = parseDrivers((yield* readFileText(t, DRIVERS_FILE)) ?? '');
  const m: Mgr = {
    stopping: false,
    state: new DriverManagerState(drivers, cfg),
    fullStatus: args.status === 'full',
    variant: args.variant,
    pids: new Map(),
    devices: [],
    exits: [],
  };
  yield* mkdir(t, '/run', 0o755);
  yield* writeFileText(t, PID_FILE, String(t.pid));
  // Improved: SIGTERM is a graceful shutdown (the change log's handler); redox dies of it.
  if (args.variant === 'improved')
    yield* sigaction(t, SIGTERM, { handler: onTerm(m), mask: 0, flags: SA_RESTART });
  const start = yield* clock_gettime_ns(t);
  for (let i = 0; i < args.polls && !m.stopping; i++) {
    yield* poll(t, m);
    if (i === 0 && notifyFd >= 0) {
      // Ready once the devices present at boot have been probed (init orders drivers' users after it).
      yield* writeByte(t, notifyFd);
      yield* closeFd(t, notifyFd);
    }
    const next = start + (i + 1) * cfg.pollNs;
    const now = yield* clock_gettime_ns(t);
    if (i + 1 < args.polls && next > now && !m.stopping) yield* sleep_ns(t, next - now);
  }
  if (m.stopping) yield* shutdown(t, m);
  return 0;
}

function onTerm(m: Mgr): SignalHandler {
  return function* () {
    m.stopping = true;
  };
}

/** How long a graceful shutdown waits for its drivers to exit. */
const SHUTDOWN_WAIT_NS = 1_000_000_000;
const SHUTDOWN_POLL_NS = 10_000_000;

/** SIGTERM every bound driver, reap them (a bounded wait), record it, publish. */
function* shutdown(t: Guest, m: Mgr): Program<void> {
  const now = yield* clock_gettime_ns(t);
  yield* reapExited(t, m);
  applyExits(m, now);
  const pids = [...m.pids.entries()];
  m.state.timeline.add(now, 'drvmgr', `SIGTERM: stopping ${pids.length} drivers`, false);
  for (const [, pid] of pids) yield* kill(t, pid, SIGTERM);
  for (let waited = 0; waited < SHUTDOWN_WAIT_NS; waited += SHUTDOWN_POLL_NS) {
    yield* reapExited(t, m);
    if (m.exits.length >= pids.length) break;
    yield* sleep_ns(t, SHUTDOWN_POLL_NS);
  }
  const end = yield* clock_gettime_ns(t);
  const stopped = m.exits.length;
  m.state.timeline.add(end, 'drvmgr', `stopped ${stopped} of ${pids.length} drivers`, false);
  // Their exits are the shutdown's, not crashes: the bindings go without re-probe bookkeeping.
  for (const e of m.exits.splice(0)) m.state.exited(e.deviceId, e.pid, e.status);
  yield* writeFileText(t, STATUS_FILE, statusText(m));
  publish(t, m, m.devices);
  const out = (t.data.output as Record<string, Record<string, unknown>>).drvmgr!;
  out.shutdown_stopped = stopped;
}

export const DRIVER_MANAGER: ProgramImage = { name: 'drvmgr', main: driverManagerMain };
