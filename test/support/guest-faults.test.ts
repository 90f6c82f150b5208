/**
 * The harness fails a test on a guest fault it did not declare (issue 11, "Tests that can fail"):
 * a wrong `assert` inside guest code, which the kernel turns into a SIGABRT, now fails the test.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GuestFaultRecord } from '../../src/kernel/kernel.ts';
import { checkFaults, faultMismatch } from './guest-faults.ts';
import { bootGuest, runGuest } from './guest.ts';
import { runLibc } from './libc.ts';

test('a failing assert in guest code fails runGuest with the assert message', () => {
  assert.throws(
    () =>
      runGuest(function* (t) {
        yield t.compute(100);
        assert.equal(1 + 1, 3, 'planted wrong');
        return 0;
      }, null),
    /unexpected guest fault[\s\S]*SIGABRT: planted wrong/,
  );
});

test('a failing assert in guest code fails runLibc in both variants', () => {
  for (const variant of ['relibc', 'improved'] as const) {
    assert.throws(
      () =>
        runLibc(variant, function* (t) {
          yield t.compute(100);
          assert.deepEqual([1], [2]);
        }),
      /unexpected guest fault/,
    );
  }
});

test('a declared fault passes; a different or missing one fails', () => {
  const segv = function* (t: Parameters<Parameters<typeof runGuest>[0]>[0]) {
    t.store32(0x20000, 1);
    return 0;
  };
  runGuest(segv, null, { expectFaults: [{ signal: 'SIGSEGV', message: /unmapped memory at 0x20000/ }] });
  assert.throws(
    () => runGuest(segv, null, { expectFaults: [{ signal: 'SIGABRT' }] }),
    /guest fault 1 is not the expected SIGABRT/,
  );
  assert.throws(
    () =>
      runGuest(
        function* () {
          return 0;
        },
        null,
        { expectFaults: [{ signal: 'SIGSEGV' }] },
      ),
    /expected guest fault 1 \(SIGSEGV\) did not happen/,
  );
});

test('a machine the test runs itself is checked too', () => {
  const machine = bootGuest(function* () {
    throw new Error('guest bug');
  }, null);
  machine.board.engine.run({ simNsMax: 1_000_000_000, eventsMax: 100_000 });
  assert.throws(() => checkFaults(machine.kernel), /SIGABRT: guest bug/);
});

test('counts and predicates', () => {
  const fault = (signal: number): GuestFaultRecord => ({ pid: 2, tid: 2, timeNs: 0, signal, message: 'm' });
  assert.equal(faultMismatch([fault(6), fault(6)], [{ signal: 'SIGABRT', count: 2 }]), null);
  assert.match(faultMismatch([fault(6)], [{ signal: 'SIGABRT', count: 2 }]) ?? '', /did not happen/);
  assert.equal(
    faultMismatch([fault(11)], (faults) => faults.length === 1),
    null,
  );
  assert.match(faultMismatch([], (faults) => faults.length === 1) ?? '', /not as the test expects/);
});
