/**
 * `import(specifier)` for what the CLI loads at run time rather than bundles: a user's module,
 * and packages loaded only when a command needs them (tsx, vega, resvg, bullmq, ioredis,
 * esbuild). The compiled CLI runs as a script compiled through a V8 code cache
 * (bin/code-cache.js), and on Node 20 an `import()` in code that came out of that cache fails
 * ("A dynamic import callback was not specified"), so that loader puts an importer of its own,
 * an ES module's `import()`, on globalThis, and every such import goes through here. Elsewhere
 * (from source, the ES-module entry points, worker threads) it is the plain `import()`.
 * @module
 */

/** Where bin/code-cache.js puts its importer. */
const IMPORTER = Symbol.for('smpsim.importer');

type Importer = (specifier: string) => Promise<unknown>;

/** Imports `specifier` (a package name or a file: URL) and returns its namespace. */
export function importModule<T>(specifier: string): Promise<T> {
  const importer = (globalThis as Record<symbol, Importer | undefined>)[IMPORTER];
  return (importer === undefined ? import(specifier) : importer(specifier)) as Promise<T>;
}
