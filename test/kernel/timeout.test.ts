/**
 * The "no deadline" convention (engine/deadline.ts, kernel/timeout.ts; issue 13): NO_DEADLINE
 * sorts after every time, a guest time too large for a safe integer becomes it, and NO_TIMEOUT
 * is told apart from a given timeout that is merely that far away (futex_wait's restart rule
 * needs the difference: ERESTARTSYS only without a timeout).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_DEADLINE } from '../../src/engine/deadline.ts';
import { hasTimeout, NO_TIMEOUT, type Timeout } from '../../src/kernel/timeout.ts';
import { nsToNumber } from '../../src/kernel/timespec.ts';

test('NO_DEADLINE is after every representable time, so min and >= need no special case', () => {
  assert.equal(Math.min(NO_DEADLINE, Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
  assert.equal(Number.MAX_SAFE_INTEGER >= NO_DEADLINE, false);
  assert.equal(nsToNumber(2n ** 63n), NO_DEADLINE);
  assert.equal(nsToNumber(BigInt(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
});

test('NO_TIMEOUT expires never, cannot be changed, and is the only timeout hasTimeout refuses', () => {
  assert.equal(NO_TIMEOUT.monotonicNs, NO_DEADLINE);
  assert.equal(NO_TIMEOUT.realtimeNs, null);
  assert.ok(Object.isFrozen(NO_TIMEOUT));
  assert.equal(hasTimeout(NO_TIMEOUT), false);
  // A given timeout past every run's end has the same expiry but was given.
  const far: Timeout = { monotonicNs: nsToNumber(2n ** 63n), realtimeNs: null, slackNs: 0 };
  assert.equal(hasTimeout(far), true);
  assert.equal(hasTimeout({ ...NO_TIMEOUT }), true);
});
