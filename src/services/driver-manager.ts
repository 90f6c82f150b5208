/**
 * The driver manager's state machine (SVC-6), apart from the processes it drives so it can be
 * tested alone; `driver-manager-program.ts` runs it as a guest.
 *
 * Upstream Redox's pcid-spawner makes a single pass over `/scheme/pci`, takes the first matching
 * `[[drivers]]` entry and only logs failures: no polling, deferral, retry, skip-list or reaping
 * (models-2.md §10.2). The seed's driver manager polls every 2 s; its two variants are:
 * - `redox` (the seed before its change log): a full re-scan each poll that probes every unbound
 *   device again, failed ones included (the seed's endless re-probing of `ided`, U7), deferred
 *   probes retried up to 30 times, crashed drivers never reaped (their binding, scheme and IRQ
 *   stay claimed, U5), every error appended to the timeline again;
 * - `improved`: an incremental scan (only devices that appeared or are due for a retry), a
 *   permanently-skipped set of (device, driver) pairs that failed (fatal, not supported, out of
 *   deferrals) so none is probed again and the next matching driver is tried, at most 3
 *   deferred retries, reaping with cleanup, and a de-duplicated timeline.
 * Linux retries deferred probes after every successful bind with no retry counter (drivers/base/
 * dd.c, `driver_deferred_probe_trigger`; models-2.md §10.4): the bound of 3 is the plans' value.
 */
import { BootTimeline } from './timeline.ts';

export interface DeviceDesc {
  /** Bus address, e.g. `pci:00:03.0` or `acpi:PNP0501`. */
  id: string;
  bus: 'pci' | 'acpi';
  /** PCI class code (base class, e.g. 0x02 network) or an ACPI HID's match key. */
  classCode: number;
  vendor: number;
  device: number;
}

export interface DriverEntry {
  name: string;
  bus: 'pci' | 'acpi';
  classCode: number | null;
  /** [vendor, device] pairs; empty matches any id within the class. */
  ids: [number, number][];
}

export type ProbeOutcome = 'bound' | 'fatal' | 'not-supported' | 'deferred' | 'crashed';

export type DriverManagerVariant = 'redox' | 'improved';

export interface DriverManagerConfig {
  variant: DriverManagerVariant;
  /** Hotplug poll period (SVC-6: 2 s). */
  pollNs: number;
  /** Deferred retries before the probe counts as failed (change log: 30 -> 3). */
  deferredRetries: number;
}

export function driverManagerConfig(variant: DriverManagerVariant): DriverManagerConfig {
  return { variant, pollNs: 2_000_000_000, deferredRetries: variant === 'redox' ? 30 : 3 };
}

type DeviceState =
  | { kind: 'unbound' }
  | { kind: 'probing'; driver: string; retries: number }
  | { kind: 'deferred'; driver: string; retries: number }
  | { kind: 'bound'; driver: string }
  /** A driver died and nobody reaped it: the device stays claimed (baseline, U5). */
  | { kind: 'zombie'; driver: string }
  | { kind: 'failed' };

export interface ProbeRequest {
  deviceId: string;
  driver: string;
  /** 0 for a first probe, n for the n-th deferred retry. */
  retry: number;
}

/** What cleaning up after a driver released (SVC-6: scheme, device binding, IRQ). */
export interface Cleanup {
  deviceId: string;
  driver: string;
  released: readonly ('scheme' | 'binding' | 'irq')[];
}

/** The driver processes a device has had: the latest's pid (null once it exited), starts, last exit. */
interface DriverRun {
  driver: string;
  pid: number | null;
  starts: number;
  /** The last exited driver's wait status; null: none has exited (or none was reaped). */
  lastExit: number | null;
}

export function matches(drv: DriverEntry, dev: DeviceDesc): boolean {
  if (drv.bus !== dev.bus) return false;
  if (drv.classCode !== null && drv.classCode !== dev.classCode) return false;
  return drv.ids.length === 0 || drv.ids.some(([v, d]) => v === dev.vendor && d === dev.device);
}

export class DriverManagerState {
  readonly timeline: BootTimeline;
  /** (device, driver) pairs never to be probed again (improved: PERMANENTLY_SKIPPED). */
  readonly skipped = new Set<string>();
  readonly probes: ProbeRequest[] = [];
  readonly cleanups: Cleanup[] = [];
  readonly #cfg: DriverManagerConfig;
  readonly #drivers: readonly DriverEntry[];
  readonly #devices = new Map<string, { desc: DeviceDesc; state: DeviceState }>();
  readonly #runs = new Map<string, DriverRun>();
  #deferredAny = false;

  constructor(drivers: readonly DriverEntry[], cfg: DriverManagerConfig) {
    this.#drivers = drivers;
    this.#cfg = cfg;
    this.timeline = new BootTimeline(cfg.variant === 'improved');
  }

  /**
   * One poll: `present` is what enumerating the buses found now. Returns the probes to make.
   * Removed devices are cleaned up (improved) or left claimed (redox).
   */
  scan(nowNs: number, present: readonly DeviceDesc[]): ProbeRequest[] {
    const now = new Set(present.map((d) => d.id));
    for (const [id, entry] of this.#devices) if (!now.has(id)) this.#removed(nowNs, id, entry.state);
    for (const desc of present)
      if (!this.#devices.has(desc.id)) {
        this.#devices.set(desc.id, { desc, state: { kind: 'unbound' } });
        this.timeline.add(nowNs, desc.id, 'added', false);
      }
    const out: ProbeRequest[] = [];
    for (const [id, entry] of this.#devices) {
      const req = this.#probeFor(id, entry.desc, entry.state);
      if (req === null) continue;
      entry.state = { kind: 'probing', driver: req.driver, retries: req.retry };
      out.push(req);
    }
    this.probes.push(...out);
    return out;
  }

  #probeFor(id: string, desc: DeviceDesc, state: DeviceState): ProbeRequest | null {
    const full = this.#cfg.variant === 'redox';
    if (state.kind === 'deferred') return { deviceId: id, driver: state.driver, retry: state.retries };
    // The baseline's full re-scan probes a failed device again; the improved scan never does.
    if (state.kind !== 'unbound' && !(full && state.kind === 'failed')) return null;
    const driver = this.#drivers.find(
      (d) => matches(d, desc) && (full || !this.skipped.has(pair(id, d.name))),
    );
    if (driver === undefined) return null;
    return { deviceId: id, driver: driver.name, retry: 0 };
  }

  /** The probe of `deviceId` by `driver` ended with `outcome` (`error` names the errno for the log). */
  probed(nowNs: number, deviceId: string, driver: string, outcome: ProbeOutcome, error = ''): void {
    const entry = this.#devices.get(deviceId);
    if (entry === undefined) return; // removed while probing
    const prev = entry.state;
    const retries = prev.kind === 'probing' ? prev.retries : 0;
    const src = `${driver}@${deviceId}`;
    const why = error === '' ? outcome : `${outcome} (${error})`;
    if (outcome === 'bound') {
      entry.state = { kind: 'bound', driver };
      this.timeline.add(nowNs, src, 'bound', false);
      if (this.#deferredAny) this.timeline.add(nowNs, src, 'deferred probes retried', false);
      return;
    }
    if (outcome === 'deferred' && retries < this.#cfg.deferredRetries) {
      entry.state = { kind: 'deferred', driver, retries: retries + 1 };
      this.#deferredAny = true;
      this.timeline.add(nowNs, src, why, true);
      return;
    }
    const final = outcome === 'deferred' ? `deferred ${retries} times, giving up` : why;
    this.timeline.add(nowNs, src, final, true);
    if (this.#cfg.variant === 'improved') this.skipped.add(pair(deviceId, driver));
    // Improved: another matching driver may take it at the next scan; redox re-probes it anyway.
    entry.state = this.#cfg.variant === 'improved' ? { kind: 'unbound' } : { kind: 'failed' };
  }

  /**
   * The bound driver of `deviceId` exited. Improved: reaped (waitpid WNOHANG), its scheme,
   * binding and IRQ released, and the device probed again at the next scan (a crash counts as a
   * failure of the pair). Redox: nobody reaps it; the device stays claimed.
   */
  driverExited(nowNs: number, deviceId: string, status: number): void {
    const entry = this.#devices.get(deviceId);
    if (entry === undefined || entry.state.kind !== 'bound') return;
    const driver = entry.state.driver;
    const src = `${driver}@${deviceId}`;
    if (this.#cfg.variant === 'redox') {
      entry.state = { kind: 'zombie', driver };
      return;
    }
    this.timeline.add(nowNs, src, `exited (status ${status}), reaped`, true);
    this.cleanups.push({ deviceId, driver, released: ['scheme', 'binding', 'irq'] });
    this.skipped.add(pair(deviceId, driver));
    entry.state = { kind: 'unbound' };
  }

  #removed(nowNs: number, id: string, state: DeviceState): void {
    if (this.#cfg.variant === 'redox') {
      // A full re-scan simply stops seeing it; a bound driver keeps its claim.
      if (state.kind !== 'bound' && state.kind !== 'zombie') this.#devices.delete(id);
      return;
    }
    this.timeline.add(nowNs, id, 'removed', false);
    if (state.kind === 'bound' || state.kind === 'probing')
      this.cleanups.push({ deviceId: id, driver: state.driver, released: ['scheme', 'binding', 'irq'] });
    this.#devices.delete(id);
  }

  /** `--status`: one line per device, sorted by id. */
  status(): string[] {
    return [...this.#devices.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, { state }]) => `${id} ${state.kind}${'driver' in state ? ` ${state.driver}` : ''}`);
  }

  /** A driver process `pid` was spawned for `deviceId` (a probe or a retry). */
  started(deviceId: string, driver: string, pid: number): void {
    const r = this.#runs.get(deviceId);
    if (r === undefined) this.#runs.set(deviceId, { driver, pid, starts: 1, lastExit: null });
    else Object.assign(r, { driver, pid, starts: r.starts + 1 });
  }

  /** The manager reaped `deviceId`'s driver `pid` with wait status `status`. */
  exited(deviceId: string, pid: number, status: number): void {
    const r = this.#runs.get(deviceId);
    if (r === undefined || r.pid !== pid) return;
    r.pid = null;
    r.lastExit = status;
  }

  /**
   * The status file's lines (`pcid-spawner --status`, driver-status.ts prints them): the
   * `status()` line, then `pid=` (the driver process, `-` once reaped), `restarts=` (driver
   * processes after the first), `exit=` (`status:N`, `signal:N` or `-`) and, when the state
   * names no driver, `driver=` (the last one).
   */
  statusFile(): string[] {
    return this.status().map((line) => {
      const words = line.split(' ');
      const r = this.#runs.get(words[0]!);
      if (r === undefined) return `${line} pid=- restarts=0 exit=-`;
      const exit = r.lastExit === null ? '-' : waitStatusWord(r.lastExit);
      const named = words.length > 2 ? '' : ` driver=${r.driver}`;
      return `${line} pid=${r.pid ?? '-'} restarts=${r.starts - 1} exit=${exit}${named}`;
    });
  }

  /** The device's state kind, or null if it is not known (never seen, or removed). */
  stateOf(deviceId: string): DeviceState['kind'] | null {
    return this.#devices.get(deviceId)?.state.kind ?? null;
  }

  /** Devices still claimed by a driver nobody reaped or whose device went away (leaks, U5). */
  leakedClaims(present: readonly string[]): string[] {
    const here = new Set(present);
    return [...this.#devices.entries()]
      .filter(([id, { state }]) => state.kind === 'zombie' || (state.kind === 'bound' && !here.has(id)))
      .map(([id]) => id)
      .sort();
  }
}

/** A wait status as the status file writes it: `signal:N` or `status:N` (Linux's encoding). */
export function waitStatusWord(status: number): string {
  return (status & 0x7f) !== 0 ? `signal:${status & 0x7f}` : `status:${(status >> 8) & 0xff}`;
}

function pair(deviceId: string, driver: string): string {
  return `${deviceId}\u0000${driver}`;
}
