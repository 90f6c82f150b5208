/**
 * The entry of the compiled CLI, dist/smpsim.cjs (scripts/build.mjs): the CLI's `main`, in one
 * CommonJS bundle that bin/smpsim.js compiles with a V8 code cache (bin/code-cache.js), which
 * Node 20 offers for scripts but not for ES modules (issue 14: compiling the ES-module bundle was
 * about 100 ms of a 300 ms start). A user's module that imports `smpsim`, `smpsim/guest` or
 * `smpsim/policy` must get this bundle's own modules, not the package's ES-module copy beside
 * it, so there is one SpinLock and one ThreadState (issue 22): they are published here, and the
 * bridges scripts/build.mjs writes (dist/bridge/) re-export them (machine/load-module.ts).
 * @module
 */
import * as guest from '../guest.ts';
import * as index from '../index.ts';
import { COMPILED_CLI_ENTRIES } from '../machine/load-module.ts';
import * as policy from '../policy.ts';

(globalThis as Record<symbol, unknown>)[COMPILED_CLI_ENTRIES] = {
  smpsim: index,
  'smpsim/guest': guest,
  'smpsim/policy': policy,
};

export { serveJobs } from '../report/serve-jobs.ts';
export { main } from './main.ts';
