// The policy kit smpsim/policy exports for user policies (issue 22, kernel/sched/policy-kit.ts),
// against a model: a turn is over once the ticks since the last pick reach the quantum; the
// sleepers a pick expires are exactly the blocked ones due by now that the policy accepts, each
// woken once by its timeout; the next deadline is the least of the blocked ones'.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Cpu } from '../../../src/hw/cpu.ts';
import { NO_DEADLINE } from '../../../src/engine/deadline.ts';
import { TimedSleepers, TurnCounter } from '../../../src/kernel/sched/policy-kit.ts';
import type { SchedHost } from '../../../src/kernel/sched/policy.ts';
import { type Thread, ThreadState } from '../../../src/kernel/thread.ts';

test('TurnCounter: over exactly when the ticks since the last reset reach the quantum', () => {
  const op = fc.oneof(
    fc.record({ tick: fc.integer({ min: 1, max: 3 }), cpu: fc.integer({ min: 0, max: 2 }) }),
    fc.record({ reset: fc.constant(true), cpu: fc.integer({ min: 0, max: 2 }) }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 60 }), (quantum, ops) => {
      const turns = new TurnCounter(3, quantum);
      const model = [0, 0, 0];
      for (const o of ops) {
        if ('reset' in o) {
          turns.reset(o.cpu);
          model[o.cpu] = 0;
          continue;
        }
        model[o.cpu]! += o.tick;
        assert.equal(turns.tick(o.cpu, o.tick), model[o.cpu]! >= quantum);
        // The turn ends at the quantum's tick, at least one period ahead.
        const running = { id: o.cpu, current: { id: 1 } } as unknown as Cpu;
        const left = Math.max(1, quantum - model[o.cpu]!);
        assert.equal(turns.turnEndNs(running, 1000, 5000), 5000 + left * 1000);
      }
    }),
  );
  const idle = { id: 0, current: { id: -1 } } as unknown as Cpu;
  assert.equal(new TurnCounter(1, 4).turnEndNs(idle, 1000, 0), NO_DEADLINE);
});

interface FakeThread {
  id: number;
  state: ThreadState;
  wakeNs: number;
}

test('TimedSleepers: a pick expires exactly the blocked, due, accepted sleepers, once each', () => {
  const sleeper = fc.record({
    deadlineNs: fc.integer({ min: 0, max: 100 }),
    blocked: fc.boolean(),
    accepted: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(sleeper, { maxLength: 12 }), fc.integer({ min: 0, max: 100 }), (specs, nowNs) => {
      const sleepers = new TimedSleepers();
      const threads: FakeThread[] = specs.map((_, id) => ({ id, state: ThreadState.Blocked, wakeNs: 0 }));
      specs.forEach((s, i) => {
        sleepers.arm(threads[i] as unknown as Thread, s.deadlineNs);
        if (!s.blocked) threads[i]!.state = ThreadState.Runnable; // woken some other way
      });
      const blocked = specs.map((s, i) => [s, i] as const).filter(([s]) => s.blocked);
      const dueNs = Math.min(NO_DEADLINE, ...blocked.map(([s]) => s.deadlineNs));
      assert.equal(sleepers.dueNs(), dueNs);
      const expired: number[] = [];
      const queued: number[] = [];
      const host = {
        board: { engine: { nowNs } },
        expireTimeout: (t: Thread) => expired.push((t as unknown as FakeThread).id),
      } as unknown as SchedHost;
      const accept = (t: Thread) => specs[(t as unknown as FakeThread).id]!.accepted;
      sleepers.expire(host, (t) => queued.push((t as unknown as FakeThread).id), accept);
      const want = blocked.filter(([s]) => s.deadlineNs <= nowNs && s.accepted).map(([, i]) => i);
      assert.deepEqual(expired, want);
      assert.deepEqual(queued, want);
      // Expired and woken ones are gone: a second pass expires nothing.
      sleepers.expire(
        host,
        (t) => queued.push((t as unknown as FakeThread).id),
        () => true,
      );
      const left = blocked.filter(([s]) => !(s.deadlineNs <= nowNs && s.accepted) && s.deadlineNs <= nowNs);
      assert.deepEqual(
        expired.slice(want.length),
        left.map(([, i]) => i),
      );
    }),
  );
});
