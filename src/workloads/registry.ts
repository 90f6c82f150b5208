/**
 * Every guest program a scenario can name with `kind = "program"`. Add a program by writing
 * its file (a `GuestProgram`) and listing it here.
 */
import { CONDHERD } from './condherd.ts';
import type { GuestProgram } from './program.ts';
import { STACKGUARD } from './stackguard.ts';

const LIST: GuestProgram[] = [CONDHERD, STACKGUARD];

export const PROGRAMS: ReadonlyMap<string, GuestProgram> = new Map(LIST.map((p) => [p.image.name, p]));

export function programNames(): string[] {
  return [...PROGRAMS.keys()].sort();
}
