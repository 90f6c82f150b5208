/**
 * Loading a unit closure and finding dependency cycles (SVC-1, SVC-4).
 *
 * Redox's scheduler (models-2.md §10.1, `init/src/scheduler.rs`) loads the root units and their
 * `requires_weak` closure breadth-first; a missing unit is logged ("unit X not found") and the
 * dependency counts as met. It has no cycle detection: a cycle is found only as a queue that
 * rotates forever (U3, see init-core.ts). Two baselines of the load are kept:
 * - `redox-pre-p15-8`: every unit reached a second time is reported as "cycle detected", so a
 *   shared dependency (a diamond) gives a false cycle error, while a real one is reported too;
 * - `redox` (the P15-8 change): a `seen` set and a silent skip, so diamonds load cleanly but a
 *   real cycle is hidden and boot then livelocks.
 * The improved init (`findCycles`) walks the graph depth-first with three colours, as systemd's
 * transaction builder does (`src/core/transaction.c`, "Found ordering cycle"), and reports each
 * real cycle with its path, accepting diamonds.
 */
import { dependenciesOf, type Unit } from './unit.ts';

export type LoadMode = 'redox' | 'redox-pre-p15-8' | 'improved';

/** What `lookup` finds for a name: the unit, or why there is none (the error was logged already). */
export type Lookup = (name: string) => Unit | 'missing' | 'invalid';

export interface Closure {
  /** Units in the order the BFS reached them: the scheduler's FIFO queue. */
  units: Unit[];
  /** One line per problem, in the order found. */
  log: string[];
  /** Names that were not found or did not parse: dependencies on them count as met. */
  absent: Set<string>;
}

/** Breadth-first load of `roots` and their dependencies. */
export function loadClosure(roots: readonly string[], lookup: Lookup, mode: LoadMode): Closure {
  const units: Unit[] = [];
  const log: string[] = [];
  const absent = new Set<string>();
  const seen = new Set<string>();
  const queue: { name: string; from: string | null }[] = roots.map((name) => ({ name, from: null }));
  for (let i = 0; i < queue.length; i++) {
    const { name, from } = queue[i]!;
    if (seen.has(name)) {
      // P15-8: silent skip. Before it, any second visit was taken for a cycle.
      if (mode === 'redox-pre-p15-8' && from !== null) log.push(`cycle detected: ${from} -> ${name}`);
      continue;
    }
    seen.add(name);
    const found = lookup(name);
    if (found === 'missing' || found === 'invalid') {
      if (found === 'missing') log.push(`unit ${name} not found`);
      absent.add(name);
      continue;
    }
    units.push(found);
    for (const dep of dependenciesOf(found)) queue.push({ name: dep, from: name });
  }
  return { units, log, absent };
}

/**
 * The cycles a depth-first walk meets, one per back edge, each as its path from the first unit
 * back to itself (`a -> b -> c -> a`). A graph has a cycle iff this returns at least one;
 * diamonds give none. Edges to units not in `units` are ignored (they count as met).
 */
export function findCycles(units: readonly Unit[]): string[][] {
  const byName = new Map(units.map((u) => [u.name, u]));
  const colour = new Map<string, 'grey' | 'black'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (name: string): void => {
    colour.set(name, 'grey');
    stack.push(name);
    for (const dep of dependenciesOf(byName.get(name)!)) {
      if (!byName.has(dep)) continue;
      const c = colour.get(dep);
      if (c === 'grey') cycles.push([...stack.slice(stack.indexOf(dep)), dep]);
      else if (c === undefined) visit(dep);
    }
    stack.pop();
    colour.set(name, 'black');
  };
  for (const u of units) if (!colour.has(u.name)) visit(u.name);
  return cycles;
}

/** The units on some cycle of `cycles`. */
export function unitsOnCycles(cycles: readonly string[][]): Set<string> {
  return new Set(cycles.flat());
}

/** `a -> b -> a` for a log line. */
export function showCycle(cycle: readonly string[]): string {
  return cycle.join(' -> ');
}
