/**
 * fork and pthread_atfork (LIBC-9). The kernel's fork (src/kernel/clone.ts) copies the process
 * with the calling thread only; since a generator cannot be copied, the child's code is given
 * to fork as a function, which runs where a C child returns 0 from fork and whose return value
 * is the child's exit status:
 *
 *     const pid = yield* fork(t, function* (child) {
 *       // the `if (pid == 0)` branch, in the child process
 *       return 0;
 *     });
 *     if (pid < 0) { ... errno(t) ... }   // the parent, as after a failed fork
 *
 * Around the system call, fork runs the handlers registered with pthread_atfork: `prepare` in
 * the parent before, then `parent` in the parent or `child` in the child after. They exist so a
 * library can take its locks across the fork (prepare) and release them on both sides: a lock
 * that another thread held at the fork would otherwise stay locked forever in the child, where
 * that thread does not exist.
 *
 * improved (POSIX, glibc): one process-wide list; prepare handlers run in reverse order of
 * registration, parent and child handlers in order; parent handlers run after a failed fork too
 * (so the locks prepare took are released).
 * relibc (src/header/pthread/mod.rs, header/unistd/mod.rs), as its code behaves:
 * - the lists (`fork_hooks`) are `#[thread_local]`: handlers a thread registers run only when
 *   that same thread forks (the child inherits the forking thread's lists);
 * - prepare handlers run in registration order, not reversed;
 * - a failed fork (-1) runs no parent handlers, leaving prepare's locks held.
 *
 * In the child, libc first makes its per-thread state the new thread's (the forking thread's
 * descriptor, errno, keys, cleanup handlers, stack pointer, scratch buffer and relibc's hook
 * lists move to the child's tid; every other thread's state is dropped, as those threads do not
 * exist there), then runs the child handlers, then the child's code.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { SYS_FORK } from '../abi/syscalls.ts';
import { failWith } from './errno.ts';
import { forkChildThreads } from './pthread.ts';
import { syscall } from './sys.ts';
import { libcOf } from './select.ts';

/** A fork handler: runs in the thread that forks (prepare, parent) or in the child. */
export type AtforkHandler = (t: Guest) => Program<void>;
/** The child's side of a fork: its return value is the child's exit status. */
export type ForkChild = (t: Guest) => Program<number>;

interface AtforkLists {
  prepare: AtforkHandler[];
  parent: AtforkHandler[];
  child: AtforkHandler[];
}

/** The lists fork runs: the process's (improved) or the calling thread's own (relibc). */
function lists(t: Guest): AtforkLists {
  const empty = (): AtforkLists => ({ prepare: [], parent: [], child: [] });
  if (libcOf(t).thread.atforkPerThread) {
    let byTid = t.data.atforkByThread as Map<number, AtforkLists> | undefined;
    if (byTid === undefined) t.data.atforkByThread = byTid = new Map();
    let mine = byTid.get(t.tid);
    if (mine === undefined) byTid.set(t.tid, (mine = empty()));
    return mine;
  }
  let all = t.data.atfork as AtforkLists | undefined;
  if (all === undefined) t.data.atfork = all = empty();
  return all;
}

/** Registers fork handlers (null for none); returns 0 (ENOMEM cannot happen here). */
export function pthread_atfork(
  t: Guest,
  prepare: AtforkHandler | null,
  parent: AtforkHandler | null,
  child: AtforkHandler | null,
): number {
  const l = lists(t);
  if (prepare !== null) l.prepare.push(prepare);
  if (parent !== null) l.parent.push(parent);
  if (child !== null) l.child.push(child);
  return 0;
}

interface ForkStart {
  child: ForkChild;
  parentTid: number;
}

/**
 * Creates a child process running `child` (see the module comment); returns the child's pid in
 * the parent, or -1 with errno (EAGAIN, ENOMEM).
 */
export function* fork(t: Guest, child: ForkChild): Program<number> {
  const libc = libcOf(t).thread;
  const handlers = lists(t);
  const prepare = libc.atforkPrepareReversed ? [...handlers.prepare].reverse() : [...handlers.prepare];
  for (const handler of prepare) yield* handler(t);
  const start: ForkStart = { child, parentTid: t.tid };
  const pid = yield* syscall(t, SYS_FORK, forkChildStart, start);
  if (pid >= 0 || libc.atforkParentOnFailure) for (const handler of [...handlers.parent]) yield* handler(t);
  return pid < 0 ? failWith(t, -pid) : pid;
}

/** The child's first frame: libc's state made the child's, the child handlers, the child's code. */
function* forkChildStart(t: Guest, raw: unknown): Program<number> {
  const { child, parentTid } = raw as ForkStart;
  adoptThreadState(t, parentTid);
  for (const handler of [...lists(t).child]) yield* handler(t);
  return yield* child(t);
}

/**
 * libc's per-thread tables, keyed by tid, that the child takes over from the forking thread
 * (data key, and the field holding the map when it sits inside an object).
 */
const PER_THREAD_MAPS: readonly [string, string | null][] = [
  ['errno', null],
  ['pthreadKeys', 'values'],
  ['cleanup', null],
  ['stackPointers', null],
  ['threadScratch', null],
  ['atforkByThread', null],
  // PRIO_PROTECT ceiling counts: the child keeps the priority fork copied, so it keeps the counts.
  ['tpp', null],
];

/**
 * Per-thread state the child must not inherit at all: the robust-list registration is the
 * kernel's per thread, and a forked child has none (Linux), so libc registers again on the
 * child's first robust lock.
 */
const DROPPED_IN_CHILD: readonly string[] = ['robustHeads'];

function adoptThreadState(t: Guest, parentTid: number): void {
  forkChildThreads(t, parentTid);
  for (const [key, field] of PER_THREAD_MAPS) {
    const holder = t.data[key] as Record<string, unknown> | Map<number, unknown> | undefined;
    const map = (field === null ? holder : (holder as Record<string, unknown> | undefined)?.[field]) as
      | Map<number, unknown>
      | undefined;
    if (map === undefined) continue;
    const mine = map.get(parentTid);
    map.clear();
    if (mine !== undefined) map.set(t.tid, mine);
  }
  for (const key of DROPPED_IN_CHILD) delete t.data[key];
}
