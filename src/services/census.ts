/**
 * The stress run's leak check (SVC-9), guest side: `sys_census` (kernel/census.ts) read at
 * every multiple of `everyNs` after init's start. The first census is the reference; each later
 * one is compared with it field by field. Faults in the stress seed are on the clock's grid
 * (service-program.ts `crash_every_ms`, hotplug's `every`), so at each census point the machine
 * should be in the same state: the same processes up, each with its threads and descriptors.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { CENSUS_FIELDS, SYS_CENSUS } from '../abi/syscalls.ts';
import { threadScratch } from '../libc/scratch.ts';
import { syscall } from '../libc/sys.ts';

export type CensusField = (typeof CENSUS_FIELDS)[number];
export type CensusCounts = Record<CensusField, number>;

/** sys_census: the kernel's counts now. */
export function* census(t: Guest): Program<CensusCounts> {
  const buf = yield* threadScratch(t);
  const n = yield* syscall(t, SYS_CENSUS, buf);
  if (n !== CENSUS_FIELDS.length)
    throw new Error(`sys_census returned ${n}, expected ${CENSUS_FIELDS.length}`);
  const out = {} as CensusCounts;
  CENSUS_FIELDS.forEach((f, i) => {
    out[f] = t.load32(buf + 4 * i);
  });
  return out;
}

export class CensusTracker {
  readonly everyNs: number;
  /** When the next census is due, relative to init's start. */
  nextNs: number;
  first: CensusCounts | null = null;
  last: CensusCounts | null = null;
  points = 0;
  /** The most any field has stood above the first census, at any later point. */
  readonly maxGrowth = {} as CensusCounts;

  constructor(everyNs: number) {
    if (!(everyNs > 0)) throw new Error(`census: period ${everyNs} ns; allowed: > 0`);
    this.everyNs = everyNs;
    this.nextNs = everyNs;
    for (const f of CENSUS_FIELDS) this.maxGrowth[f] = 0;
  }

  record(c: CensusCounts): void {
    this.points++;
    this.nextNs += this.everyNs;
    if (this.first === null) {
      this.first = c;
      return;
    }
    this.last = c;
    for (const f of CENSUS_FIELDS) this.maxGrowth[f] = Math.max(this.maxGrowth[f], c[f] - this.first[f]);
  }

  /** `census_points`, `census_<field>` (the first) and `census_delta_<field>` (last - first). */
  numbers(): Record<string, number> {
    const n: Record<string, number> = { census_points: this.points };
    if (this.first === null) return n;
    for (const f of CENSUS_FIELDS) {
      n[`census_${f}`] = this.first[f];
      n[`census_delta_${f}`] = this.last === null ? 0 : this.last[f] - this.first[f];
      n[`census_growth_max_${f}`] = this.maxGrowth[f];
    }
    return n;
  }
}
