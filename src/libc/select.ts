/**
 * `libcOf(t)`: the `Libc` object (libc.ts) of the calling process's variant, which its
 * environment names (variant.ts). The one place that maps a variant's name to its code; the
 * objects are looked up when called, not when this module loads, because the variants' files
 * import the public libc files that import this one.
 */
import type { Guest } from '../abi/guest.ts';
import { improvedLibc } from './improved/index.ts';
import type { Libc } from './libc.ts';
import { relibcLibc } from './relibc/index.ts';
import { type LibcVariantName, libcName } from './variant.ts';

/** The variant object for a name; a switch TypeScript checks covers every variant. */
export function libcByName(name: LibcVariantName): Libc {
  switch (name) {
    case 'relibc':
      return relibcLibc;
    case 'improved':
      return improvedLibc;
  }
}

export function libcOf(t: Guest): Libc {
  return libcByName(libcName(t));
}
