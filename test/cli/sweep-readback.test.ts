// The read-back of a queued sweep (issue 23, src/cli/sweep-queue.ts readBack): jobs an earlier
// sweep ran are settled from their stored result, failed ones retried, and a job that completes
// while it is being read is left to its completion event, never settled without a result (a
// worker finishing a job between the sweep's two reads made it write a null record once).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ReadBackQueue, readBack } from '../../src/cli/sweep-queue.ts';

interface FakeJob {
  /** The call count from which the job is completed (Infinity: never). */
  completesAt: number;
  failed?: boolean;
  value: unknown;
}

/** A queue whose jobs complete as calls go by: every call to it is one step of time. */
function fakeQueue(jobs: Record<string, FakeJob>, retried: string[]): ReadBackQueue {
  let calls = 0;
  const completed = (j: FakeJob, at: number) => at >= j.completesAt;
  return {
    async getJobState(id) {
      const at = calls++;
      const j = jobs[id];
      if (j === undefined) return 'unknown';
      if (j.failed) return 'failed';
      return completed(j, at) ? 'completed' : 'active';
    },
    async getJob(id) {
      const at = calls++;
      const j = jobs[id];
      if (j === undefined) return undefined;
      // A snapshot: the return value as it stood at this call.
      return {
        returnvalue: completed(j, at) ? j.value : null,
        retry: async () => {
          retried.push(id);
        },
      };
    },
  };
}

test('read-back settles stored results, retries failed runs, and leaves a run completing meanwhile to its event', async () => {
  const retried: string[] = [];
  const settled: [string, unknown][] = [];
  // 'racing' completes at the second call, the first one made about it being the first of all.
  const queue = fakeQueue(
    {
      racing: { completesAt: 1, value: { key: 'r' } },
      earlier: { completesAt: 0, value: '{"key":"e"}' },
      broken: { completesAt: Number.POSITIVE_INFINITY, failed: true, value: null },
      fresh: { completesAt: Number.POSITIVE_INFINITY, value: null },
    },
    retried,
  );
  await readBack(queue, ['racing', 'earlier', 'broken', 'fresh', 'absent'], (id, value) => {
    settled.push([id, value]);
  });
  assert.deepEqual(settled, [['earlier', '{"key":"e"}']]);
  assert.deepEqual(retried, ['broken']);
});

test('a run whose state says completed but which is gone when read is a clear error', async () => {
  const queue: ReadBackQueue = {
    getJobState: async () => 'completed',
    getJob: async () => undefined,
  };
  await assert.rejects(
    readBack(queue, ['gone'], () => assert.fail('nothing to settle')),
    /^Error: sweep run gone left the queue while this sweep read it back/,
  );
});
