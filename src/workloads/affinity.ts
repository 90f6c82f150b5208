/**
 * `affinity` (SCHED-8): threads whose CPU masks keep changing. `self` threads each pick a new
 * random mask every round (a guest-side LCG seeded by their index), set it on themselves, read
 * it back, compute a burst, and ask getcpu where they ran: a CPU outside the mask they set is a
 * violation. `pinned` threads only compute, while the main thread re-masks them from outside
 * (one every `period_us`). First the main thread checks the calls' errors: EINVAL for a mask
 * with no online CPU, ESRCH for an unknown tid, EFAULT for an unmapped mask, EINVAL for a
 * getaffinity buffer that is not a whole number of longs.
 */
import type { Program } from '../abi/effects.ts';
import { EFAULT, EINVAL, ESRCH } from '../abi/errno.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import {
  CPU_SET,
  CPU_SET_BYTES,
  CPU_ZERO,
  cpu_set_alloc,
  sched_getaffinity,
  sched_getaffinity_cpus,
  sched_getcpu,
  sched_setaffinity,
  sched_setaffinity_cpus,
} from '../libc/sched.ts';
import { sleep_ns } from '../libc/time.ts';
import { errno } from '../libc/errno.ts';
import { attrOnCpus, type GuestProgram, intArg, type ProgramArgs } from './program.ts';
import { CHUNK_CYCLES_PARAM, NS_PER_US, publish } from './common.ts';

interface Shared {
  online: number[];
  rounds: number;
  chunkCycles: number;
  violations: number;
  readbackMismatches: number;
  setFailures: number;
}

/** A 31-bit LCG (glibc's TYPE_0 rand constants): deterministic guest-side randomness. */
function lcg(state: number): number {
  return (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
}

/** A non-empty random subset of `online`. */
function randomMask(state: number, online: readonly number[]): number[] {
  const mask = online.filter((_, i) => ((state >>> (i % 24)) & 1) === 1);
  return mask.length > 0 ? mask : [online[state % online.length]!];
}

function* selfWorker(t: Guest, raw: unknown): Program<number> {
  const { shared, index } = raw as { shared: Shared; index: number };
  let state = lcg(index + 1);
  for (let r = 0; r < shared.rounds; r++) {
    state = lcg(state);
    const mask = randomMask(state >>> 4, shared.online);
    if ((yield* sched_setaffinity_cpus(t, 0, mask)) !== 0) shared.setFailures++;
    const back = yield* sched_getaffinity_cpus(t, 0);
    if (typeof back === 'number' || back.join() !== mask.join()) shared.readbackMismatches++;
    const before = yield* sched_getcpu(t);
    yield t.compute(shared.chunkCycles);
    const after = yield* sched_getcpu(t);
    if (!mask.includes(before)) shared.violations++;
    if (!mask.includes(after)) shared.violations++;
  }
  return 0;
}

function* pinnedWorker(t: Guest, raw: unknown): Program<number> {
  const { shared } = raw as { shared: Shared };
  for (let r = 0; r < shared.rounds; r++) yield t.compute(shared.chunkCycles);
  return 0;
}

/** Each error case of the two calls, in order; returns how many answered as Linux does. */
function* errnoChecks(t: Guest, online: readonly number[]): Program<number> {
  const set = yield* cpu_set_alloc(t);
  let ok = 0;
  const failed = (r: number, err: number) => r === -1 && errno(t) === err;
  CPU_ZERO(t, set);
  if (failed(yield* sched_setaffinity(t, 0, CPU_SET_BYTES, set), EINVAL)) ok++; // empty mask
  CPU_SET(t, online.length, set); // the first CPU id past the online ones
  if (failed(yield* sched_setaffinity(t, 0, CPU_SET_BYTES, set), EINVAL)) ok++;
  CPU_ZERO(t, set);
  CPU_SET(t, 0, set);
  if (failed(yield* sched_setaffinity(t, 1_000_000, CPU_SET_BYTES, set), ESRCH)) ok++;
  if (failed(yield* sched_setaffinity(t, 0, CPU_SET_BYTES, 8), EFAULT)) ok++; // page 0 is unmapped
  if (failed(yield* sched_getaffinity(t, 0, 4, set), EINVAL)) ok++; // not a whole number of longs
  if (failed(yield* sched_getaffinity(t, 0, CPU_SET_BYTES, 8), EFAULT)) ok++;
  return ok;
}

function* affinityMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const online = yield* sched_getaffinity_cpus(t, 0);
  if (typeof online === 'number') throw new Error(`affinity: sched_getaffinity failed (${online})`);
  const errnoOk = yield* errnoChecks(t, online);
  const shared: Shared = {
    online,
    rounds: intArg(args, 'rounds'),
    chunkCycles: intArg(args, 'chunk_cycles'),
    violations: 0,
    readbackMismatches: 0,
    setFailures: 0,
  };
  const selfHandles: pthread_t[] = [];
  const pinnedTids: number[] = [];
  const pinnedHandles: pthread_t[] = [];
  for (let i = 0; i < intArg(args, 'self'); i++) {
    const [err, th] = yield* pthread_create(t, null, selfWorker, { shared, index: i });
    if (err !== 0) throw new Error(`affinity: pthread_create failed (${err})`);
    selfHandles.push(th);
  }
  for (let i = 0; i < intArg(args, 'pinned'); i++) {
    const [err, th] = yield* pthread_create(t, attrOnCpus([online[i % online.length]!]), pinnedWorker, {
      shared,
    });
    if (err !== 0) throw new Error(`affinity: pthread_create failed (${err})`);
    pinnedHandles.push(th);
    pinnedTids.push(t.load32(th));
  }
  // Re-mask the pinned threads from outside while they run (queued or running).
  let state = lcg(1000);
  let remasks = 0;
  for (let r = 0; r < intArg(args, 'remasks') && pinnedTids.length > 0; r++) {
    state = lcg(state);
    const tid = pinnedTids[r % pinnedTids.length]!;
    const result = yield* sched_setaffinity_cpus(t, tid, randomMask(state >>> 4, online));
    if (result === 0) remasks++;
    else if (errno(t) !== ESRCH) shared.setFailures++; // ESRCH: it already finished
    yield* sleep_ns(t, intArg(args, 'period_us') * NS_PER_US);
  }
  for (const th of [...selfHandles, ...pinnedHandles]) yield* pthread_join(t, th);
  publish(t, 'affinity', {
    violations: shared.violations,
    readbackMismatches: shared.readbackMismatches,
    setFailures: shared.setFailures,
    errnoOk,
    remasks,
  });
  return 0;
}

export const AFFINITY: GuestProgram = {
  image: { name: 'affinity', main: affinityMain } satisfies ProgramImage,
  doc: 'threads whose CPU masks keep changing, from inside and outside; getcpu checks each mask',
  claims: ['SCHED-8'],
  params: [
    { name: 'self', kind: 'int', min: 0, max: 256, doc: 'threads that re-mask themselves', fallback: 4 },
    { name: 'pinned', kind: 'int', min: 0, max: 256, doc: 'threads the main thread re-masks', fallback: 4 },
    { name: 'rounds', kind: 'int', min: 1, max: 100_000, doc: 'bursts per thread', fallback: 50 },
    CHUNK_CYCLES_PARAM,
    { name: 'remasks', kind: 'int', min: 0, max: 100_000, doc: 'masks the main thread sets', fallback: 40 },
    { name: 'period_us', kind: 'int', min: 1, max: 1_000_000, doc: 'time between them', fallback: 500 },
  ],
};
