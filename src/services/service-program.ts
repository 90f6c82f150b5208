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
 *   exit_ms=N       exit N ms after start with `status` (default 0)
 *   crash_ms=N      die by SIGSEGV N ms after start (a daemon crash, SVC-5)
 *   crash_starts=K  crash only on the first K starts (counted in /run/svc.<unit>.starts)
 *   health=hang     stop answering health checks once ready (a wedged daemon, SVC-7)
 * Redox passes the pipe's fd number in the environment (`INIT_NOTIFY`); smpsim's spawn takes no
 * per-child environment, so it rides in the spawn argument.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { mkdir } from '../libc/io.ts';
import { sleep_ns } from '../libc/time.ts';
import { pthread_create } from '../libc/pthread.ts';
import { closeFd, exists, readByte, readFileText, writeByte, writeFileText } from './io.ts';

/** What init hands a service: its unit, arguments and the INIT_NOTIFY write end (-1: none). */
export interface ServiceArg {
  unit: string;
  args: readonly string[];
  notifyFd: number;
  /** Health channel (improved init, SVC-7): requests to read, answers to write; -1: none. */
  healthReqFd?: number;
  healthAnsFd?: number;
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
  if (opts.notify !== 'no') {
    if (opts.touch !== undefined) yield* writeFileText(t, opts.touch, arg.unit);
    if (arg.notifyFd >= 0) {
      yield* writeByte(t, arg.notifyFd);
      yield* closeFd(t, arg.notifyFd);
    }
  }
  if ((arg.healthReqFd ?? -1) >= 0 && opts.health !== 'hang') yield* startHealthAnswerer(t, arg);
  while (yield* until(elapsed + IDLE_NS));
  return finish(t, elapsed, exitAt, opts);
}

/** Answers each health request byte with one byte, in its own thread (SVC-7). */
function* answerHealth(t: Guest, raw: unknown): Program<number> {
  const arg = raw as ServiceArg;
  while ((yield* readByte(t, arg.healthReqFd!)) === 1) yield* writeByte(t, arg.healthAnsFd!);
  return 0;
}

function* startHealthAnswerer(t: Guest, arg: ServiceArg): Program<void> {
  const [err] = yield* pthread_create(t, null, answerHealth, arg);
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
