/**
 * The daemons init starts (SVC-1, SVC-3, SVC-5, U1): one guest program, `svc`, whose unit
 * `args` script what it does, so a scenario's unit files say how each service behaves and
 * fails. `login` is the same program; its readiness ends boot (SVC-8). Each writes its
 * readiness byte to the INIT_NOTIFY pipe as Redox's `Daemon::ready` does (models-2.md §10.1).
 * Arguments, `key=value`:
 *   ready_ms=N      sleep N ms before notifying (start-up work waiting on I/O); default 1
 *   cpu_us=N        compute N µs before notifying (start-up work on the CPU); default 0
 *   notify=no       never notify (a hung daemon, SVC-3)
 *   wait_file=PATH  before notifying, poll every 10 ms until PATH exists (a scheme it needs, U1)
 *   touch=PATH      create PATH when ready (a scheme it provides)
 *   wait_scheme=S   before notifying, poll every 10 ms until scheme S answers an open
 *   exit_ms=N       exit N ms after start with `status` (default 0)
 *   crash_ms=N      die by SIGSEGV N ms after start (a daemon crash, SVC-5)
 *   crash_starts=K  crash only on the first K starts (counted in /run/svc.<unit>.starts)
 *   health=hang     stop answering health checks once ready (a wedged daemon, SVC-7)
 *   crash_every_ms=P, crash_phase_ms=O  die by SIGSEGV at the first monotonic time O + kP after
 *                   start: faults on the clock's grid, so a window of n periods holds n (SVC-9)
 *   hang_every_ms=P, hang_phase_ms=O    stop answering health checks at the first O + kP after
 *                   start (a daemon that wedges later, SVC-9)
 *   burst_us=N      once ready, compute N µs every `every_ms` (default 1000) ms: load (SVC-9)
 * Redox passes the pipe's fd number in the environment (`INIT_NOTIFY`); smpsim's spawn takes no
 * per-child environment, so it rides in the spawn argument.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { mkdir } from '../libc/io.ts';
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import { pthread_create } from '../libc/pthread.ts';
import { provideScheme, schemeAnswers } from './scheme-unit.ts';
import { closeFd, exists, readByte, readFileText, writeByte, writeFileText } from './io.ts';

/** What init hands a service: its unit, arguments and the INIT_NOTIFY write end (-1: none). */
export interface ServiceArg {
  unit: string;
  args: readonly string[];
  notifyFd: number;
  /** Health channel (improved init, SVC-7): requests to read, answers to write; -1: none. */
  healthReqFd?: number;
  healthAnsFd?: number;
  /** A scheme-type unit's scheme: registered and served before readiness (scheme-unit.ts). */
  scheme?: string;
}

const MS = 1_000_000;
/** How often a service waiting for a file looks again. */
const WAIT_POLL_NS = 10 * MS;
/** A guest address never mapped: reading it is the crash (SIGSEGV). */
const NULL_PAGE = 0;
/** Cycles per µs of start-up compute (the cost model's 1 GHz-class clock is the CPU's business). */
const CYCLES_PER_US = 1000;
/** A daemon with nothing scheduled sleeps in chunks this long. */
const IDLE_NS = 3_600_000 * MS;

export type ServiceOptions = Record<string, string>;

/** `key=value` arguments as a table; a bare word is `word=yes`. */
export function parseServiceArgs(args: readonly string[]): ServiceOptions {
  const out: ServiceOptions = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq < 0) out[a] = 'yes';
    else out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

/** The first monotonic time `phase + k * every` after `nowNs` (`<what>_every_ms`, `<what>_phase_ms`). */
export function nextOnGrid(opts: ServiceOptions, what: 'crash' | 'hang', nowNs: number): number {
  const everyNs = num(opts, `${what}_every_ms`, 0) * MS;
  if (everyNs === 0) throw new Error(`svc: argument ${what}_every_ms=0: allowed: 1 or more`);
  const phaseNs = num(opts, `${what}_phase_ms`, 0) * MS;
  return phaseNs + (Math.floor((nowNs - phaseNs) / everyNs) + 1) * everyNs;
}

function num(opts: ServiceOptions, key: string, fallback: number): number {
  const v = opts[key];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`svc: argument ${key}=${v} is not a whole number`);
  return n;
}

/** This start's number (1 = first), kept in a file so it survives the process, as a real daemon's state would. */
function* countStart(t: Guest, unit: string): Program<number> {
  yield* mkdir(t, '/run', 0o755);
  const path = `/run/svc.${unit}.starts`;
  const before = Number((yield* readFileText(t, path)) ?? '0');
  yield* writeFileText(t, path, String(before + 1));
  return before + 1;
}

function* serviceMain(t: Guest, raw: unknown): Program<number> {
  const arg = raw as ServiceArg;
  const opts = parseServiceArgs(arg.args);
  const exitAt = opts.exit_ms === undefined ? null : num(opts, 'exit_ms', 0) * MS;
  let crashAt = opts.crash_ms === undefined ? null : num(opts, 'crash_ms', 0) * MS;
  if (opts.crash_every_ms !== undefined) {
    const now = yield* clock_gettime_ns(t);
    crashAt = Math.min(crashAt ?? Infinity, nextOnGrid(opts, 'crash', now) - now);
  }
  if (crashAt !== null && opts.crash_starts !== undefined) {
    const start = yield* countStart(t, arg.unit);
    if (start > num(opts, 'crash_starts', 0)) crashAt = null;
  }
  let elapsed = 0;
  const until = function* (ns: number): Program<boolean> {
    // Sleeps to `ns` after start unless the exit or crash time comes first; false if it did.
    const stop = Math.min(ns, exitAt ?? Infinity, crashAt ?? Infinity);
    if (stop > elapsed) yield* sleep_ns(t, stop - elapsed);
    elapsed = Math.max(elapsed, stop);
    return stop === ns && ns !== exitAt && ns !== crashAt;
  };
  const cpuUs = num(opts, 'cpu_us', 0);
  if (cpuUs > 0) yield t.compute(cpuUs * CYCLES_PER_US);
  if (!(yield* until(num(opts, 'ready_ms', 1) * MS))) return finish(t, elapsed, exitAt, opts);
  if (opts.wait_file !== undefined)
    while (!(yield* exists(t, opts.wait_file)))
      if (!(yield* until(elapsed + WAIT_POLL_NS))) return finish(t, elapsed, exitAt, opts);
  if (opts.wait_scheme !== undefined)
    while ((yield* schemeAnswers(t, opts.wait_scheme)) < 0)
      if (!(yield* until(elapsed + WAIT_POLL_NS))) return finish(t, elapsed, exitAt, opts);
  // A scheme-type unit registers its scheme before readiness; a taken name is a failed start.
  if (arg.scheme !== undefined && (yield* provideScheme(t, arg.scheme)) < 0) return 1;
  if (opts.notify !== 'no') {
    if (opts.touch !== undefined) yield* writeFileText(t, opts.touch, arg.unit);
    if (arg.notifyFd >= 0) {
      yield* writeByte(t, arg.notifyFd);
      yield* closeFd(t, arg.notifyFd);
    }
  }
  if ((arg.healthReqFd ?? -1) >= 0 && opts.health !== 'hang') yield* startHealthAnswerer(t, arg, opts);
  const burstUs = num(opts, 'burst_us', 0);
  const everyNs = num(opts, 'every_ms', 1000) * MS;
  if (burstUs > 0 && everyNs === 0)
    throw new Error('svc: argument every_ms=0 with burst_us: allowed: 1 or more');
  // Load: a burst of CPU work every `every_ms`, on the period's grid (no drift), until exit or crash.
  if (burstUs > 0)
    while (yield* until((Math.floor(elapsed / everyNs) + 1) * everyNs))
      yield t.compute(burstUs * CYCLES_PER_US);
  while (yield* until(elapsed + IDLE_NS));
  return finish(t, elapsed, exitAt, opts);
}

interface AnswerArg {
  arg: ServiceArg;
  /** Stop answering at this monotonic time (`hang_every_ms`): a daemon that wedges later. */
  hangAtNs: number;
}

/** Answers each health request byte with one byte, in its own thread (SVC-7). */
function* answerHealth(t: Guest, raw: unknown): Program<number> {
  const { arg, hangAtNs } = raw as AnswerArg;
  while ((yield* readByte(t, arg.healthReqFd!)) === 1) {
    if (Number.isFinite(hangAtNs) && (yield* clock_gettime_ns(t)) >= hangAtNs)
      for (;;) yield* sleep_ns(t, IDLE_NS);
    yield* writeByte(t, arg.healthAnsFd!);
  }
  return 0;
}

function* startHealthAnswerer(t: Guest, arg: ServiceArg, opts: ServiceOptions): Program<void> {
  const hangAtNs =
    opts.hang_every_ms === undefined ? Infinity : nextOnGrid(opts, 'hang', yield* clock_gettime_ns(t));
  const [err] = yield* pthread_create(t, null, answerHealth, { arg, hangAtNs } satisfies AnswerArg);
  if (err !== 0) throw new Error(`svc: health thread failed (${err})`);
}

/** The exit (status) or the crash, whichever time came. */
function finish(t: Guest, elapsedNs: number, exitAt: number | null, opts: ServiceOptions): number {
  if (exitAt !== null && elapsedNs === exitAt) return num(opts, 'status', 0);
  t.load32(NULL_PAGE); // SIGSEGV: the kernel kills the process
  throw new Error('svc: the crash read did not fault');
}

export const SERVICE: ProgramImage = { name: 'svc', main: serviceMain };
export const LOGIN: ProgramImage = { name: 'login', main: serviceMain };
