// The kernel's lock order (kernel/lock-order.ts; issue 13): the nesting rule, the CPU asking the
// check before it waits for a lock, a violation failing loudly, a try-lock exempt, and every
// built-in policy's locks ranked so kernel runs with invariants on are checked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrngDecider } from '../../src/engine/decider.ts';
import { Prng } from '../../src/engine/prng.ts';
import { Board } from '../../src/hw/board.ts';
import { resolveCostModel } from '../../src/hw/cost-model.ts';
import { FrameKind, makeFrame } from '../../src/hw/context.ts';
import type { CpuHooks } from '../../src/hw/cpu.ts';
import { HALT, type KernelGen, lock, tryLock, unlock } from '../../src/hw/effects.ts';
import { LOCK_UNRANKED, SpinLock } from '../../src/hw/spinlock.ts';
import { FutexTable } from '../../src/kernel/futex/table.ts';
import {
  LOCK_FUTEX_SHARD,
  LOCK_IDLE_CONTEXTS,
  LOCK_RUN_CONTEXTS,
  LOCK_RUN_QUEUE,
  LOCK_SWITCH,
  LockOrder,
  mayNest,
} from '../../src/kernel/lock-order.ts';
import { IdleContext } from '../../src/kernel/thread.ts';
import { SCHED_POLICIES } from '../../src/machine/config.ts';
import { defaultTopology } from '../../src/machine/defaults.ts';
import { bootGuest } from '../support/guest.ts';
import type { Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';

const shard = (i: number) => new SpinLock(`futex-shard${i}`, LOCK_FUTEX_SHARD, i);
const rq = (i: number) => new SpinLock(`rq${i}`, LOCK_RUN_QUEUE, i);

test('locks nest by rank, and within a rank in increasing subclass only', () => {
  const sw = new SpinLock('CONTEXT_SWITCH_LOCK', LOCK_SWITCH);
  const run = new SpinLock('RUN_CONTEXTS', LOCK_RUN_CONTEXTS);
  const idle = new SpinLock('IDLE_CONTEXTS', LOCK_IDLE_CONTEXTS);
  assert.equal(mayNest(shard(0), shard(1)), true, 'double_lock_hb: lower shard first');
  assert.equal(mayNest(shard(1), shard(0)), false);
  assert.equal(mayNest(shard(3), rq(0)), true, 'a futex wake queues on a run queue');
  assert.equal(mayNest(rq(0), shard(3)), false);
  assert.equal(mayNest(rq(1), rq(2)), true, 'double_rq_lock: lower CPU first');
  assert.equal(mayNest(rq(2), rq(1)), false);
  assert.equal(mayNest(rq(1), rq(1)), false);
  assert.equal(mayNest(sw, run), true);
  assert.equal(mayNest(run, idle), true, 'dwrr moves blocked contexts to IDLE_CONTEXTS under RUN_CONTEXTS');
  assert.equal(mayNest(idle, run), false);
  assert.equal(mayNest(rq(0), sw), false);
});

test('the checker refuses a lock outside the order', () => {
  assert.throws(() => new LockOrder([rq(0), new SpinLock('stray')]), /stray has no rank/);
  assert.equal(new SpinLock('stray').rank, LOCK_UNRANKED);
});

/** One CPU running `body` as kernel code with the check installed on `locks`; returns the error. */
function runKernel(locks: SpinLock[], body: () => KernelGen<void>): { error: unknown; order: LockOrder } {
  const board = new Board({
    topology: defaultTopology(1),
    cpuMhz: 3000,
    memoryBytes: 1 << 20,
    costs: resolveCostModel({}),
    decider: new PrngDecider(new Prng(1)),
  });
  const order = new LockOrder(locks);
  order.install();
  const cpu = board.cpus[0]!;
  cpu.hooks = { returnToUser: () => null } as unknown as CpuHooks;
  const idle = new IdleContext(0);
  idle.frames.push(makeFrame(body(), FrameKind.Kernel));
  cpu.current = idle;
  try {
    cpu.start();
    board.engine.run({ simNsMax: 1_000_000, eventsMax: 1_000 });
    return { error: null, order };
  } catch (error) {
    return { error, order };
  }
}

test('a CPU waiting for a lower-ranked lock while holding a higher one fails loudly', () => {
  const a = rq(0);
  const b = rq(1);
  const f = shard(0);
  const { error } = runKernel([a, b, f], function* () {
    yield lock(b);
    yield lock(f); // a futex shard under a run queue: the order inverted
    yield HALT;
  });
  assert.ok(error instanceof Error);
  const message = `${error.message} ${String((error.cause as Error | undefined)?.message)}`;
  assert.match(
    message,
    /lock-order: cpu 0 waits for futex-shard0 \(futex shard, rank 1\.0\) while holding rq1/,
  );
});

test('in order, and a try-lock out of order, pass the check', () => {
  const a = rq(0);
  const b = rq(1);
  const { error, order } = runKernel([a, b], function* () {
    yield lock(a);
    yield lock(b);
    yield unlock(b);
    yield unlock(a);
    yield lock(b);
    const got = (yield tryLock(a)) as boolean; // an idle steal's try-lock: never waits
    assert.equal(got, true);
    yield unlock(a);
    yield unlock(b);
    yield HALT;
  });
  assert.equal(error, null);
  assert.equal(order.checked, 3, 'the three blocking acquisitions were checked, the try-lock not');
});

test('every policy ranks its locks and the futex table ranks its shards', () => {
  const table = new FutexTable({ mode: 'linux', shards: 4 });
  assert.deepEqual(
    table.locks().map((l) => [l.rank, l.subclass]),
    [0, 1, 2, 3].map((i) => [LOCK_FUTEX_SHARD, i]),
  );
  for (const policy of SCHED_POLICIES) {
    const machine = bootGuest(
      function* (_t: Guest): Program<number> {
        return 0;
      },
      null,
      { policy, cpus: 2 },
    );
    const locks = machine.kernel.policy.locks();
    assert.ok(locks.length >= 2);
    for (const l of locks) {
      assert.notEqual(l.rank, LOCK_UNRANKED, `${policy}: ${l.name}`);
      assert.notEqual(l.orderCheck, null, `${policy}: the check is on with invariants on`);
    }
  }
});
