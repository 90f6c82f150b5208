/**
 * `forkcow` (issue 15; LIBC-9's fork): what fork costs with an eager copy (the baseline,
 * `[kernel] fork = "copy"`) and with copy-on-write (`fork = "cow"`, kernel/mm-options.ts).
 *
 * The main thread (CPU 0) maps `pages` private pages and writes each; `readers` threads, one per
 * CPU 1..readers, read them in a loop, so other CPUs hold the parent's translations when it
 * forks (the copy-on-write fork's shootdown reaches them). The child writes the first
 * `child_writes` pages and checks it read the parent's values; the parent waits for it, then
 * writes every page again and checks it still holds its own values.
 *
 * Publishes `fork_ns` (the parent's fork call), `child_saw_parent` and `parent_kept` (1 when every
 * page read as it should), `child_exit_code`.
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { CLOCK_MONOTONIC, MAP_SHARED, WEXITSTATUS } from '../abi/syscalls.ts';
import { fork } from '../libc/fork.ts';
import { pthread_join } from '../libc/join.ts';
import { pthread_create, type pthread_t } from '../libc/pthread.ts';
import { mmap_anonymous } from '../libc/sys.ts';
import { clock_gettime_ns } from '../libc/time.ts';
import { waitpid } from '../libc/process.ts';
import { attrOnCpus, type GuestProgram, intArg, type ProgramArgs } from './program.ts';
import { publish } from './common.ts';

const PAGE = 4096;
const READ_CYCLES = 3_000;
/** Byte offset of the sweep counter in the shared page. */
const SWEPT = 4;

interface Reader {
  buf: number;
  pages: number;
  /** A MAP_SHARED page: its word 0 is 1 when the readers stop; word 1 counts readers that swept once. */
  stop: number;
}

function* reader(t: Guest, raw: unknown): Program<number> {
  const { buf, pages, stop } = raw as Reader;
  let sum = 0;
  let sweeps = 0;
  while (t.load32(stop) === 0) {
    for (let p = 0; p < pages; p++) sum += t.load32(buf + p * PAGE);
    if (sweeps++ === 0) yield t.atomic(AtomicOp.FetchAdd, stop + SWEPT, 1);
    yield t.compute(READ_CYCLES);
  }
  return sum > 0 ? 0 : 1;
}

function* forkcowMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const pages = intArg(args, 'pages');
  const childWrites = Math.min(pages, intArg(args, 'child_writes'));
  const readers = intArg(args, 'readers');
  const buf = yield* mmap_anonymous(t, pages * PAGE);
  const stop = yield* mmap_anonymous(t, PAGE, MAP_SHARED);
  if (buf < 0 || stop < 0) throw new Error('forkcow: mmap failed');
  for (let p = 0; p < pages; p++) t.store32(buf + p * PAGE, 1000 + p);
  const threads: pthread_t[] = [];
  for (let i = 0; i < readers; i++) {
    const arg: Reader = { buf, pages, stop };
    const [err, th] = yield* pthread_create(t, attrOnCpus([1 + i]), reader, arg);
    if (err !== 0) throw new Error(`forkcow: pthread_create failed (${err})`);
    threads.push(th);
  }
  // Fork once every reader has read every page: their CPUs hold the parent's translations.
  while (t.load32(stop + SWEPT) < readers) yield t.compute(READ_CYCLES);
  const before = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
  const pid = yield* fork(t, function* (c) {
    let saw = 1;
    for (let p = 0; p < pages; p++) if (c.load32(buf + p * PAGE) !== 1000 + p) saw = 0;
    for (let p = 0; p < childWrites; p++) c.store32(buf + p * PAGE, 2000 + p);
    return saw === 1 ? 0 : 1;
  });
  if (pid < 0) throw new Error('forkcow: fork failed');
  const forkNs = (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - before;
  const [, status] = yield* waitpid(t, pid);
  let kept = 1;
  for (let p = 0; p < pages; p++) {
    if (t.load32(buf + p * PAGE) !== 1000 + p) kept = 0;
    t.store32(buf + p * PAGE, 3000 + p);
  }
  t.store32(stop, 1);
  for (const th of threads) yield* pthread_join(t, th);
  publish(t, 'forkcow', {
    forkNs,
    childSawParent: WEXITSTATUS(status) === 0 ? 1 : 0,
    parentKept: kept,
    childExitCode: WEXITSTATUS(status),
  });
  return 0;
}

export const FORKCOW: GuestProgram = {
  image: { name: 'forkcow', main: forkcowMain },
  doc: 'fork a process with written private pages and readers on other CPUs: eager copy vs copy-on-write',
  claims: ['LIBC-9'],
  params: [
    {
      name: 'pages',
      kind: 'int',
      min: 1,
      max: 4096,
      fallback: 64,
      doc: 'private pages written before the fork',
    },
    {
      name: 'child_writes',
      kind: 'int',
      min: 0,
      max: 4096,
      fallback: 8,
      doc: 'pages the child writes (copied under copy-on-write)',
    },
    {
      name: 'readers',
      kind: 'int',
      min: 0,
      max: 63,
      fallback: 1,
      doc: 'threads on CPUs 1.. reading the pages',
    },
  ],
};
