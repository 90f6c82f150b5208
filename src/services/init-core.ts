/**
 * Init's scheduler as a state machine (SVC-1..SVC-5, SVC-7, U1..U4, U11), apart from the
 * processes it starts so it can be tested alone; `init-program.ts` runs it as a guest: it
 * carries out the commands `poll` returns (spawn, kill, health check) and reports what the
 * children do (ready, EOF on INIT_NOTIFY, exit, health answers), each tagged with the attempt
 * it belongs to, so that news from a killed attempt is dropped.
 *
 * redox (`init/src/scheduler.rs`, models-2.md §10.1): a FIFO queue in load order; `step()`
 * pops a job, pushes it back while any dependency is pending, else runs it synchronously:
 * nothing else starts until a `notify`/`scheme` unit writes its byte or its pipe gives EOF, or a
 * `oneshot` exits. A cycle leaves a queue that rotates forever (U3): `livelock` records it.
 * improved: every queued unit whose dependencies are settled starts, up to `parallelStarts` starting at
 * once (U11); units on a real cycle fail with the cycle's path (SVC-4); a unit whose hard
 * `requires` failed is skipped; start timeouts (SVC-3), restarts (SVC-5), health checks (SVC-7).
 */
import type { InitConfig } from './init-config.ts';
import { RestartTracker } from './restart.ts';
import { type Closure, findCycles, showCycle } from './unit-graph.ts';
import { dependenciesOf, type Unit } from './unit.ts';

export type UnitState =
  | 'queued'
  | 'starting'
  | 'up'
  | 'done'
  | 'failed'
  | 'skipped'
  | 'restart-wait'
  | 'stopped';

export interface UnitRecord {
  readonly unit: Unit;
  state: UnitState;
  /** Counts as met for units ordered after it (set once, never cleared). */
  settled: boolean;
  /** Spawns so far; the current attempt's number. */
  attempt: number;
  firstSpawnNs: number | null;
  lastSpawnNs: number | null;
  firstReadyNs: number | null;
  lastReadyNs: number | null;
  settledNs: number | null;
  restarts: number;
  failures: number;
  reason: string;
  startDeadlineNs: number | null;
  restartAtNs: number | null;
  nextHealthNs: number | null;
  healthDeadlineNs: number | null;
  readonly tracker: RestartTracker;
}

export type InitCommand =
  | { kind: 'spawn'; unit: string; attempt: number }
  | { kind: 'kill'; unit: string; attempt: number; why: 'timeout' | 'health' }
  | { kind: 'health'; unit: string; attempt: number };

export class InitCore {
  readonly records = new Map<string, UnitRecord>();
  readonly log: string[] = [];
  /** Set when the redox queue made a whole turn without starting anything (U3). */
  livelock: string[] | null = null;
  readonly #cfg: InitConfig;
  readonly #queue: string[];
  readonly #absent: Set<string>;
  #nowNs = 0;

  constructor(closure: Closure, cfg: InitConfig) {
    this.#cfg = cfg;
    this.#absent = closure.absent;
    this.log.push(...closure.log);
    for (const unit of closure.units) this.records.set(unit.name, newRecord(unit, cfg));
    this.#queue = closure.units.map((u) => u.name);
    if (cfg.variant === 'improved') this.#failCycles(closure.units);
  }

  #failCycles(units: readonly Unit[]): void {
    for (const cycle of findCycles(units)) {
      this.log.push(`ordering cycle: ${showCycle(cycle)}`);
      for (const name of cycle) {
        const r = this.records.get(name)!;
        if (r.state === 'queued') this.#settle(r, 'failed', `dependency cycle ${showCycle(cycle)}`);
      }
    }
  }

  #settle(r: UnitRecord, state: UnitState, reason: string): void {
    r.state = state;
    if (reason !== '') r.reason = reason;
    if (!r.settled) {
      r.settled = true;
      r.settledNs = this.#nowNs;
    }
    const q = this.#queue.indexOf(r.unit.name);
    if (q >= 0) this.#queue.splice(q, 1);
  }

  /** Dependencies of `r` not yet settled (absent units count as met). */
  pendingDeps(r: UnitRecord): string[] {
    return dependenciesOf(r.unit).filter(
      (d) => !this.#absent.has(d) && this.records.get(d)?.settled === false,
    );
  }

  /** What to do at `nowNs`. */
  poll(nowNs: number): InitCommand[] {
    this.#nowNs = nowNs;
    const out: InitCommand[] = [];
    if (this.#cfg.variant === 'improved') this.#timers(nowNs, out);
    if (this.#cfg.variant === 'redox') this.#redoxStep(out);
    else this.#improvedStep(out);
    return out;
  }

  /** One redox `step()`: pop, push back while a dependency is pending, else run it. */
  #redoxStep(out: InitCommand[]): void {
    for (const r of this.records.values()) if (r.state === 'starting') return; // spawn is synchronous
    let turned = 0;
    while (this.#queue.length > 0) {
      if (turned >= this.#queue.length) {
        this.livelock = [...this.#queue].sort();
        return;
      }
      const r = this.records.get(this.#queue[0]!)!;
      if (this.pendingDeps(r).length > 0) {
        this.#queue.push(this.#queue.shift()!);
        turned++;
        continue;
      }
      turned = 0;
      this.#start(r, out);
      if (r.state === 'starting') return;
    }
  }

  #improvedStep(out: InitCommand[]): void {
    let starting = 0;
    for (const r of this.records.values()) if (r.state === 'starting') starting++;
    for (const name of [...this.#queue]) {
      if (starting >= this.#cfg.parallelStarts) break;
      const r = this.records.get(name)!;
      if (this.pendingDeps(r).length > 0) continue;
      const failed = r.unit.requires.find((d) => {
        const s = this.records.get(d)?.state;
        return s === 'failed' || s === 'skipped';
      });
      if (failed !== undefined) {
        this.#settle(r, 'skipped', `dependency ${failed} failed`);
        continue;
      }
      this.#start(r, out);
      if (r.state === 'starting') starting++;
    }
  }

  #start(r: UnitRecord, out: InitCommand[]): void {
    const q = this.#queue.indexOf(r.unit.name);
    if (q >= 0) this.#queue.splice(q, 1);
    const svc = r.unit.service;
    if (svc === null) {
      this.#settle(r, 'done', '');
      return;
    }
    r.attempt++;
    r.firstSpawnNs ??= this.#nowNs;
    r.lastSpawnNs = this.#nowNs;
    r.state = 'starting';
    out.push({ kind: 'spawn', unit: r.unit.name, attempt: r.attempt });
    if (svc.type.kind === 'oneshot_async') {
      this.#settle(r, 'up', '');
      return;
    }
    const timeoutNs =
      svc.timeoutStartMs === null ? this.#cfg.defaultTimeoutStartNs : svc.timeoutStartMs * 1e6;
    // systemd disables the start timeout of Type=oneshot by default; so does the improved init.
    const timed = this.#cfg.variant === 'improved' && timeoutNs > 0 && svc.type.kind !== 'oneshot';
    r.startDeadlineNs = timed ? this.#nowNs + timeoutNs : null;
  }

  #timers(nowNs: number, out: InitCommand[]): void {
    for (const r of this.records.values()) {
      if (r.startDeadlineNs !== null && nowNs >= r.startDeadlineNs && r.state === 'starting') {
        this.log.push(`${r.unit.name}: start timed out`);
        out.push({ kind: 'kill', unit: r.unit.name, attempt: r.attempt, why: 'timeout' });
        this.#failed(r, 'start timed out');
      }
      if (r.healthDeadlineNs !== null && nowNs >= r.healthDeadlineNs && r.state === 'up') {
        this.log.push(`${r.unit.name}: health check timed out`);
        out.push({ kind: 'kill', unit: r.unit.name, attempt: r.attempt, why: 'health' });
        this.#failed(r, 'health check failed');
      }
      if (r.restartAtNs !== null && nowNs >= r.restartAtNs && r.state === 'restart-wait') {
        r.restartAtNs = null;
        r.restarts++;
        this.#start(r, out);
      }
      if (r.nextHealthNs !== null && nowNs >= r.nextHealthNs && r.state === 'up') {
        r.nextHealthNs = null;
        r.healthDeadlineNs = nowNs + this.#cfg.healthTimeoutNs;
        out.push({ kind: 'health', unit: r.unit.name, attempt: r.attempt });
      }
    }
  }

  /** The earliest time `poll` has something to do by the clock, or null. */
  nextDeadlineNs(): number | null {
    let best: number | null = null;
    for (const r of this.records.values())
      for (const t of [r.startDeadlineNs, r.restartAtNs, r.nextHealthNs, r.healthDeadlineNs])
        if (t !== null && (best === null || t < best)) best = t;
    return best;
  }

  #current(name: string, attempt: number): UnitRecord | null {
    const r = this.records.get(name);
    return r !== undefined && r.attempt === attempt ? r : null;
  }

  /** The unit wrote its readiness byte (notify) or sent its scheme fd (scheme). */
  ready(nowNs: number, name: string, attempt: number): void {
    this.#nowNs = nowNs;
    const r = this.#current(name, attempt);
    if (r === null || r.state !== 'starting') return;
    r.firstReadyNs ??= nowNs;
    r.lastReadyNs = nowNs;
    r.startDeadlineNs = null;
    r.tracker.ready(nowNs);
    if (r.unit.service?.healthCheck && this.#cfg.variant === 'improved')
      r.nextHealthNs = nowNs + this.#cfg.healthIntervalNs;
    this.#settle(r, 'up', '');
  }

  /** The INIT_NOTIFY pipe gave EOF before a readiness byte: the child exited without notifying. */
  eof(nowNs: number, name: string, attempt: number): void {
    this.#nowNs = nowNs;
    const r = this.#current(name, attempt);
    if (r === null || r.state !== 'starting' || r.unit.service?.type.kind === 'oneshot') return;
    this.log.push(`${name}: exited without notifying readiness`);
    // Redox logs it and carries on; the improved init counts it a failed start.
    if (this.#cfg.variant === 'redox') this.#settle(r, 'stopped', 'exited without notifying readiness');
    else this.#failed(r, 'exited without notifying readiness');
  }

  /** The unit's process exited with wait status `status`. */
  exited(nowNs: number, name: string, attempt: number, status: number): void {
    this.#nowNs = nowNs;
    const r = this.#current(name, attempt);
    if (r === null || (r.state !== 'starting' && r.state !== 'up')) return;
    const failed = status !== 0;
    const oneshot = r.unit.service?.type.kind === 'oneshot';
    if (oneshot && r.state === 'starting') {
      if (failed) this.log.push(`${name}: exited with status ${status}`);
      if (!failed || this.#cfg.variant === 'redox') this.#settle(r, 'done', failed ? `status ${status}` : '');
      else this.#failed(r, `exited with status ${status}`);
      return;
    }
    if (r.state === 'starting' && this.#cfg.keepNotifyWriteEnd) return; // no EOF ever comes: boot hangs
    if (r.state === 'starting') {
      this.eof(nowNs, name, attempt);
      return;
    }
    this.log.push(`${name}: exited with status ${status}`);
    if (this.#cfg.variant === 'redox')
      this.#settle(r, 'stopped', `exited with status ${status}`); // U4
    else this.#failed(r, failed ? `exited with status ${status}` : 'exited', failed);
  }

  /** A health check's answer. */
  healthResult(nowNs: number, name: string, attempt: number, ok: boolean): void {
    this.#nowNs = nowNs;
    const r = this.#current(name, attempt);
    if (r === null || r.state !== 'up' || r.healthDeadlineNs === null) return;
    r.healthDeadlineNs = null;
    if (ok) {
      r.nextHealthNs = nowNs + this.#cfg.healthIntervalNs;
      return;
    }
    this.log.push(`${name}: health check failed`);
    this.#failed(r, 'health check failed');
  }

  /** Improved: a start or a running service failed; the restart policy decides what follows. */
  #failed(r: UnitRecord, reason: string, failed = true): void {
    r.failures += failed ? 1 : 0;
    r.startDeadlineNs = null;
    r.nextHealthNs = null;
    r.healthDeadlineNs = null;
    const d = r.tracker.stopped(this.#nowNs, failed);
    if (d.action === 'restart') {
      this.#settle(r, 'restart-wait', reason);
      r.restartAtNs = this.#nowNs + d.delayNs;
      this.log.push(`${r.unit.name}: restarting in ${d.delayNs / 1e9} s (failure ${d.failures})`);
      return;
    }
    if (d.action === 'give-up')
      this.log.push(`${r.unit.name}: gave up after ${d.failures} consecutive failures`);
    if (d.action === 'give-up') this.#settle(r, 'failed', `gave up after ${d.failures} failures`);
    else this.#settle(r, failed ? 'failed' : 'stopped', reason);
  }
}

function newRecord(unit: Unit, cfg: InitConfig): UnitRecord {
  return {
    unit,
    state: 'queued',
    settled: false,
    attempt: 0,
    firstSpawnNs: null,
    lastSpawnNs: null,
    firstReadyNs: null,
    lastReadyNs: null,
    settledNs: null,
    restarts: 0,
    failures: 0,
    reason: '',
    startDeadlineNs: null,
    restartAtNs: null,
    nextHealthNs: null,
    healthDeadlineNs: null,
    tracker: new RestartTracker(
      cfg.variant === 'improved' ? (unit.service?.restart ?? 'never') : 'never',
      cfg.restart,
    ),
  };
}
