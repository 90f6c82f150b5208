/**
 * Runs a guest program under one libc variant, on the futex ABI that variant speaks (relibc on
 * redox, improved on linux), and hands back what it recorded. Conformance tests use it to
 * assert the same calls' results in both variants.
 */
import assert from 'node:assert/strict';
import type { Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import type { LibcVariantName } from '../../src/libc/variant.ts';
import { type GuestMachineOptions, type GuestRun, runGuest } from './guest.ts';

export const VARIANTS: readonly LibcVariantName[] = ['relibc', 'improved'];

export function runLibc(
  variant: LibcVariantName,
  main: (t: Guest) => Program<unknown>,
  options: GuestMachineOptions = {},
): GuestRun {
  const run = runGuest(
    function* (t) {
      yield* main(t);
      return 0;
    },
    null,
    {
      cpus: 2,
      futex: variant === 'improved' ? { mode: 'linux', shards: 64 } : { mode: 'redox', shards: 1 },
      libc: variant,
      ...options,
    },
  );
  assert.equal(run.kernel.stopReason, null, `the run stopped: ${run.kernel.stopReason}`);
  assert.equal(run.kernel.finished, true, 'the root process exited');
  return run;
}
