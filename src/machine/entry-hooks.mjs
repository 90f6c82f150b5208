// Module resolution hooks (node:module register) that load-module.ts registers before it imports
// the first user module: a user's policy or guest program that imports `smpsim`, `smpsim/guest`
// or `smpsim/policy` gets the very modules the running kernel is made of, so there is one
// SpinLock, one ThreadState and one libc, not two. From the TypeScript sources (under tsx) the
// entries are src/index.ts, guest.ts, policy.ts; from the compiled build (scripts/build.mjs
// copies this file into dist/) they are dist/index.mjs, guest.mjs, policy.mjs beside it. Either
// way a user module needs no `smpsim` of its own in a node_modules above it.
let entries = {};

/** `data.entries`: specifier → file URL of the entry the running simulator is built from. */
export function initialize(data) {
  entries = data.entries;
}

export async function resolve(specifier, context, next) {
  const entry = Object.hasOwn(entries, specifier) ? entries[specifier] : undefined;
  const resolved = await next(entry ?? specifier, context);
  // A user's `.ts` module is an ES module (it imports smpsim/*), even where no package.json says
  // `"type": "module"` (a lone file, or a project `npm init` made CommonJS): tsx would compile it
  // to CommonJS there, and Node refuses to require() the ES modules it imports.
  if (
    /\.m?ts$/.test(resolved.url) &&
    resolved.url.startsWith('file:') &&
    !resolved.url.includes('/node_modules/')
  )
    return { ...resolved, format: 'module' };
  return resolved;
}
