/**
 * Init's reap loop for adopted orphans (issue 19): processes whose parent died before them and
 * that the kernel handed to init (kernel/orphans.ts: on Linux init is the reaper no subreaper
 * pre-empts; on Redox only init's own grandchildren come to it). Redox's init ends its boot in
 * "reap forever" (models-2.md §10.1); systemd reaps on SIGCHLD. Here a thread of its own waits
 * for SIGCHLD with sigtimedwait, the signal blocked in every thread of init so that it is taken
 * there and nowhere else (the classic threaded-daemon pattern), and also wakes every
 * REAP_PERIOD_NS; each time it calls waitpid(-1, WNOHANG) until it returns 0.
 *
 * waitpid(-1) also collects init's own unit children, which their watchers (init-program.ts)
 * wait for by pid: such an exit is kept here under init's mutex, and the watcher, whose waitpid
 * then finds no child (ECHILD), takes it from here and reports it as its own.
 *
 * Off unless the workload's `reap_orphans = 1`, so the seeds before it run as they did.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { SIG_BLOCK, SIGCHLD, sigBit } from '../abi/signal.ts';
import { WNOHANG } from '../abi/syscalls.ts';
import { pthread_mutex_lock, pthread_mutex_unlock } from '../libc/mutex.ts';
import { waitpid } from '../libc/process.ts';
import { pthread_create } from '../libc/pthread.ts';
import { pthread_sigmask, sigtimedwait } from '../libc/signal.ts';
import { timespec_ns } from '../libc/time.ts';

/** The loop's wake without a SIGCHLD: a signal coalesced with one already taken is still seen. */
export const REAP_PERIOD_NS = 1_000_000_000;

export interface OrphanReaper {
  /** Init's mutex: the loop holds it from each waitpid to recording what it returned. */
  readonly mutex: number;
  /** Pids init spawned (its units' processes): their exits go to their watchers. */
  readonly own: Set<number>;
  /** Own children's exits the loop collected: pid -> wait status. */
  readonly exits: Map<number, number>;
  /** Orphans reaped, and a log line for each. */
  reaped: number;
  readonly log: string[];
}

/** Blocks SIGCHLD in the calling thread; call it before init creates its other threads. */
export function* blockSigchld(t: Guest): Program<void> {
  const [err] = yield* pthread_sigmask(t, SIG_BLOCK, sigBit(SIGCHLD));
  if (err !== 0) throw new Error(`init: blocking SIGCHLD failed (${err})`);
}

/** Starts the loop's thread (SIGCHLD already blocked: see blockSigchld). */
export function* startOrphanReaper(t: Guest, mutex: number, log: string[]): Program<OrphanReaper> {
  const r: OrphanReaper = { mutex, own: new Set(), exits: new Map(), reaped: 0, log };
  const [err] = yield* pthread_create(t, null, reapLoop, r);
  if (err !== 0) throw new Error(`init: reaper thread failed (${err})`);
  return r;
}

function* reapLoop(t: Guest, raw: unknown): Program<number> {
  const r = raw as OrphanReaper;
  for (;;) {
    yield* sigtimedwait(t, sigBit(SIGCHLD), yield* timespec_ns(t, REAP_PERIOD_NS));
    yield* reapAll(t, r);
  }
}

/** waitpid(-1, WNOHANG) until nothing more has exited. */
function* reapAll(t: Guest, r: OrphanReaper): Program<void> {
  yield* pthread_mutex_lock(t, r.mutex);
  for (;;) {
    const [pid, status] = yield* waitpid(t, -1, WNOHANG);
    if (pid <= 0) break;
    if (r.own.has(pid)) {
      r.exits.set(pid, status);
      continue;
    }
    r.reaped++;
    r.log.push(`reaped orphan ${pid} (status ${status})`);
  }
  yield* pthread_mutex_unlock(t, r.mutex);
}

/** A watcher whose waitpid found no child: the exit the loop collected for it, or null. */
export function* takeExit(t: Guest, r: OrphanReaper, pid: number): Program<number | null> {
  yield* pthread_mutex_lock(t, r.mutex);
  const status = r.exits.get(pid);
  r.exits.delete(pid);
  r.own.delete(pid);
  yield* pthread_mutex_unlock(t, r.mutex);
  return status ?? null;
}
