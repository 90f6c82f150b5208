// The Redox-derived policies' own invariant checks (dwrr-invariants.ts; issue 13): they hold on a
// real run, and each one fails on the corruption it is there to catch. A hook at 10 ms reaches
// into the policy's lists while one thread spins, one sleeps, and the main thread joins them.
import { sleep_ns } from '../../../src/libc/time.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import { checkKernelInvariants } from '../../../src/kernel/invariants.ts';
import type { DwrrPolicy } from '../../../src/kernel/sched/dwrr.ts';
import type { RedbearEntity, RedbearPolicy } from '../../../src/kernel/sched/redbear.ts';
import { type Thread, ThreadState } from '../../../src/kernel/thread.ts';
import { pthread_create, pthread_join, type pthread_t } from '../../../src/libc/pthread.ts';
import { atTime, bootGuest, type GuestMachine } from '../../support/guest.ts';

/** Main starts two spinners (40 ms each) and a sleeper (50 ms), then joins all three. */
function* main(t: Guest): Program<number> {
  const threads: pthread_t[] = [];
  const bodies = [spin, spin, sleep];
  for (const body of bodies) {
    const [err, th] = yield* pthread_create(t, null, body, null);
    assert.equal(err, 0);
    threads.push(th!);
  }
  for (const th of threads) yield* pthread_join(t, th);
  return 0;
}

function* spin(g: Guest): Program<number> {
  for (let i = 0; i < 400; i++) yield g.compute(300_000); // 100 µs each at 3 GHz
  return 0;
}

function* sleep(g: Guest): Program<number> {
  yield* sleep_ns(g, 50_000_000);
  return 0;
}

/** Runs `main` on one CPU under `policy`, calling `probe` at 10 ms with every lock free. */
function runWithProbe(policy: 'dwrr' | 'redbear', probe: (m: GuestMachine) => void): GuestMachine {
  const machine = bootGuest(main, null, { policy, cpus: 1 });
  let probed = false;
  atTime(machine, 10_000_000, () => {
    for (const l of machine.kernel.policy.locks()) assert.equal(l.held, false, `${l.name} is free at 10 ms`);
    probe(machine);
    probed = true;
  });
  machine.board.engine.run({ simNsMax: 2_000_000_000, eventsMax: 2_000_000 });
  assert.equal(probed, true);
  assert.equal(machine.kernel.finished, true, 'the run completed with the checks on after every event');
  return machine;
}

/** `check` throws an invariant error matching `pattern` while `corrupt` is applied, and passes after `undo`. */
function expectViolation(check: () => void, corrupt: () => void, undo: () => void, pattern: RegExp): void {
  check();
  corrupt();
  assert.throws(check, pattern);
  undo();
  check();
}

/** The first context in `lists` in `state` and not running. */
function parked(lists: readonly (readonly Thread[])[], state: ThreadState): Thread {
  for (const list of lists) for (const t of list) if (!t.running && t.state === state) return t;
  throw new Error(`no ${ThreadState[state]} context is parked there`);
}

test('dwrr: a context in two lists, or in none, fails the check', () => {
  runWithProbe('dwrr', (m) => {
    const p = m.kernel.policy as DwrrPolicy;
    const check = () => checkKernelInvariants(m.kernel);
    const sleeper = parked([p.idleContexts], ThreadState.Blocked);
    expectViolation(
      check,
      () => p.set[20]!.push(sleeper),
      () => p.set[20]!.pop(),
      new RegExp(`context ${sleeper.id} is in IDLE_CONTEXTS and in RUN_CONTEXTS\\[20\\]`),
    );
    const index = p.idleContexts.indexOf(sleeper);
    expectViolation(
      check,
      () => p.idleContexts.splice(index, 1),
      () => p.idleContexts.splice(index, 0, sleeper),
      new RegExp(`blocked context ${sleeper.id} is in no list of the policy`, 'i'),
    );
  });
});

test('redbear: RUN_CONTEXTS stays empty, queued contexts keep their RR tick count at 0', () => {
  runWithProbe('redbear', (m) => {
    const p = m.kernel.policy as RedbearPolicy;
    const check = () => checkKernelInvariants(m.kernel);
    const queued = parked(p.runQueues(0), ThreadState.Runnable); // the spinner waiting for the CPU
    const fifo = p.runQueues(0).find((q) => q.includes(queued)) as Thread[];
    const index = fifo.indexOf(queued);
    expectViolation(
      check,
      () => fifo.splice(index, 1),
      () => fifo.splice(index, 0, queued),
      new RegExp(`runnable context ${queued.id} is in no list of the policy`, 'i'),
    );
    const ghost = p.globalSet[7]!;
    const sleeper = parked([p.idleContexts], ThreadState.Blocked);
    expectViolation(
      check,
      () => ghost.push(sleeper),
      () => ghost.pop(),
      /is in IDLE_CONTEXTS and in RUN_CONTEXTS\[7\]/,
    );
    const e = queued.sched as RedbearEntity;
    expectViolation(
      check,
      () => {
        e.rrTicksConsumed = 1;
      },
      () => {
        e.rrTicksConsumed = 0;
      },
      /counted RR ticks/,
    );
  });
});
