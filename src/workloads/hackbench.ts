/**
 * `hackbench`: rt-tests' hackbench (Rusty Russell's; also `perf bench sched messaging`,
 * tools/perf/bench/sched-messaging.c). `groups` groups of `fds` senders and `fds` receivers;
 * each receiver owns one channel (an AF_UNIX socketpair, or a pipe with `pipe = 1`, hackbench
 * -p); every sender of a group writes `loops` messages of `datasize` bytes to every receiver
 * of its group, round robin over the receivers, and each receiver reads fds * loops messages,
 * retrying short reads and writes as hackbench does. Tasks are processes (fork, the default)
 * or threads (`threads = 1`, hackbench -T). Every task reports ready over a pipe and waits in
 * poll for one wake-up byte; the time runs from that byte to the last task reaped.
 *
 * Defaults as hackbench's: 10 groups, 20 fds, 100 loops, 100-byte messages, sockets. Sockets
 * need the improved kernel (the baseline has no socketpair, kernel/fd/socket-syscalls.ts), so
 * a socket run on the baseline fails with that reason; `pipe = 1` runs on both.
 *
 * Publishes `time_ns`, `messages` (groups * fds * fds * loops), `tasks`, and hackbench's lines
 * ("Running in process mode with ...", "Time: 0.077") under `text.stdout`.
 */
import type { Program } from '../abi/effects.ts';
import { EAFNOSUPPORT } from '../abi/errno.ts';
import { POLLIN } from '../abi/fd.ts';
import type { Guest } from '../abi/guest.ts';
import { AF_UNIX, SOCK_STREAM } from '../abi/socket.ts';
import { CLOCK_MONOTONIC, WEXITSTATUS, WIFEXITED } from '../abi/syscalls.ts';
import { errno } from '../libc/errno.ts';
import { fork } from '../libc/fork.ts';
import { close, pipe, pollEntries, read, write } from '../libc/io.ts';
import { malloc } from '../libc/malloc.ts';
import { waitpid } from '../libc/process.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { socketpair } from '../libc/socket.ts';
import { clock_gettime_ns } from '../libc/time.ts';
import { publish } from './common.ts';
import { type GuestProgram, intArg, type ProgramArgs } from './program.ts';

interface Setup {
  loops: number;
  datasize: number;
  /** The ready pipe's write end and the wake-up pipe's read end. */
  readyOut: number;
  wakeupIn: number;
}

interface Task {
  s: Setup;
  /** A receiver's channel read end, or a sender's receivers' write ends. */
  fds: number[];
  /** Messages a receiver reads (fds * loops); 0 for a sender. */
  packets: number;
}

/** Tell the main task we are ready, then wait for its one wake-up byte (hackbench ready()). */
function* ready(t: Guest, s: Setup, buf: number): Program<void> {
  if ((yield* write(t, s.readyOut, buf, 1)) !== 1) throw new Error('hackbench: CLIENT: ready write');
  const got = yield* pollEntries(t, buf + 8, [{ fd: s.wakeupIn, events: POLLIN }], -1);
  if (got === null) throw new Error(`hackbench: poll failed (errno ${errno(t)})`);
}

/** Moves `len` bytes at `buf` through `call`, retrying short transfers; fails on an error or EOF. */
function* whole(
  t: Guest,
  call: (at: number, left: number) => Program<number>,
  buf: number,
  len: number,
  what: string,
): Program<void> {
  for (let done = 0; done < len; ) {
    const n = yield* call(buf + done, len - done);
    if (n <= 0) throw new Error(`hackbench: ${what} returned ${n} (errno ${errno(t)})`);
    done += n;
  }
}

function* sender(t: Guest, raw: unknown): Program<number> {
  const { s, fds } = raw as Task;
  const buf = yield* malloc(t, s.datasize + 64);
  yield* ready(t, s, buf);
  for (let i = 0; i < s.loops; i++) {
    for (const fd of fds)
      yield* whole(t, (at, left) => write(t, fd, at, left), buf, s.datasize, 'SENDER: write');
  }
  return 0;
}

function* receiver(t: Guest, raw: unknown): Program<number> {
  const { s, fds, packets } = raw as Task;
  const buf = yield* malloc(t, s.datasize + 64);
  const fd = fds[0]!;
  yield* ready(t, s, buf);
  for (let i = 0; i < packets; i++)
    yield* whole(t, (at, left) => read(t, fd, at, left), buf, s.datasize, 'SERVER: read');
  return 0;
}

/** A receiver's channel: [its read end, the senders' write end]. */
function* channel(t: Guest, usePipe: boolean, sv: number): Program<[number, number]> {
  const rc = usePipe ? yield* pipe(t, sv) : yield* socketpair(t, AF_UNIX, SOCK_STREAM, 0, sv);
  if (rc !== 0) {
    const why =
      errno(t) === EAFNOSUPPORT
        ? 'EAFNOSUPPORT: this kernel has no AF_UNIX sockets; use pipe = 1'
        : `errno ${errno(t)}`;
    throw new Error(`hackbench: ${usePipe ? 'pipe' : 'socketpair'} failed (${why})`);
  }
  return [t.load32(sv), t.load32(sv + 4)];
}

interface Started {
  pids: number[];
  threads: pthread_t[];
}

/** Starts one task as a process or a thread. */
function* start(
  t: Guest,
  threads: boolean,
  entry: (g: Guest, raw: unknown) => Program<number>,
  task: Task,
  out: Started,
): Program<void> {
  if (threads) {
    const [err, th] = yield* pthread_create(t, null, entry, task);
    if (err !== 0) throw new Error(`hackbench: pthread_create failed (${err})`);
    out.threads.push(th);
    return;
  }
  const pid = yield* fork(t, (c) => entry(c, task));
  if (pid < 0) throw new Error(`hackbench: fork failed (errno ${errno(t)})`);
  out.pids.push(pid);
}

/** One group (hackbench group()): `fds` receivers, then `fds` senders writing to all of them. */
function* group(t: Guest, s: Setup, a: ProgramArgs, sv: number, out: Started): Program<void> {
  const n = intArg(a, 'fds');
  const threads = intArg(a, 'threads') === 1;
  const ends: number[] = [];
  const outs: number[] = [];
  for (let i = 0; i < n; i++) {
    const [rd, wr] = yield* channel(t, intArg(a, 'pipe') === 1, sv);
    ends.push(rd, wr);
    outs.push(wr);
    yield* start(t, threads, receiver, { s, fds: [rd], packets: n * s.loops }, out);
  }
  for (let i = 0; i < n; i++) yield* start(t, threads, sender, { s, fds: outs, packets: 0 }, out);
  // Processes have their copies; the parent closes its own (hackbench closes them per group).
  if (!threads) for (const fd of ends) yield* close(t, fd);
}

/** hackbench's output lines for a run of `totalNs`. */
export function hackbenchText(a: ProgramArgs, totalNs: number): string[] {
  const [groups, fds] = [intArg(a, 'groups'), intArg(a, 'fds')];
  const mode = intArg(a, 'threads') === 1 ? 'threaded' : 'process';
  const usec = Math.floor(totalNs / 1000);
  return [
    `Running in ${mode} mode with ${groups} groups using ${2 * fds} file descriptors each (== ${groups * 2 * fds} tasks)`,
    `Each sender will pass ${intArg(a, 'loops')} messages of ${intArg(a, 'datasize')} bytes`,
    `Time: ${Math.floor(usec / 1_000_000)}.${String(Math.floor((usec % 1_000_000) / 1000)).padStart(3, '0')}`,
  ];
}

function* reap(t: Guest, started: Started): Program<void> {
  for (const th of started.threads) yield* pthread_join(t, th);
  for (const pid of started.pids) {
    const [, status] = yield* waitpid(t, pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) !== 0) throw new Error('hackbench: a task failed');
  }
}

function* hackbenchMain(t: Guest, raw: unknown): Program<number> {
  const a = raw as ProgramArgs;
  const buf = yield* malloc(t, 64);
  const [readyIn, readyOut] = yield* channel(t, true, buf);
  const [wakeupIn, wakeupOut] = yield* channel(t, true, buf);
  const s: Setup = { loops: intArg(a, 'loops'), datasize: intArg(a, 'datasize'), readyOut, wakeupIn };
  const started: Started = { pids: [], threads: [] };
  for (let g = 0; g < intArg(a, 'groups'); g++) yield* group(t, s, a, buf, started);
  const tasks = started.pids.length + started.threads.length;
  for (let i = 0; i < tasks; i++) {
    if ((yield* read(t, readyIn, buf, 1)) !== 1) throw new Error('hackbench: ready read');
  }
  const t0 = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
  if ((yield* write(t, wakeupOut, buf, 1)) !== 1) throw new Error('hackbench: wakeup write');
  yield* reap(t, started);
  const timeNs = (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t0;
  const fds = intArg(a, 'fds');
  publish(t, 'hackbench', {
    timeNs,
    tasks,
    messages: intArg(a, 'groups') * fds * fds * s.loops,
    text: { stdout: hackbenchText(a, timeNs) },
  });
  return 0;
}

const flag = (name: string, doc: string) =>
  ({ name, kind: 'int', min: 0, max: 1, fallback: 0, doc }) as const;

export const HACKBENCH: GuestProgram = {
  image: { name: 'hackbench', main: hackbenchMain },
  doc: 'hackbench / perf bench sched messaging: groups of senders and receivers over sockets or pipes; Time',
  claims: ['SCHED-1', 'SCHED-2', 'SCHED-4'],
  params: [
    { name: 'groups', kind: 'int', min: 1, max: 64, fallback: 10, doc: 'groups (hackbench -g)' },
    { name: 'fds', kind: 'int', min: 1, max: 64, fallback: 20, doc: 'senders and receivers per group (-f)' },
    {
      name: 'loops',
      kind: 'int',
      min: 1,
      max: 100_000,
      fallback: 100,
      doc: 'messages each sender sends each receiver (-l)',
    },
    { name: 'datasize', kind: 'int', min: 1, max: 65_536, fallback: 100, doc: 'bytes a message (-s)' },
    flag('pipe', '1: pipes (hackbench -p); 0: AF_UNIX socketpairs (improved kernel only)'),
    flag('threads', '1: tasks are threads (-T); 0: processes (fork, -P)'),
  ],
  check: (a) => {
    const tasks = intArg(a, 'groups') * intArg(a, 'fds') * 2;
    if (tasks > 1000)
      return {
        param: 'groups',
        problem: `${tasks} tasks`,
        allowed:
          'at most 1000 tasks (groups * fds * 2; a threaded run then holds at most 1004 descriptors, under RLIMIT_NOFILE 1024)',
      };
    return null;
  },
};
