/**
 * `primes` on the capring personality (issue 20, RING-2, RING-6): the same segmented prime count,
 * partition and checksum as primes.ts, with every kernel service a ring call (libc/capring/):
 * the results page from the memory capability, worker processes from the process capability or
 * worker threads from the thread capability, the clock from the timer capability. Process mode
 * puts each worker in its own process (so its own ring); thread mode puts them in the parent's,
 * where `[kernel] rings` decides whether they share one ring (process) or have one each (thread).
 * `sleep_ns` makes each worker sleep on its ring after every segment (RING-2's waits).
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { WEXITSTATUS, WIFEXITED } from '../abi/syscalls.ts';
import { capSetup } from '../libc/capring/call.ts';
import {
  type CapThreadRef,
  capClockNs,
  capMap,
  capSleepNs,
  capSpawn,
  capThreadCreate,
  capThreadJoin,
  capWait,
} from '../libc/capring/thread.ts';
import { publish } from './common.ts';
import {
  collect,
  countSegments,
  type PrimesArgs,
  SLOT_WORDS,
  storeResult,
  type WorkerArgs,
} from './primes.ts';

/**
 * A worker: its segments, and with `sleepNs` a sleep on its ring after each (a Timeout operation,
 * issue 20): the wait inside the timed section that RING-2's one-waiter rule is about.
 */
function* capWorker(t: Guest, raw: unknown): Program<number> {
  const a = raw as WorkerArgs;
  const sleepNs = a.sleepNs ?? 0;
  const nap = function* (): Program<void> {
    const r = yield* capSleepNs(t, sleepNs);
    if (r < 0) throw new Error(`primes-worker: ring sleep refused (${r})`);
  };
  const startNs = yield* capClockNs(t);
  const tally = yield* countSegments(t, a, sleepNs > 0 ? nap : null);
  const endNs = yield* capClockNs(t);
  storeResult(t, a, tally, startNs, endNs);
  return 0;
}

/** A worker process's main: its ring first. */
function* capWorkerProcess(t: Guest, raw: unknown): Program<number> {
  const r = yield* capSetup(t);
  if (r < 0) throw new Error(`primes-worker: cap_enter setup failed (${r})`);
  return yield* capWorker(t, raw);
}

export function* primesCapringMain(t: Guest, a: PrimesArgs): Program<number> {
  const r = yield* capSetup(t);
  if (r < 0) throw new Error(`primes: cap_enter setup failed (${r})`);
  const results = yield* capMap(t, a.workers * SLOT_WORDS * 4, true);
  if (results < 0) throw new Error('primes: cannot map the results page');
  const t0 = yield* capClockNs(t);
  let failed = 0;
  if (a.mode === 'process') {
    const pids: number[] = [];
    for (let index = 0; index < a.workers; index++) {
      const pid = yield* capSpawn(t, 'primes-worker', capWorkerProcess, { ...a, index, results });
      if (pid < 0) throw new Error(`primes: spawn failed (${pid})`);
      pids.push(pid);
    }
    for (const pid of pids) {
      const [reaped, status] = yield* capWait(t, pid);
      if (reaped !== pid || !WIFEXITED(status) || WEXITSTATUS(status) !== 0) failed++;
    }
  } else {
    const refs: CapThreadRef[] = [];
    for (let index = 0; index < a.workers; index++) {
      const ref = yield* capThreadCreate(t, capWorker, { ...a, index, results } satisfies WorkerArgs);
      if (typeof ref === 'number') throw new Error(`primes: thread create failed (${ref})`);
      refs.push(ref);
    }
    for (const ref of refs) {
      const [err, code] = yield* capThreadJoin(t, ref);
      if (err !== 0 || code !== 0) failed++;
    }
  }
  const t1 = yield* capClockNs(t);
  publish(t, 'primes', collect(t, a, results, t1 - t0, failed));
  return failed === 0 ? 0 : 1;
}
