/**
 * Init as a guest program (SVC-1..SVC-5, SVC-8, U1..U4): reads the unit files in `/etc/init.d`
 * (seeded by the scenario's `[[file]]` tables) through the `file:` scheme, loads them all as
 * Redox schedules every rootfs unit (models-2.md §10.1), and runs InitCore's decisions: each
 * spawn gets an INIT_NOTIFY pipe whose write end only the child keeps (the `eeee52f2` fix; the
 * `keepNotifyWriteEnd` switch keeps init's copy as before it). A watcher per start (a job on
 * a pool thread, worker-pool.ts) reads the readiness byte or EOF, then reaps the child with
 * waitpid, and posts what it saw to the main thread, which waits on a condition variable until
 * the next event or timer.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { SIG_IGN, SIGKILL, SIGPIPE } from '../abi/signal.ts';
import { CLOCK_MONOTONIC } from '../abi/syscalls.ts';
import {
  pthread_cond_broadcast,
  pthread_cond_clockwait,
  pthread_cond_new,
  pthread_cond_wait,
} from '../libc/cond.ts';
import { pthread_mutex_lock, pthread_mutex_new, pthread_mutex_unlock } from '../libc/mutex.ts';
import { spawn, waitpid } from '../libc/process.ts';
import { kill, sigaction } from '../libc/signal.ts';
import { clock_gettime_ns, timespec_ns } from '../libc/time.ts';
import { initConfig, type InitConfig, type InitVariant } from './init-config.ts';
import { type InitCommand, InitCore } from './init-core.ts';
import { closeFd, cloexecPipe, inheritable, listDir, readByte, readFileText, writeByte } from './io.ts';
import { INIT_OUTPUT, publishInit } from './init-report.ts';
import { deviceStatusLines, unitStatusLines } from './unit-status.ts';
import { CensusTracker, census } from './census.ts';
import { schemeAnswers } from './scheme-unit.ts';
import { newWorkerPool, submit, type WorkerPool } from './worker-pool.ts';
import { blockSigchld, type OrphanReaper, startOrphanReaper, takeExit } from './orphan-reaper.ts';
import { serviceImage } from './programs.ts';
import type { ServiceArg } from './service-program.ts';
import { parseUnitFile } from './unit-file.ts';
import { type Lookup, type LoadMode, loadClosure } from './unit-graph.ts';
import { templateOf, type Unit } from './unit.ts';

export const UNIT_DIR = '/etc/init.d';
/** One turn of the livelocked queue, batched: cycles spent between looks at the clock. */
const LIVELOCK_SPIN_CYCLES = 5_000_000;

export interface InitArgs {
  variant: InitVariant;
  loadMode: LoadMode;
  keepNotifyWriteEnd: boolean;
  /** The observation window: init publishes its state and exits this long after it started. */
  stopAfterNs: number;
  /** Where the unit files are (default UNIT_DIR). */
  unitDir?: string;
  /** A leak census (sys_census) at every multiple of this after the start; 0 or absent: none (SVC-9). */
  censusEveryNs?: number;
  /** Reap adopted orphans on SIGCHLD (orphan-reaper.ts); absent: off, as before it. */
  reapOrphans?: boolean;
}

type InitEvent =
  | { kind: 'ready' | 'eof'; unit: string; attempt: number }
  | { kind: 'health'; unit: string; attempt: number; ok: boolean }
  | { kind: 'exit'; unit: string; attempt: number; status: number };

interface InitState {
  core: InitCore;
  cfg: InitConfig;
  mutex: number;
  cond: number;
  events: InitEvent[];
  pids: Map<string, number>;
  /** Per unit, init's ends of the current attempt's health channel: [request write, answer read]. */
  health: Map<string, [number, number]>;
  census: CensusTracker | null;
  /** The threads that run watchers and health checks (worker-pool.ts). */
  pool: WorkerPool;
  /** The reap loop for adopted orphans, when on (orphan-reaper.ts). */
  reaper: OrphanReaper | null;
}

/** Reads and parses every unit file; a bad one is logged and skipped (init carries on). */
function* readUnits(
  t: Guest,
  dir: string,
  invalid: Set<string>,
  errors: string[],
): Program<Map<string, Unit>> {
  const units = new Map<string, Unit>();
  const names = (yield* listDir(t, dir)) ?? [];
  if (names.length === 0) errors.push(`init: no unit files in ${dir}`);
  for (const name of names) {
    const text = yield* readFileText(t, `${dir}/${name}`);
    const r = text === null ? null : parseUnitFile(name, text);
    if (r?.ok) units.set(name, r.unit);
    else {
      invalid.add(name);
      errors.push(r === null ? `unit ${name}: file: cannot be read; allowed: a readable file` : r.error);
    }
  }
  return units;
}

/**
 * Finds a unit by name: a file that parsed, or `name@inst` from its template file `name@.kind`
 * with `$INSTANCE` substituted. A file that did not parse is 'invalid' (logged already).
 */
function* lookupOf(
  t: Guest,
  dir: string,
  units: Map<string, Unit>,
  invalid: Set<string>,
  errors: string[],
): Program<Lookup> {
  const templateTexts = new Map<string, string>();
  for (const name of units.keys())
    if (name.includes('@.')) templateTexts.set(name, (yield* readFileText(t, `${dir}/${name}`)) ?? '');
  return (name) => {
    const u = units.get(name);
    if (u !== undefined) return u;
    if (invalid.has(name)) return 'invalid';
    const tpl = templateOf(name);
    const text = tpl === null ? undefined : templateTexts.get(tpl.template);
    if (tpl === null || text === undefined) return 'missing';
    const r = parseUnitFile(name, text, tpl.instance);
    if (r.ok) return r.unit;
    errors.push(r.error);
    return 'invalid';
  };
}

function* post(t: Guest, s: InitState, ev: InitEvent): Program<void> {
  yield* pthread_mutex_lock(t, s.mutex);
  s.events.push(ev);
  yield* pthread_cond_broadcast(t, s.cond);
  yield* pthread_mutex_unlock(t, s.mutex);
}

interface WatchArg {
  s: InitState;
  unit: string;
  attempt: number;
  pid: number;
  notifyRead: number;
  /** A scheme-type unit's scheme: ready only once it answers (scheme-unit.ts). */
  scheme: string | undefined;
}

/** One start's watcher: the readiness byte or EOF, then the child's exit status. */
function* watch(t: Guest, raw: unknown): Program<number> {
  const w = raw as WatchArg;
  if (w.notifyRead >= 0) {
    let n = yield* readByte(t, w.notifyRead);
    yield* closeFd(t, w.notifyRead);
    const err = n === 1 && w.scheme !== undefined ? yield* schemeAnswers(t, w.scheme) : 0;
    if (err < 0) {
      w.s.core.log.push(`${w.unit}: notified, but scheme ${w.scheme} does not answer (errno ${-err})`);
      n = 0;
    }
    yield* post(t, w.s, { kind: n === 1 ? 'ready' : 'eof', unit: w.unit, attempt: w.attempt });
  }
  const [pid, status] = yield* waitpid(t, w.pid);
  const reaper = w.s.reaper;
  reaper?.own.delete(w.pid);
  // No child: the orphan reap loop collected this one's exit (waitpid -1) first.
  const exit = pid > 0 ? status : reaper === null ? null : yield* takeExit(t, reaper, w.pid);
  if (exit !== null) yield* post(t, w.s, { kind: 'exit', unit: w.unit, attempt: w.attempt, status: exit });
  return 0;
}

function* startUnit(t: Guest, s: InitState, name: string, attempt: number): Program<void> {
  const svc = s.core.records.get(name)!.unit.service!;
  const image = serviceImage(svc.cmd);
  const notifies = svc.type.kind === 'notify' || svc.type.kind === 'scheme';
  const pipe = notifies ? yield* cloexecPipe(t) : null;
  if (notifies && pipe === null) throw new Error(`init: pipe for ${name} failed`);
  if (pipe !== null) yield* inheritable(t, pipe[1], true);
  const arg: ServiceArg = { unit: name, args: svc.args, notifyFd: pipe?.[1] ?? -1 };
  if (svc.type.kind === 'scheme') arg.scheme = svc.type.scheme;
  const health = svc.healthCheck && s.cfg.variant === 'improved' ? yield* healthPipes(t, s, name) : null;
  if (health !== null) [arg.healthReqFd, arg.healthAnsFd] = health;
  const pid = image === null ? -1 : yield* spawn(t, image, arg);
  if (health !== null) for (const fd of health) yield* closeFd(t, fd);
  if (pipe !== null && (!s.cfg.keepNotifyWriteEnd || pid < 0)) yield* closeFd(t, pipe[1]);
  else if (pipe !== null) yield* inheritable(t, pipe[1], false);
  if (pid < 0) {
    s.core.log.push(`${name}: cannot start ${svc.cmd} (${image === null ? 'no such program' : pid})`);
    if (pipe !== null) yield* closeFd(t, pipe[0]);
    s.events.push({ kind: 'exit', unit: name, attempt, status: 127 << 8 });
    return;
  }
  s.pids.set(name, pid);
  s.reaper?.own.add(pid);
  const wa: WatchArg = { s, unit: name, attempt, pid, notifyRead: pipe?.[0] ?? -1, scheme: arg.scheme };
  yield* submit(t, s.pool, watch, wa);
}

/** A fresh health channel for `name`; returns the child's ends [request read, answer write]. */
function* healthPipes(t: Guest, s: InitState, name: string): Program<[number, number]> {
  const old = s.health.get(name);
  if (old !== undefined) for (const fd of old) yield* closeFd(t, fd);
  const req = yield* cloexecPipe(t);
  const ans = yield* cloexecPipe(t);
  if (req === null || ans === null) throw new Error(`init: health pipes for ${name} failed`);
  s.health.set(name, [req[1], ans[0]]);
  yield* inheritable(t, req[0], true);
  yield* inheritable(t, ans[1], true);
  return [req[0], ans[1]];
}

interface HealthArg {
  s: InitState;
  unit: string;
  attempt: number;
  fds: [number, number];
}

/** One health check: a request byte, then the answer (or EOF once the service is gone). */
function* checkHealth(t: Guest, raw: unknown): Program<number> {
  const h = raw as HealthArg;
  const sent = yield* writeByte(t, h.fds[0]);
  const ok = sent === 1 && (yield* readByte(t, h.fds[1])) === 1;
  yield* post(t, h.s, { kind: 'health', unit: h.unit, attempt: h.attempt, ok });
  return 0;
}

function* carryOut(t: Guest, s: InitState, cmds: readonly InitCommand[]): Program<void> {
  for (const c of cmds) {
    if (c.kind === 'spawn') yield* startUnit(t, s, c.unit, c.attempt);
    else if (c.kind === 'kill') {
      const pid = s.pids.get(c.unit);
      if (pid !== undefined) yield* kill(t, pid, SIGKILL);
    } else {
      const fds = s.health.get(c.unit);
      if (fds === undefined) throw new Error(`init: no health channel for ${c.unit}`);
      yield* submit(t, s.pool, checkHealth, { s, unit: c.unit, attempt: c.attempt, fds } satisfies HealthArg);
    }
  }
}

function apply(s: InitState, nowNs: number, ev: InitEvent): void {
  if (ev.kind === 'health') s.core.healthResult(nowNs, ev.unit, ev.attempt, ev.ok);
  else if (ev.kind === 'exit') s.core.exited(nowNs, ev.unit, ev.attempt, ev.status);
  else if (ev.kind === 'ready') s.core.ready(nowNs, ev.unit, ev.attempt);
  else s.core.eof(nowNs, ev.unit, ev.attempt);
}

/** Waits for an event or `untilNs` (monotonic); returns the events that came. */
function* waitEvents(t: Guest, s: InitState, untilNs: number): Program<InitEvent[]> {
  yield* pthread_mutex_lock(t, s.mutex);
  while (s.events.length === 0) {
    const err = Number.isFinite(untilNs)
      ? yield* pthread_cond_clockwait(t, s.cond, s.mutex, CLOCK_MONOTONIC, yield* timespec_ns(t, untilNs))
      : yield* pthread_cond_wait(t, s.cond, s.mutex);
    if (err !== 0) break; // ETIMEDOUT
  }
  const got = s.events.splice(0);
  yield* pthread_mutex_unlock(t, s.mutex);
  return got;
}

/** The driver manager's status file (driver-manager-program.ts writes it after every poll). */
const DRVMGR_STATUS = '/run/drvmgr.status';

/** At the window's end: `systemctl status`-style lines per unit, and the devices' if a manager ran. */
function* publishStatus(t: Guest, s: InitState): Program<void> {
  const out = (t.data.output as Record<string, { text: Record<string, string[]> }>)[INIT_OUTPUT]!;
  out.text.status = unitStatusLines(s.core.records.values(), s.pids);
  const devices = yield* readFileText(t, DRVMGR_STATUS);
  if (devices !== null) out.text.devices = deviceStatusLines(devices);
}

function* initMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as InitArgs;
  const cfg = {
    ...initConfig(args.variant),
    loadMode: args.loadMode,
    keepNotifyWriteEnd: args.keepNotifyWriteEnd,
  };
  const startNs = yield* clock_gettime_ns(t);
  // A health request to a service that just died must give EPIPE, not kill init.
  yield* sigaction(t, SIGPIPE, { handler: SIG_IGN, mask: 0, flags: 0 });
  const errors: string[] = [];
  const invalid = new Set<string>();
  const dir = args.unitDir ?? UNIT_DIR;
  const units = yield* readUnits(t, dir, invalid, errors);
  const lookup = yield* lookupOf(t, dir, units, invalid, errors);
  const roots = [...units.keys()].filter((n) => !n.includes('@.'));
  const core = new InitCore(loadClosure(roots, lookup, cfg.loadMode), cfg);
  core.log.unshift(...errors);
  if (args.reapOrphans === true) yield* blockSigchld(t); // before init's other threads exist
  const s: InitState = {
    core,
    cfg,
    mutex: yield* pthread_mutex_new(t),
    cond: yield* pthread_cond_new(t),
    events: [],
    pids: new Map(),
    health: new Map(),
    pool: yield* newWorkerPool(t),
    census: (args.censusEveryNs ?? 0) > 0 ? new CensusTracker(args.censusEveryNs!) : null,
    reaper: null,
  };
  if (args.reapOrphans === true) s.reaper = yield* startOrphanReaper(t, s.mutex, core.log);
  const stopNs = startNs + args.stopAfterNs;
  for (;;) {
    const now = yield* clock_gettime_ns(t);
    if (s.census !== null && now - startNs >= s.census.nextNs) s.census.record(yield* census(t));
    yield* carryOut(t, s, core.poll(now - startNs));
    publishInit(
      t,
      core,
      now - startNs,
      s.census,
      s.reaper === null ? {} : { orphans_reaped: s.reaper.reaped },
    );
    if (now >= stopNs) {
      yield* publishStatus(t, s);
      break;
    }
    if (core.livelock !== null) {
      // Redox's step() would spin here for ever (U3): burn the CPU to the window's end.
      yield t.compute(LIVELOCK_SPIN_CYCLES);
      continue;
    }
    const next = core.nextDeadlineNs();
    const until = Math.min(
      stopNs,
      next === null ? Infinity : startNs + next,
      s.census === null ? Infinity : startNs + s.census.nextNs,
    );
    const got = yield* waitEvents(t, s, until);
    const at = (yield* clock_gettime_ns(t)) - startNs;
    for (const ev of got) apply(s, at, ev);
  }
  return 0;
}

export const SVC_INIT: ProgramImage = { name: 'svc-init', main: initMain };
