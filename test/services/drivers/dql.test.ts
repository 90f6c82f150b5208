// Byte queue limits (services/drivers/dql.ts) against lib/dynamic_queue_limits.c worked by hand:
// the first completions grow the limit when the queue ran dry over it (starvation), a busy queue
// past the hold time drops it by the lowest slack, and the netdev hooks stop and wake the queue.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DQL_MAX_LIMIT,
  dqlAvail,
  dqlCompleted,
  dqlInit,
  dqlQueued,
  netdevCompletedQueue,
  netdevSentQueue,
} from '../../../src/services/drivers/dql.ts';

test('dql: a send with no room stops the queue; the completion that starves it grows the limit and wakes it', () => {
  const d = dqlInit(0, 10);
  assert.equal(DQL_MAX_LIMIT, 0x7fff_ffff - 0x0fff_ffff);
  netdevSentQueue(d, 1500);
  netdevSentQueue(d, 1500);
  assert.deepEqual([dqlAvail(d), d.stackXoff, d.stops], [-3000, true, 1]);
  // Half done: over the limit but still in progress, no previous interval: the limit stays 0.
  assert.equal(netdevCompletedQueue(d, 1500, 1), false);
  assert.deepEqual([d.limit, d.adjLimit, d.prevOvlimit], [0, 1500, 3000]);
  // All done while it was over: starved, the limit grows by the previous over-limit (3000).
  assert.equal(netdevCompletedQueue(d, 1500, 2), true);
  assert.deepEqual([d.limit, d.adjLimit, dqlAvail(d), d.stackXoff], [3000, 6000, 3000, false]);
  assert.equal(netdevCompletedQueue(d, 0, 3), false); // nothing completed: no change
});

test('dql: a queue busy through the hold time drops its limit by the lowest slack', () => {
  const d = dqlInit(0, 10);
  dqlQueued(d, 3000);
  dqlCompleted(d, 1500, 1);
  dqlCompleted(d, 1500, 2);
  assert.equal(d.limit, 3000);
  for (let i = 0; i < 4; i++) dqlQueued(d, 1500);
  dqlCompleted(d, 1500, 20); // no previous in-progress interval: no change yet
  assert.deepEqual([d.limit, d.prevOvlimit, d.prevNumQueued], [3000, 3000, 9000]);
  // Busy both intervals: slack = (3000 + 3000) - 2 * 1500 = 3000, the hold (2 + 10) passed.
  dqlCompleted(d, 1500, 21);
  assert.deepEqual([d.limit, d.adjLimit, d.slackStartNs], [0, 6000, 21]);
  assert.throws(() => dqlCompleted(d, 4000, 22), /completed more than queued/);
});

test('dql: within the hold time a busy queue keeps its limit (only the lowest slack is noted)', () => {
  const d = dqlInit(0, 1_000_000_000);
  dqlQueued(d, 3000);
  dqlCompleted(d, 1500, 1);
  dqlCompleted(d, 1500, 2);
  for (let i = 0; i < 4; i++) dqlQueued(d, 1500);
  dqlCompleted(d, 1500, 20);
  dqlCompleted(d, 1500, 21);
  assert.deepEqual([d.limit, d.lowestSlack], [3000, 3000]);
});
