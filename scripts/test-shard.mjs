// One test shard: imports the test files it is given, in order, into this one process, so
// node:test runs them one after another here. Started by scripts/run-tests.mjs with tsx loaded.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

for (const file of process.argv.slice(2)) await import(pathToFileURL(resolve(file)).href);
