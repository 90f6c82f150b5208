/**
 * CPU shares of CPU-bound threads at chosen priorities. The workers are created, block on a start
 * word, get their priorities from the harness while blocked (there is no setpriority syscall yet),
 * and are released together; each worker's CPU time is sampled at the two ends of a window.
 */
import assert from 'node:assert/strict';
import { AtomicOp, type Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import type { SchedPolicyName } from '../../src/machine/config.ts';
import type { Thread } from '../../src/kernel/thread.ts';
import { ThreadState } from '../../src/kernel/thread.ts';
import { pthread_create } from '../../src/libc/pthread.ts';
import { futex_wait, futex_wake, mmap_anonymous } from '../../src/libc/sys.ts';
import { sleep_ns } from '../../src/libc/time.ts';
import { atTime, bootGuest, type GuestMachine } from './guest.ts';

export interface ShareOptions {
  policy: SchedPolicyName;
  /** One worker per entry, at that Redox prio (nice + 20). */
  prios: number[];
  cpus?: number;
  windowStartNs: number;
  windowEndNs: number;
  /** Cycles per compute effect of a worker (default 300,000: 100 µs at 3 GHz). */
  chunkCycles?: number;
  seed?: number;
}

export interface ShareResult {
  machine: GuestMachine;
  /** Each worker's tid, in `prios` order. */
  tids: number[];
  /** Each worker's CPU time inside the window, in `prios` order. */
  cpuNs: number[];
  /** Context switches on all CPUs inside the window. */
  switchesInWindow: number;
  /** The CPU each worker first ran on (read while they are all blocked on the start word). */
  firstCpu: number[];
}

/** When the harness sets the priorities: the workers are all blocked on the start word by then. */
const SET_PRIOS_AT_NS = 1_000_000;
const RELEASE_AT_NS = 2_000_000;

export function measureShares(o: ShareOptions): ShareResult {
  const tids: number[] = [];
  const chunk = o.chunkCycles ?? 300_000;

  function* worker(t: Guest, arg: unknown): Program<number> {
    const { start, index } = arg as { start: number; index: number };
    tids[index] = t.tid;
    while (((yield t.atomic(AtomicOp.Load, start)) as number) === 0) yield* futex_wait(t, start, 0);
    for (;;) yield t.compute(chunk);
  }

  function* main(t: Guest): Program<number> {
    const start = yield* mmap_anonymous(t, 4096);
    for (let index = 0; index < o.prios.length; index++) {
      const [err] = yield* pthread_create(t, null, worker, { start, index });
      assert.equal(err, 0);
    }
    yield* sleep_ns(t, RELEASE_AT_NS);
    yield t.atomic(AtomicOp.Store, start, 1);
    yield* futex_wake(t, start, 0x7fffffff);
    yield* futex_wait(t, start + 4, 0); // park forever: the run ends at its time limit
    return 0;
  }

  const machine = bootGuest(main, null, { policy: o.policy, cpus: o.cpus ?? 1, seed: o.seed ?? 1 });
  const workers = (): Thread[] => tids.map((tid) => machine.kernel.threads.get(tid)!);
  atTime(machine, SET_PRIOS_AT_NS, () => {
    assert.equal(tids.length, o.prios.length, 'every worker was created');
    firstCpu = workers().map((th) => th.lastCpu);
    workers().forEach((th, i) => {
      assert.equal(th.state, ThreadState.Blocked, `worker ${th.id} is blocked when its prio is set`);
      th.prio = o.prios[i]!;
    });
  });
  const switches = (): number => machine.kernel.stats.switches.reduce((sum, n) => sum + n, 0);
  let switchesBefore = 0;
  let switchesAfter = 0;
  let before: number[] = [];
  let after: number[] = [];
  let firstCpu: number[] = [];
  atTime(machine, o.windowStartNs, () => {
    before = workers().map((th) => th.cpuTimeNs);
    switchesBefore = switches();
  });
  atTime(machine, o.windowEndNs, () => {
    after = workers().map((th) => th.cpuTimeNs);
    switchesAfter = switches();
  });
  const reason = machine.board.engine.run({ simNsMax: o.windowEndNs, eventsMax: 5_000_000 });
  assert.equal(reason, 'sim-time-limit');
  assert.equal(machine.kernel.stopReason, null);
  return {
    machine,
    tids,
    cpuNs: after.map((a, i) => a - before[i]!),
    switchesInWindow: switchesAfter - switchesBefore,
    firstCpu,
  };
}

/** Each entry's fraction of the sum. */
export function fractions(values: readonly number[]): number[] {
  const total = values.reduce((sum, v) => sum + v, 0);
  return values.map((v) => v / total);
}
