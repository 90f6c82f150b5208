/**
 * `session`: a daemon that leaves orphans behind (issue 19, the `orphan-reaping` seed), as a
 * login shell does with a job that double-forks. It spawns a `spawner`, which starts `orphans`
 * children (each lives `orphan_ms`, then exits 0) and exits 1 ms later; the session waits for the
 * spawner only (waitpid on its pid, as a shell waits for its job), notifies readiness and idles.
 * Where the orphans go is the kernel's rule (kernel/orphans.ts): on Redox to their grandparent,
 * this session, which never waits for them (zombies); on Linux to the nearest subreaper, else
 * init, whose reap loop collects them (orphan-reaper.ts). Arguments, `key=value`:
 *   orphans=N      children the spawner leaves (default 3)
 *   orphan_ms=M    how long each lives (default 100)
 *   subreaper=yes  set PR_SET_CHILD_SUBREAPER first and reap every child in a SIGCHLD handler
 *                  (waitpid(-1, WNOHANG) until 0), as `tini -s` does; if prctl fails (ENOSYS
 *                  on Redox) the session carries on as without it
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { SIGCHLD } from '../abi/signal.ts';
import { PR_SET_CHILD_SUBREAPER, WNOHANG } from '../abi/syscalls.ts';
import { prctl, spawn, waitpid } from '../libc/process.ts';
import { sigaction } from '../libc/signal.ts';
import { sleep_ns } from '../libc/time.ts';
import { closeFd, writeByte } from './io.ts';
import { parseServiceArgs, type ServiceArg } from './service-program.ts';

const MS = 1_000_000;
/** A daemon with nothing to do sleeps in chunks this long. */
const IDLE_NS = 3_600_000 * MS;
/** The spawner outlives its children's start by this much, so they first see it as their parent. */
const SPAWNER_LINGER_NS = 1 * MS;

interface SpawnerArg {
  orphans: number;
  orphanNs: number;
}

function count(opts: Record<string, string>, key: string, fallback: number): number {
  const v = opts[key];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`session: argument ${key}=${v} is not a whole number`);
  return n;
}

function* orphanMain(t: Guest, raw: unknown): Program<number> {
  yield* sleep_ns(t, raw as number);
  return 0;
}

const ORPHAN: ProgramImage = { name: 'orphan', main: orphanMain };

function* spawnerMain(t: Guest, raw: unknown): Program<number> {
  const a = raw as SpawnerArg;
  for (let i = 0; i < a.orphans; i++) {
    const pid = yield* spawn(t, ORPHAN, a.orphanNs);
    if (pid < 0) return 1;
  }
  yield* sleep_ns(t, SPAWNER_LINGER_NS);
  return 0;
}

const SPAWNER: ProgramImage = { name: 'spawner', main: spawnerMain };

/** SIGCHLD: every exited child, without blocking (waitpid is async-signal-safe). */
function* reapInHandler(t: Guest): Program<void> {
  for (;;) {
    const [pid] = yield* waitpid(t, -1, WNOHANG);
    if (pid <= 0) return;
  }
}

function* sessionMain(t: Guest, raw: unknown): Program<number> {
  const arg = raw as ServiceArg;
  const opts = parseServiceArgs(arg.args);
  const spawnerArg: SpawnerArg = {
    orphans: count(opts, 'orphans', 3),
    orphanNs: count(opts, 'orphan_ms', 100) * MS,
  };
  const subreaper = opts.subreaper === 'yes' && (yield* prctl(t, PR_SET_CHILD_SUBREAPER, 1)) === 0;
  if (subreaper) yield* sigaction(t, SIGCHLD, { handler: reapInHandler, mask: 0, flags: 0 });
  const pid = yield* spawn(t, SPAWNER, spawnerArg);
  if (pid < 0) return 1;
  // The job's own exit; with the handler, it may have reaped the spawner already (ECHILD).
  if (!subreaper) yield* waitpid(t, pid);
  if (arg.notifyFd >= 0) {
    yield* writeByte(t, arg.notifyFd);
    yield* closeFd(t, arg.notifyFd);
  }
  for (;;) yield* sleep_ns(t, IDLE_NS);
}

export const SESSION: ProgramImage = { name: 'session', main: sessionMain };
