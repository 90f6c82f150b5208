/**
 * A Node built-in module loaded when first asked for, not when the CLI starts: the compiled CLI
 * is one bundle whose static imports all load at its start (bin/code-cache.js), in the CLI and
 * in every run-pool worker thread, and a built-in that one command uses (node:http for `view`,
 * node:crypto for job ids and host fingerprints) cost each start ~3-5 ms (issue 14). `require`
 * of a built-in is synchronous and cached by Node, so the callers stay synchronous.
 * @module
 */
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/** `node:http`, loaded on first use. */
export function nodeHttp(): typeof import('node:http') {
  return requireHere('node:http') as typeof import('node:http');
}

/** `node:crypto`, loaded on first use. */
export function nodeCrypto(): typeof import('node:crypto') {
  return requireHere('node:crypto') as typeof import('node:crypto');
}
