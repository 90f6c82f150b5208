// Module resolution hooks registered (node:module register) only when smpsim itself runs from
// its TypeScript sources (through tsx): a user's policy or guest program module that imports
// `smpsim`, `smpsim/guest` or `smpsim/policy` then gets the very source modules the running
// kernel is made of, not the compiled copies in dist/, so there is one SpinLock, one ThreadState
// and one libc, not two. From the compiled build the package's own `exports` do the same.
const ENTRIES = {
  smpsim: 'index.ts',
  'smpsim/guest': 'guest.ts',
  'smpsim/policy': 'policy.ts',
};

let srcUrl = '';

export function initialize(data) {
  srcUrl = data.srcUrl;
}

export async function resolve(specifier, context, next) {
  const entry = Object.hasOwn(ENTRIES, specifier) ? ENTRIES[specifier] : undefined;
  if (entry === undefined) return next(specifier, context);
  return next(new URL(entry, srcUrl).href, context);
}
