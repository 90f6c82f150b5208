// Loads a CommonJS bundle (the compiled CLI, dist/smpsim.cjs) through a V8 code cache: the
// bundle is compiled from the cache when there is one for it, and after the command has run the
// cache is written from what V8 compiled meanwhile (the functions the command ran included), for
// the next start. Node 20 has no code cache for ES modules (module.enableCompileCache is Node
// 22), which is why the CLI is a CommonJS bundle (issue 14: compiling the 1.9 MB bundle was a
// third of a 0.3 s start). A cache is one bundle's text under one Node and one set of V8 flags:
// its name holds the bundle's size and time and a hash of the Node version and flags, and the
// build deletes the folder (V8 itself checks only the source's length). Writing it is best
// effort: a read-only install runs as fast as without it, and the writer renames a file of its
// own into place, so runs starting together never read half a cache.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';

/** FNV-1a of a string, as 8 hex digits: names a cache by the Node and flags it was made under. */
function hash32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

function cachePath(file) {
  const { size, mtimeMs } = statSync(file);
  const under = hash32(`${process.version} ${process.arch} ${process.execArgv.join(' ')}`);
  return join(dirname(file), 'code-cache', `${size}-${Math.round(mtimeMs)}-${under}.bin`);
}

function readOrNull(path) {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/**
 * Runs the CommonJS file `file` as Node's loader would and returns its `module.exports` and a
 * `save()` to call once the program has done its work.
 */
export function requireCached(file) {
  const path = cachePath(file);
  const cached = readOrNull(path);
  const source = readFileSync(file, 'utf8');
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapped, {
    filename: file,
    cachedData: cached ?? undefined,
    // The bundle's import() of packages and user modules goes to Node's own ES-module loader.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  // An import() in code that came out of a code cache fails on Node 20 (no dynamic import
  // callback): the bundle imports through this one instead (src/machine/import-module.ts).
  globalThis[Symbol.for('smpsim.importer')] = (specifier) => import(specifier);
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  const save = () => {
    if (cached !== null && !script.cachedDataRejected) return;
    try {
      mkdirSync(dirname(path), { recursive: true });
      const own = `${path}.${process.pid}`;
      writeFileSync(own, script.createCachedData());
      renameSync(own, path);
    } catch {
      // Best effort (see above).
    }
  };
  return { exports: module.exports, save };
}
