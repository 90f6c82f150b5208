/**
 * Which form of the package this code is running as, from the name of the file it is in (every
 * module of one form shares it): the TypeScript sources through tsx (`.ts`), the compiled CLI's
 * one CommonJS bundle (dist/smpsim.cjs, scripts/build.mjs), or a chunk of the ES-module build
 * beside it (dist/*.mjs: the package's entry points and their worker). What a form loads next
 * (a worker's entry, the modules a user's `smpsim/*` import gets) depends on it.
 * @module
 */
export type CodeForm = 'source' | 'cli-bundle' | 'es-build';

export const CODE_FORM: CodeForm = import.meta.url.endsWith('.ts')
  ? 'source'
  : import.meta.url.endsWith('.cjs')
    ? 'cli-bundle'
    : 'es-build';
