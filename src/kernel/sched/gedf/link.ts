/**
 * The `gedf` policy's one decision, kept pure so it can be read against the reference schedule
 * (`../gedf-exact.ts`, whose `decide` it mirrors): which deadline job each CPU should run.
 *
 * As LITMUS^RT's GSN-EDF does (litmus/sched_gsn_edf.c, `link_task_to_cpu`), jobs are *linked* to
 * CPUs under the global lock and each CPU then switches to its linked job. The decision at an
 * instant starts from the links at the end of the previous instant, whatever happened earlier
 * in this one: the kernel meets a completion, a release and a wakeup at one instant as separate
 * events, in the engine's order, and G-EDF's choice (a running job keeps its CPU; a job that
 * must start takes the lowest-numbered idle CPU, else the CPU of the running job with the
 * latest deadline) must not depend on that order. Deciding again from the same start after each
 * event makes the last decision of the instant the one the reference makes once, with every
 * event of the instant applied.
 */

/** What the decision needs of a job: its absolute deadline and a tie-break (the thread id). */
export interface LinkJob {
  readonly id: number;
  gedfDeadlineNs: number;
}

/** Earlier deadline first; equal deadlines by the lower id (the reference's task id). */
export function earlier(a: LinkJob, b: LinkJob): number {
  return a.gedfDeadlineNs - b.gedfDeadlineNs || a.id - b.id;
}

/**
 * The links after a decision: `ready` holds every ready job (sorted here), `start` the links at
 * the end of the previous instant (null: no job). Returns a new array, one entry per CPU.
 */
export function decideLinks<J extends LinkJob>(ready: J[], start: readonly (J | null)[]): (J | null)[] {
  ready.sort(earlier);
  const chosen = new Set(ready.slice(0, start.length));
  const links = start.map((j) => (j !== null && chosen.has(j) ? j : null));
  const idle: number[] = [];
  const victims: number[] = [];
  start.forEach((j, cpu) => {
    if (j === null || !ready.includes(j)) idle.push(cpu);
    else if (!chosen.has(j)) victims.push(cpu);
  });
  // The victim with the latest deadline gives up its CPU first.
  victims.sort((a, b) => earlier(start[b]!, start[a]!));
  const free = [...idle, ...victims];
  for (const j of chosen) {
    if (links.includes(j)) continue;
    links[free.shift()!] = j;
  }
  return links;
}
