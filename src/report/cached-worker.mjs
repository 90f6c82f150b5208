// The entry of a run-pool worker thread that the compiled CLI (dist/smpsim.cjs) starts
// (report/worker-pool.ts): the CLI's own bundle, compiled through the same V8 code cache the
// CLI uses (bin/code-cache.js; in development a worker took about 170 ms to its first job
// without the cache, 130 with it), serving jobs (report/serve-jobs.ts); the cache is written, if it is missing, after the
// first job. scripts/build.mjs copies this file into dist/.
import { parentPort } from 'node:worker_threads';
import { requireCached } from '../bin/code-cache.js';

const cli = requireCached(new URL('./smpsim.cjs', import.meta.url).pathname);
cli.exports.serveJobs(parentPort, cli.save);
