/**
 * Every guest program a scenario can name with `kind = "program"`. Add a program by writing
 * its file (a `GuestProgram`) and listing it here.
 */
import { AFFINITY } from './affinity.ts';
import { CPUHOG } from './cpuhog.ts';
import { NUMAMEM } from './numamem.ts';
import type { GuestProgram } from './program.ts';

const LIST: GuestProgram[] = [AFFINITY, CPUHOG, NUMAMEM];

export const PROGRAMS: ReadonlyMap<string, GuestProgram> = new Map(LIST.map((p) => [p.image.name, p]));

export function programNames(): string[] {
  return [...PROGRAMS.keys()].sort();
}
