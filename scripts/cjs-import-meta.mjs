// Injected into the compiled CLI, dist/smpsim.cjs (scripts/build.mjs): a CommonJS bundle has no
// `import.meta`, so esbuild's `define` maps `import.meta.url` and `import.meta.resolve` to these.
// `__filename` is the bundle's path, whether Node's loader or bin/code-cache.js runs it, so the
// files the CLI finds beside itself (run-worker.mjs, entry-hooks.mjs, web/) are those in dist/.
import { pathToFileURL } from 'node:url';

export const import_meta_url = pathToFileURL(__filename).href;

/** Only the from-source paths (tsx) call import.meta.resolve; in the bundle it is a bug. */
export function import_meta_resolve(specifier) {
  throw new Error(`smpsim: import.meta.resolve(${specifier}) in the compiled CLI`);
}
