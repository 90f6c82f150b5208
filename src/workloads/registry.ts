/**
 * Every guest program a scenario can name with `kind = "program"`. Add a program by writing
 * its file (a `GuestProgram`) and listing it here.
 */
import { AFFINITY } from './affinity.ts';
import { CPUHOG } from './cpuhog.ts';
import { NUMAMEM } from './numamem.ts';
import { FUTEX_BENCH } from './futex-bench.ts';
import { FUTEX_HERD } from './futex-herd.ts';
import { FUTEX_ROBUST } from './futex-robust.ts';
import type { GuestProgram } from './program.ts';
import { SCHBENCH } from './schbench.ts';

const LIST: GuestProgram[] = [AFFINITY, CPUHOG, FUTEX_BENCH, FUTEX_HERD, FUTEX_ROBUST, NUMAMEM, SCHBENCH];

export const PROGRAMS: ReadonlyMap<string, GuestProgram> = new Map(LIST.map((p) => [p.image.name, p]));

export function programNames(): string[] {
  return [...PROGRAMS.keys()].sort();
}
