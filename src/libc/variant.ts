/**
 * Which libc a process runs: the baseline `relibc` (relibc's src/sync as its code behaves,
 * models.md §3) or the `improved` one (POSIX and glibc semantics over Linux futex ops, §5).
 * A process finds its variant in its environment (`SMPSIM_LIBC`), inherited from its parent
 * and set for the whole machine by the scenario's `[libc] variant`, as a real process finds its
 * libc through the dynamic loader's environment. Each public libc call asks `libcOf(t)`
 * (select.ts) for that variant's `Libc` object (libc.ts) and runs its algorithm, so one guest
 * program runs unchanged on either.
 */
import type { Guest } from '../abi/guest.ts';

export const LIBC_VARIANTS = ['relibc', 'improved'] as const;
export type LibcVariantName = (typeof LIBC_VARIANTS)[number];

/** The environment variable naming the variant. */
export const LIBC_ENV = 'SMPSIM_LIBC';

/**
 * The futex ABI each variant speaks: relibc calls Redox's WAIT/WAKE with absolute monotonic
 * deadlines; the improved libc calls Linux's ops (WAIT_BITSET, CMP_REQUEUE, private futexes).
 */
export function libcSpeaksLinuxFutex(name: LibcVariantName): boolean {
  return name === 'improved';
}

/** The variant of the calling process; relibc (what Redox ships) when the environment names none. */
export function libcName(t: Guest): LibcVariantName {
  const value = t.env[LIBC_ENV];
  if (value === undefined) return 'relibc';
  if (value !== 'relibc' && value !== 'improved') {
    throw new Error(`libc: ${LIBC_ENV}=${value} is not a libc variant (relibc or improved)`);
  }
  return value;
}

/** The environment that selects `name` for a machine's processes. */
export function libcEnv(name: LibcVariantName): Record<string, string> {
  return { [LIBC_ENV]: name };
}
