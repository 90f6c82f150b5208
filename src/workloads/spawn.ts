/**
 * `spawn` (SCHED-12, issue 24): process creation as the parent's memory grows. The parent maps
 * `mapped_mib` MiB of private memory and writes a word in each page of its first `touch_mib`
 * MiB, then makes `spawns` children, one at a time, each running `/bin/spawn-child` (which
 * exits 0 at once), with `method = "fork-exec"` (fork, then execve in the child: the fork copies
 * every private page, kernel/clone.ts) or `method = "posix_spawn"` (the libc's posix_spawn:
 * vfork-style on a kernel with `[kernel] spawn = "vfork"` and the improved libc, no copy;
 * otherwise fork then exec as well, libc/spawn.ts).
 *
 * Memory is sparse (hw/memory.ts): a mapped page costs the host nothing until written, and
 * the eager fork copies mapped pages whether or not they were written (each charged
 * pageCopyNs + pageMapNs), so the model's figures do not depend on `touch_mib`; it bounds how
 * much host memory a run takes (a copy-on-write fork would copy only the touched pages).
 *
 * Publishes `spawn_p50_ns` / `spawn_max_ns` (the parent's fork or posix_spawn call),
 * `roundtrip_p50_ns` (from the call until the child is reaped) and `mapped_mib`.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { CLOCK_MONOTONIC, WEXITSTATUS } from '../abi/syscalls.ts';
import { fork } from '../libc/fork.ts';
import { execve, waitpid } from '../libc/process.ts';
import { posix_spawn, SPAWN_ERROR_STATUS } from '../libc/spawn.ts';
import { mmap_anonymous } from '../libc/sys.ts';
import { clock_gettime_ns } from '../libc/time.ts';
import { latencySummary, publish } from './common.ts';
import { type GuestProgram, intArg, type ProgramArgs, stringArg } from './program.ts';

const MIB = 1024 * 1024;
const PAGE_BYTES = 4096;
export const SPAWN_CHILD_PATH = '/bin/spawn-child';

/** The program every spawn runs: exits at once with 0. */
export const SPAWN_CHILD: ProgramImage = {
  name: 'spawn-child',
  main: function* (): Program<number> {
    return 0;
  },
};

/** One child by `method`: [the parent's call ns, call-to-reaped ns]. */
function* spawnOnce(t: Guest, viaPosixSpawn: boolean): Program<[number, number]> {
  const before = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
  let pid: number;
  if (viaPosixSpawn) {
    const [err, child] = yield* posix_spawn(t, SPAWN_CHILD_PATH, null, null, 0);
    if (err !== 0) throw new Error(`spawn: posix_spawn failed (${err})`);
    pid = child;
  } else {
    pid = yield* fork(t, function* (c) {
      yield* execve(c, SPAWN_CHILD_PATH, 0);
      return SPAWN_ERROR_STATUS;
    });
    if (pid < 0) throw new Error('spawn: fork failed');
  }
  const called = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
  const [reaped, status] = yield* waitpid(t, pid);
  if (reaped !== pid || WEXITSTATUS(status) !== 0)
    throw new Error(`spawn: child exited ${WEXITSTATUS(status)}`);
  return [called - before, (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - before];
}

function* spawnMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const viaPosixSpawn = stringArg(args, 'method') === 'posix_spawn';
  const mappedMib = intArg(args, 'mapped_mib');
  if (mappedMib > 0) {
    const base = yield* mmap_anonymous(t, mappedMib * MIB);
    if (base < 0) throw new Error(`spawn: cannot map ${mappedMib} MiB (raise limits.memory_mib)`);
    const touchBytes = Math.min(mappedMib, intArg(args, 'touch_mib')) * MIB;
    for (let off = 0; off < touchBytes; off += PAGE_BYTES) t.store32(base + off, off);
  }
  const callsNs: number[] = [];
  const roundtripsNs: number[] = [];
  for (let i = 0; i < intArg(args, 'spawns'); i++) {
    const [callNs, roundtripNs] = yield* spawnOnce(t, viaPosixSpawn);
    callsNs.push(callNs);
    roundtripsNs.push(roundtripNs);
  }
  const calls = latencySummary(callsNs, [50], false);
  const roundtrips = latencySummary(roundtripsNs, [50], false);
  publish(t, 'spawn', {
    spawnP50Ns: calls.p50Ns,
    spawnMaxNs: calls.maxNs,
    roundtripP50Ns: roundtrips.p50Ns,
    mappedMib,
  });
  return 0;
}

export const SPAWN: GuestProgram = {
  image: { name: 'spawn', main: spawnMain },
  doc: 'fork+exec against posix_spawn from a parent with a large address space (SCHED-12)',
  claims: ['SCHED-12'],
  params: [
    {
      name: 'method',
      kind: 'choice',
      choices: ['fork-exec', 'posix_spawn'],
      fallback: 'posix_spawn',
      doc: 'fork then execve, or posix_spawn',
    },
    {
      name: 'mapped_mib',
      kind: 'int',
      min: 0,
      max: 65_536,
      fallback: 64,
      doc: 'private memory the parent maps',
    },
    {
      name: 'touch_mib',
      kind: 'int',
      min: 0,
      max: 1_024,
      fallback: 64,
      doc: 'of it, MiB the parent writes (a word a page)',
    },
    { name: 'spawns', kind: 'int', min: 1, max: 1_000, fallback: 4, doc: 'children, one after another' },
  ],
};
