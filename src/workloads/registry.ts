/**
 * Every guest program a scenario can name with `kind = "program"`. Add a program by writing
 * its file (a `GuestProgram`) and listing it here.
 */
import { DLPERIODIC } from './dlperiodic.ts';
import { NICESHARES } from './niceshares.ts';
import type { GuestProgram } from './program.ts';
import { RTCLASSES } from './rtclasses.ts';

const LIST: GuestProgram[] = [
  NICESHARES, // SCHED-3, SCHED-7 (sched-classes)
  RTCLASSES, // SCHED-7 (sched-classes)
  DLPERIODIC, // SCHED-7 (sched-classes)
];

export const PROGRAMS: ReadonlyMap<string, GuestProgram> = new Map(LIST.map((p) => [p.image.name, p]));

export function programNames(): string[] {
  return [...PROGRAMS.keys()].sort();
}
