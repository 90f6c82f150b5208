/**
 * `sched-pipe`: `perf bench sched pipe` (Ingo Molnar's pipe-test-1m, ported to perf;
 * tools/perf/bench/sched-pipe.c). Two tasks and two pipes: task 0 writes an int to pipe 1 and
 * reads one from pipe 2, task 1 reads pipe 1 and writes pipe 2, `loops` times each, so every
 * loop is one full context-switch round trip through the pipe wait queues (kernel/fd/pipe.ts).
 * The tasks are two processes (fork, as perf by default) or two threads of one (`threaded = 1`,
 * perf's -T/--threaded). Parameters as perf's: `loops` (-l/--loop, perf's default 1000000).
 *
 * Output as perf prints it (BENCH_FORMAT_DEFAULT): the total time from before the first loop
 * to after the last, `usecs/op` = total µs / loops and `ops/sec` = loops / total s (one "op" is
 * one round trip), published as `total_ns`, `ns_per_op`, `ops_per_sec`, and the lines of perf's stdout under `text.stdout`.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { CLOCK_MONOTONIC, WEXITSTATUS } from '../abi/syscalls.ts';
import { fork } from '../libc/fork.ts';
import { pipe, read, write } from '../libc/io.ts';
import { malloc } from '../libc/malloc.ts';
import { waitpid } from '../libc/process.ts';
import { pthread_create, pthread_join } from '../libc/pthread.ts';
import { clock_gettime_ns } from '../libc/time.ts';
import { publish } from './common.ts';
import { type GuestProgram, intArg, type ProgramArgs } from './program.ts';

const INT_BYTES = 4;

interface Side {
  /** 0: writes first (perf's td->nr == 1 side and the parent); 1: reads first. */
  readsFirst: boolean;
  readFd: number;
  writeFd: number;
  loops: number;
}

/** One side's loops; fails loudly on a short read or write (perf BUG_ONs them). */
function* pingSide(t: Guest, s: Side): Program<number> {
  const m = yield* malloc(t, INT_BYTES);
  for (let i = 0; i < s.loops; i++) {
    if (s.readsFirst) yield* exact(t, read(t, s.readFd, m, INT_BYTES), 'read');
    yield* exact(t, write(t, s.writeFd, m, INT_BYTES), 'write');
    if (!s.readsFirst) yield* exact(t, read(t, s.readFd, m, INT_BYTES), 'read');
  }
  return 0;
}

function* exact(t: Guest, call: Program<number>, what: string): Program<void> {
  const n = yield* call;
  if (n !== INT_BYTES) throw new Error(`sched-pipe: ${what} returned ${n}, not ${INT_BYTES}`);
  void t;
}

/** Two pipes: [read end of 1, write end of 1, read end of 2, write end of 2]. */
function* twoPipes(t: Guest): Program<number[]> {
  const fds = yield* malloc(t, 4 * INT_BYTES);
  if ((yield* pipe(t, fds)) !== 0 || (yield* pipe(t, fds + 2 * INT_BYTES)) !== 0) {
    throw new Error('sched-pipe: pipe() failed');
  }
  return [0, 1, 2, 3].map((i) => t.load32(fds + i * INT_BYTES));
}

/** The lines perf prints for `loops` round trips in `totalNs` (sched-pipe.c, BENCH_FORMAT_DEFAULT). */
export function schedPipeText(loops: number, threaded: boolean, totalNs: number): string[] {
  const usec = Math.floor(totalNs / 1000);
  const sec = Math.floor(usec / 1_000_000);
  const msec = Math.floor((usec % 1_000_000) / 1000);
  return [
    "# Running 'sched/pipe' benchmark:",
    `# Executed ${loops} pipe operations between two ${threaded ? 'threads' : 'processes'}`,
    '',
    `${'Total time'.padStart(14)}: ${sec}.${String(msec).padStart(3, '0')} [sec]`,
    '',
    `${(usec / loops).toFixed(6).padStart(14)} usecs/op`,
    `${String(Math.trunc(loops / (usec / 1_000_000))).padStart(14)} ops/sec`,
  ];
}

function* schedPipeMain(t: Guest, raw: unknown): Program<number> {
  const a = raw as ProgramArgs;
  const loops = intArg(a, 'loops');
  const threaded = intArg(a, 'threaded') === 1;
  const [r1, w1, r2, w2] = (yield* twoPipes(t)) as [number, number, number, number];
  const writer: Side = { readsFirst: false, readFd: r2, writeFd: w1, loops };
  const reader: Side = { readsFirst: true, readFd: r1, writeFd: w2, loops };
  const t0 = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
  if (threaded) {
    const [e0, th0] = yield* pthread_create(t, null, (g, s) => pingSide(g, s as Side), reader);
    const [e1, th1] = yield* pthread_create(t, null, (g, s) => pingSide(g, s as Side), writer);
    if (e0 !== 0 || e1 !== 0) throw new Error('sched-pipe: pthread_create failed');
    yield* pthread_join(t, th0);
    yield* pthread_join(t, th1);
  } else {
    const pid = yield* fork(t, (c) => pingSide(c, reader));
    if (pid < 0) throw new Error('sched-pipe: fork failed');
    yield* pingSide(t, writer);
    const [, status] = yield* waitpid(t, pid);
    if (WEXITSTATUS(status) !== 0) throw new Error('sched-pipe: the child failed');
  }
  const totalNs = (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t0;
  publish(t, 'sched-pipe', {
    loops,
    totalNs,
    nsPerOp: Math.round(totalNs / loops),
    opsPerSec: Math.trunc(loops / (totalNs / 1e9)),
    text: { stdout: schedPipeText(loops, threaded, totalNs) },
  });
  return 0;
}

export const SCHED_PIPE: GuestProgram = {
  image: { name: 'sched-pipe', main: schedPipeMain },
  doc: 'perf bench sched pipe: two tasks ping-pong an int over two pipes; total time, usecs/op, ops/sec',
  claims: ['SCHED-1', 'SCHED-2'],
  params: [
    {
      name: 'loops',
      aliases: ['loop'],
      kind: 'int',
      min: 1,
      max: 10_000_000,
      fallback: 1_000_000,
      doc: 'round trips (perf -l/--loop)',
    },
    {
      name: 'threaded',
      kind: 'int',
      min: 0,
      max: 1,
      fallback: 0,
      doc: '1: two threads of one process (perf -T); 0: two processes (fork)',
    },
  ],
};
