/**
 * Every guest program a scenario can name with `kind = "program"`. Add a program by writing
 * its file (a `GuestProgram`) and listing it here.
 */
import { BURSTY } from './bursty.ts';
import { CONDHERD } from './condherd.ts';
import { DLPERIODIC } from './dlperiodic.ts';
import { AFFINITY } from './affinity.ts';
import { CPUHOG } from './cpuhog.ts';
import { CYCLICTEST } from './cyclictest.ts';
import { CPU_OFFLINE } from './cpu-offline.ts';
import { FORK_ATFORK } from './fork-atfork.ts';
import { NUMAMEM } from './numamem.ts';
import { FUTEX_BENCH } from './futex-bench.ts';
import { FUTEX_HERD } from './futex-herd.ts';
import { FUTEX_PI_CHAIN } from './futex-pi-chain.ts';
import { FUTEX_ROBUST } from './futex-robust.ts';
import { NICESHARES } from './niceshares.ts';
import type { GuestProgram } from './program.ts';
import { PRIO_INVERSION } from './prio-inversion.ts';
import { ROBUST_OWNER } from './robust-owner.ts';
import { RTCLASSES } from './rtclasses.ts';
import { SCHBENCH } from './schbench.ts';
import { SCHEME_ECHO } from './scheme-echo.ts';
import { STACKGUARD } from './stackguard.ts';
import { THREADHERD } from './threadherd.ts';
import { TLBSTRESS } from './tlbstress.ts';

const LIST: GuestProgram[] = [
  FUTEX_BENCH,
  FUTEX_HERD,
  FUTEX_ROBUST,
  FUTEX_PI_CHAIN, // FUTEX-6
  CONDHERD,
  STACKGUARD,
  SCHBENCH,
  NICESHARES, // SCHED-3, SCHED-7
  RTCLASSES, // SCHED-7
  DLPERIODIC, // SCHED-7
  AFFINITY, // SCHED-8
  CPUHOG, // SCHED-4
  NUMAMEM, // SCHED-6, HW-14
  FORK_ATFORK, // LIBC-9
  PRIO_INVERSION, // LIBC-10
  ROBUST_OWNER, // LIBC-2
  THREADHERD, // issue 14: scale
  CYCLICTEST, // HW-12, issue 11: timer precision
  CPU_OFFLINE, // issue 18: CPU hotplug
  BURSTY, // HW-15: cpufreq governors
  TLBSTRESS, // HW-8, HW-9, issue 15
  SCHEME_ECHO, // SVC-7, issue 19: user scheme round trips
];

export const PROGRAMS: ReadonlyMap<string, GuestProgram> = new Map(LIST.map((p) => [p.image.name, p]));

export function programNames(): string[] {
  return [...PROGRAMS.keys()].sort();
}
