/** The improved init's restart policy (SVC-5): backoff 1, 2, 4, 8 … capped at 30 s; give up at the 5th consecutive failure. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffNs, DEFAULT_RESTART, RestartTracker } from '../../src/services/restart.ts';

const S = 1_000_000_000;

test('backoff doubles from 1 s and stops at 30 s', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 20].map((f) => backoffNs(f) / S),
    [1, 2, 4, 8, 16, 30, 30, 30],
  );
  assert.throws(() => backoffNs(0), /failures 0 < 1/);
});

test('on-failure: 1, 2, 4, 8 s, then give up at the 5th consecutive failure', () => {
  const r = new RestartTracker('on-failure');
  const got = [];
  for (let i = 0; i < 5; i++) got.push(r.stopped(i * S, true));
  assert.deepEqual(got, [
    { action: 'restart', delayNs: 1 * S, failures: 1 },
    { action: 'restart', delayNs: 2 * S, failures: 2 },
    { action: 'restart', delayNs: 4 * S, failures: 3 },
    { action: 'restart', delayNs: 8 * S, failures: 4 },
    { action: 'give-up', failures: 5 },
  ]);
});

test('on-failure ignores a clean exit; always restarts it; never restarts nothing', () => {
  assert.deepEqual(new RestartTracker('on-failure').stopped(0, false), { action: 'stay-down' });
  assert.deepEqual(new RestartTracker('always').stopped(0, false), {
    action: 'restart',
    delayNs: S,
    failures: 1,
  });
  assert.deepEqual(new RestartTracker('never').stopped(0, true), { action: 'stay-down' });
});

test('staying up 10 s after readiness ends the run of failures; less does not', () => {
  const r = new RestartTracker('on-failure');
  r.stopped(0, true);
  r.ready(2 * S);
  assert.equal(r.stopped(2 * S + DEFAULT_RESTART.stableNs - 1, true).action, 'restart');
  assert.equal(r.consecutiveFailures, 2);
  r.ready(20 * S);
  assert.deepEqual(r.stopped(20 * S + DEFAULT_RESTART.stableNs, true), {
    action: 'restart',
    delayNs: S,
    failures: 1,
  });
});
