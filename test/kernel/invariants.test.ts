// The kernel's own invariants (kernel/invariants.ts; issue 13): they hold after every event of a
// run with futex waiters parked, and each fails on the corruption it is there to catch. A hook
// at 10 ms reaches into the futex table while two threads wait on one word.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { PiState } from '../../src/kernel/futex/pi.ts';
import { type FutexMode, type FutexWaiter, newWaiter } from '../../src/kernel/futex/table.ts';
import { checkKernelInvariants } from '../../src/kernel/invariants.ts';
import { ThreadState } from '../../src/kernel/thread.ts';
import { pthread_create, pthread_join, type pthread_t } from '../../src/libc/pthread.ts';
import { futex_wait, futex_wake, mmap_anonymous } from '../../src/libc/sys.ts';
import { sleep_ns, timespec_ns } from '../../src/libc/time.ts';
import { atTime, bootGuest, type GuestMachine } from '../support/guest.ts';

const ETIMEDOUT = 110;

/** Each waiter first times out `staleWaits` times (1 ms each), then waits until woken. */
function program(staleWaits: number) {
  function* waiter(t: Guest, word: unknown): Program<number> {
    for (let i = 0; i < staleWaits; i++)
      assert.equal(yield* futex_wait(t, word as number, 0, yield* timespec_ns(t, 1_000_000)), -ETIMEDOUT);
    return yield* futex_wait(t, word as number, 0);
  }
  return function* main(t: Guest): Program<number> {
    const word = yield* mmap_anonymous(t, 4096);
    const threads: pthread_t[] = [];
    for (let i = 0; i < 2; i++) threads.push((yield* pthread_create(t, null, waiter, word))[1]);
    yield* sleep_ns(t, 20_000_000);
    t.store32(word, 1);
    yield* futex_wake(t, word, 100); // in redox, stale entries take wakes too
    for (const th of threads) yield* pthread_join(t, th);
    return 0;
  };
}

/** Runs the program on 2 CPUs (checks after every event) and calls `probe` at 10 ms. */
function runWithProbe(mode: FutexMode, staleWaits: number, probe: (m: GuestMachine) => void): void {
  const machine = bootGuest(program(staleWaits), null, { cpus: 2, futex: { mode, shards: 4 } });
  let probed = false;
  atTime(machine, 10_000_000, () => {
    probe(machine);
    probed = true;
  });
  machine.board.engine.run({ simNsMax: 1_000_000_000, eventsMax: 1_000_000 });
  assert.equal(probed, true);
  assert.equal(machine.kernel.finished, true, 'the run completed with the checks on after every event');
}

/** `check` throws an invariant error matching `pattern` while `corrupt` is applied, and passes after `undo`. */
function expectViolation(check: () => void, corrupt: () => void, undo: () => void, pattern: RegExp): void {
  check();
  corrupt();
  assert.throws(check, pattern);
  undo();
  check();
}

/** The one non-empty bucket: its shard, key and entries. */
function theBucket(m: GuestMachine) {
  for (const shard of m.kernel.futex.shards) {
    for (const [key, list] of shard.buckets) if (list.length > 0) return { shard, key, list };
  }
  throw new Error('no futex waiter is parked');
}

test('futex: an entry twice, under another key, or in the wrong shard fails the check', () => {
  runWithProbe('linux', 0, (m) => {
    const check = () => checkKernelInvariants(m.kernel);
    const { shard, key, list } = theBucket(m);
    assert.equal(list.length, 2, 'both waiters are parked in one bucket');
    const first = list[0]!;
    expectViolation(
      check,
      () => list.push(first),
      () => list.pop(),
      /invariant: futex waiter of \d+ in two buckets \(the second bucket -?\d+\)/,
    );
    expectViolation(
      check,
      () => (first.key = key + 8),
      () => (first.key = key),
      /invariant: futex waiter of \d+ under key -?\d+, its key is -?\d+/,
    );
    const other = m.kernel.futex.shards.find((s) => s !== shard)!;
    expectViolation(
      check,
      () => {
        shard.buckets.delete(key);
        other.buckets.set(key, list);
      },
      () => {
        other.buckets.delete(key);
        shard.buckets.set(key, list);
      },
      /invariant: futex bucket -?\d+ in futex-shard\d, not futex-shard\d/,
    );
  });
});

test('futex: a blocked waiter with no entry, or (linux) a thread with two, fails the check', () => {
  runWithProbe('linux', 0, (m) => {
    const check = () => checkKernelInvariants(m.kernel);
    const { key, list } = theBucket(m);
    const first = list[0]!;
    assert.equal(first.thread.state, ThreadState.Blocked);
    expectViolation(
      check,
      () => list.shift(),
      () => list.unshift(first),
      /invariant: \d+ blocked on futex 0x[0-9a-f]+ pid \d+ with no futex entry/,
    );
    let extra: FutexWaiter | null = null;
    expectViolation(
      check,
      () => list.push((extra = newWaiter(first.thread, key, first.vaddr, first.bitset))),
      () => list.splice(list.indexOf(extra!), 1),
      /invariant: \d+ has 2 futex entries/,
    );
  });
});

test('futex: redox leaves stale entries, so a thread may have three; linux leaves none', () => {
  for (const mode of ['redox', 'linux'] as const) {
    runWithProbe(mode, 2, (m) => {
      const entries = m.kernel.futex.entryCount();
      // Two waiters, each with two timed-out waits behind it: redox keeps those entries.
      assert.equal(entries, mode === 'redox' ? 6 : 2, mode);
      checkKernelInvariants(m.kernel);
    });
  }
});

test('futex: a thread waiting on a PI lock its shard does not hold, or not in its list, fails', () => {
  runWithProbe('linux', 0, (m) => {
    const check = () => checkKernelInvariants(m.kernel);
    const { shard, key, list } = theBucket(m);
    const t = list[0]!.thread;
    const s = new PiState(key, shard, null);
    expectViolation(
      check,
      () => (t.piWaiting = s),
      () => (t.piWaiting = null),
      /invariant: \d+ waits on a PI lock its shard does not hold/,
    );
    expectViolation(
      check,
      () => {
        shard.pi.set(key, s);
        t.piWaiting = s;
      },
      () => {
        shard.pi.delete(key);
        t.piWaiting = null;
      },
      /invariant: \d+ waits on PI lock -?\d+, not in its list/,
    );
  });
});

test('contexts: one context current on two CPUs fails the check', () => {
  runWithProbe('linux', 0, (m) => {
    const [a, b] = m.board.cpus;
    const saved = b!.current;
    expectViolation(
      () => checkKernelInvariants(m.kernel),
      () => (b!.current = a!.current),
      () => (b!.current = saved),
      /invariant: context -?\d+ current on two CPUs/,
    );
  });
});
