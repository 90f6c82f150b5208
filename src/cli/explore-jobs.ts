/**
 * `smpsim explore --jobs N`: the search split over N worker threads. Random and PCT give each
 * worker its share of the budget and its own seed (seed + worker index); DPOR gives worker k the
 * first branching state's enabled agents k, k+N, ... to start from (each explores its subtrees
 * in full, so together they cover the space, a little redundantly: the root's sleep set is
 * not shared). The first violation stops the others through a shared flag. Which worker reports
 * first can vary from run to run; the schedule it reports replays exactly. The worker is this
 * same module (or the bundle it is part of) started with `workerData`.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { type ExploreReport, explore } from '../explore/explore.ts';
import { findModel } from '../explore/registry.ts';
import { CODE_FORM } from '../machine/code-form.ts';
import type { ExploreRequest } from './explore.ts';

interface JobData {
  smpsimExploreJob: true;
  req: Omit<ExploreRequest, 'model'> & { model: string };
  index: number;
  of: number;
  flag: SharedArrayBuffer;
}

function runJob(data: JobData): ExploreReport {
  const model = findModel(data.req.model);
  if (model === undefined) throw new Error(`explore worker: no model ${data.req.model}`);
  const found = new Int32Array(data.flag);
  const startMs = performance.now();
  const { req, index, of } = data;
  const report = explore({
    ...req,
    model,
    seed: req.seed + index,
    budget: req.strategy === 'dpor' ? req.budget : Math.max(1, Math.ceil(req.budget / of)),
    rootShare: req.strategy === 'dpor' ? { index, of } : undefined,
    stop: () =>
      Atomics.load(found, 0) !== 0 || (req.timeS > 0 && performance.now() - startMs >= req.timeS * 1000),
  });
  if (report.found) Atomics.store(found, 0, 1);
  return report;
}

if (!isMainThread && (workerData as JobData | null)?.smpsimExploreJob === true) {
  parentPort!.postMessage(runJob(workerData as JobData));
}

function spawn(data: JobData): Promise<ExploreReport> {
  const url = new URL(import.meta.url);
  // From source, the worker registers the TypeScript loader first, as bin/smpsim.js does.
  const w =
    CODE_FORM === 'source'
      ? new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`,
          { eval: true, workerData: data },
        )
      : new Worker(url, { workerData: data });
  return new Promise((resolve, reject) => {
    w.once('message', (r: ExploreReport) => resolve(r));
    w.once('error', reject);
  });
}

export async function exploreInJobs(req: ExploreRequest, err: (s: string) => void): Promise<ExploreReport> {
  const flag = new SharedArrayBuffer(4);
  const shared = { ...req, model: req.model.name };
  err(`explore: ${req.model.name} over ${req.jobs} worker threads\n`);
  const reports = await Promise.all(
    Array.from({ length: req.jobs }, (_, index) =>
      spawn({ smpsimExploreJob: true, req: shared, index, of: req.jobs, flag }),
    ),
  );
  const first = reports.find((r) => r.found) ?? reports[0]!;
  return {
    ...first,
    executions: reports.reduce((s, r) => s + r.executions, 0),
    steps: reports.reduce((s, r) => s + r.steps, 0),
    exhaustive: first.found ? false : reports.every((r) => r.exhaustive),
    bounded: reports.some((r) => r.bounded),
    jobs: req.jobs,
  };
}
