/**
 * A sweep beyond one machine (issue 23): `smpsim sweep FILE --queue redis://HOST:PORT` puts each
 * run on a BullMQ queue in Redis and writes each record as its job completes; `smpsim worker
 * --queue redis://HOST:PORT` takes runs off the queue, one at a time, until it is stopped
 * (SIGINT or SIGTERM: it finishes the run in hand first). A job carries the scenario's text and
 * path, the run's `--set` list and seed, so the record a worker returns is the one the local
 * runner writes (sweep-record.ts); paths inside the scenario (modules, tables) must exist on the
 * worker's machine at the same place, as in a shared checkout.
 *
 * bullmq and ioredis are imported only here and only when called (a static import would be hoisted
 * into the bundle's start-up, scripts/build.mjs), so they cost nothing to other commands.
 * @module
 */
import { nodeCrypto } from '../machine/builtin.ts';
import type { Redis } from 'ioredis';
import { runConfig } from '../report/run.ts';
import { importModule } from '../machine/import-module.ts';
import { recordOf, type SweepRecord, type SweepRunSpec } from '../report/sweep-record.ts';
import type { SweepPlan } from '../scenario/sweep-file.ts';
import { UsageError } from './errors.ts';
import { sweepRunConfig } from './sweep.ts';

export const QUEUE_NAME = 'smpsim-sweep';
/** A run blocks the worker's event loop, so its lock cannot be renewed while it runs: give it long. */
const RUN_LOCK_MS = 30 * 60 * 1000;

interface SweepJob {
  scenarioPath: string;
  scenarioText: string;
  metrics: string[];
  spec: SweepRunSpec;
}

async function connect(url: string): Promise<Redis> {
  if (!/^rediss?:\/\/[^/]+/.test(url))
    throw new UsageError('--queue', `${url} is not a Redis URL`, 'redis://HOST:PORT');
  const { Redis } = await importModule<typeof import('ioredis')>('ioredis');
  // BullMQ's blocking commands need ioredis to retry forever rather than fail a request.
  return new Redis(url, { maxRetriesPerRequest: null });
}

/** The job id: the same run of the same scenario text is one job, whoever enqueues it. */
function jobId(job: SweepJob): string {
  const h = nodeCrypto().createHash('sha256');
  h.update(job.scenarioText).update('\0').update(job.metrics.join(',')).update('\0').update(job.spec.key);
  return `run-${h.digest('hex').slice(0, 32)}`;
}

export async function runOnQueue(
  url: string,
  plan: SweepPlan,
  todo: readonly SweepRunSpec[],
  write: (r: SweepRecord) => void,
): Promise<void> {
  for (const spec of todo) sweepRunConfig(plan, spec); // a bad --set is found here, not on a worker
  const { Queue, QueueEvents } = await importModule<typeof import('bullmq')>('bullmq');
  const connection = await connect(url);
  const eventsConnection = connection.duplicate();
  const queue = new Queue<SweepJob>(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection: eventsConnection });
  try {
    await events.waitUntilReady();
    const data = todo.map((spec) => ({
      scenarioPath: plan.scenarioPath,
      scenarioText: plan.scenarioText,
      metrics: plan.metrics,
      spec,
    }));
    const finished = awaitJobs(events, data.map(jobId), write);
    await queue.addBulk(
      data.map((d) => ({
        name: d.spec.key,
        data: d,
        opts: { jobId: jobId(d), removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 24 * 3600 } },
      })),
    );
    await readBack(queue, data.map(jobId), finished.settle);
    await finished.all;
  } finally {
    await events.close();
    await queue.close();
    eventsConnection.disconnect();
    connection.disconnect();
  }
}

/** What readBack needs of a BullMQ Queue (a test gives its own). */
export interface ReadBackQueue {
  getJobState(id: string): Promise<string>;
  getJob(id: string): Promise<{ returnvalue: unknown; retry(): Promise<void> } | undefined>;
}

/**
 * A job this scenario text already ran (an earlier sweep's, kept a day) is not added again and
 * sends no event: its result is read back, and a failed one is retried. The state is read before
 * the job: a job read first and then found completed may have completed in between, and the copy
 * read before has no return value (a worker finishing a fresh job during this loop made the
 * sweep write a null record: "Cannot read properties of null"); one completing after its state
 * was read is settled by its event.
 */
export async function readBack(
  queue: ReadBackQueue,
  ids: readonly string[],
  settle: (id: string, value: unknown) => void,
): Promise<void> {
  for (const id of ids) {
    const state = await queue.getJobState(id);
    if (state !== 'completed' && state !== 'failed') continue;
    const job = await queue.getJob(id);
    if (job === undefined)
      throw new Error(
        `sweep run ${id} left the queue while this sweep read it back (its day ran out): run the sweep again`,
      );
    if (state === 'completed') settle(id, job.returnvalue);
    else await job.retry();
  }
}

/**
 * One listener for every job's end, so a thousand runs do not add a thousand listeners; each
 * record is written as its job ends, so an interrupted queued sweep resumes as a local one does.
 */
function awaitJobs(
  events: import('bullmq').QueueEvents,
  ids: readonly string[],
  write: (r: SweepRecord) => void,
) {
  const waiting = new Map<string, () => void>();
  let failed: (e: Error) => void = () => {};
  const all = Promise.all(ids.map((id) => new Promise<void>((resolveJob) => waiting.set(id, resolveJob))));
  const failure = new Promise<never>((_, reject) => {
    failed = reject;
  });
  const settle = (id: string, value: unknown) => {
    const done = waiting.get(id);
    if (done === undefined) return; // another sweep's job, or one already written
    const record = (typeof value === 'string' ? JSON.parse(value) : value) as SweepRecord | null;
    if (record === null || typeof record !== 'object') {
      failed(new Error(`sweep run ${id} completed without a record (${String(value)})`));
      return;
    }
    waiting.delete(id);
    write(record);
    done();
  };
  events.on('completed', ({ jobId: id, returnvalue }) => settle(id, returnvalue));
  events.on('failed', ({ jobId: id, failedReason }) => {
    if (waiting.has(id)) failed(new Error(`sweep run ${id} failed on a worker: ${failedReason}`));
  });
  return { settle, all: Promise.race([all, failure]) };
}

/** One queued run, as the local runner would run it. */
export function runQueuedJob(data: SweepJob): SweepRecord {
  const report = runConfig(sweepRunConfig(data, data.spec), { skipNameChecks: true });
  return recordOf(data.spec, report, data.metrics);
}

/** `smpsim worker --queue URL`: runs queued sweep runs until SIGINT or SIGTERM. */
export async function runWorker(url: string, log: (line: string) => void): Promise<void> {
  const { Worker } = await importModule<typeof import('bullmq')>('bullmq');
  const connection = await connect(url);
  const worker = new Worker<SweepJob, SweepRecord>(QUEUE_NAME, async (job) => runQueuedJob(job.data), {
    connection,
    concurrency: 1,
    lockDuration: RUN_LOCK_MS,
    stalledInterval: RUN_LOCK_MS,
  });
  worker.on('completed', (job) => log(`done ${job.name}`));
  worker.on('failed', (job, e) => log(`failed ${job?.name ?? '?'}: ${e.message}`));
  await worker.waitUntilReady();
  log(`smpsim worker: taking runs from ${url} (queue ${QUEUE_NAME})`);
  await new Promise<void>((resolveStop) => {
    const stop = () => {
      void worker.close().then(() => resolveStop());
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  connection.disconnect();
}
