/**
 * Exhaustive stateless search with dynamic partial-order reduction and sleep sets (Flanagan and
 * Godefroid, "Dynamic partial-order reduction for model checking software", POPL 2005; sleep
 * sets, Godefroid 1996): one execution at a time, re-run from the start. At each state, for every
 * agent's pending action, the last earlier step it is dependent with and not ordered after by
 * happens-before (vector clocks over program order, dependence and causes) is a race, and the
 * state before that step gets the agent (or, when it was not enabled there, every enabled agent)
 * as a backtrack point. A sleep set keeps an order already explored from being explored again
 * after independent steps. With a preemption bound (CHESS) the search covers only schedules of
 * at most that many preemptions, and says so.
 */
import { dependent, type Footprint } from './footprint.ts';
import type { Machine } from './machine.ts';
import type { Violation } from './model.ts';
import { isPreemption, newMachine, type Setup } from './run.ts';

interface Node {
  enabled: number[];
  fps: Map<number, Footprint>;
  backtrack: Set<number>;
  done: Set<number>;
  /**
   * --jobs: the first branching state's agents other workers start from. Never explored here,
   * and, unlike `done`, never put to sleep in this worker's subtrees: two workers each sleeping
   * the other's agents would both skip the traces where those agents commute (k1-fixed over 2
   * workers found 7 of its 24 orders before this).
   */
  foreign: Set<number>;
  sleep: Map<number, Footprint>;
  chosen: number;
  /** Preemptions in the schedule before this node's step. */
  preemptions: number;
}

export interface SearchLimits {
  executionsMax: number;
  preemptionBound: number;
  /** Asked between executions: true to stop (a time budget). */
  stop: (executions: number) => boolean;
  /** Called with the machine at the end of every complete execution (litmus outcomes). */
  onEnd?: (m: Machine) => void;
  /** --jobs: this worker starts only from its share of the first branching state's agents. */
  rootShare?: { index: number; of: number };
}

export interface SearchResult {
  violation: Violation | null;
  schedule: number[];
  executions: number;
  steps: number;
  /** True when the whole space (within the preemption bound, if any) was covered. */
  exhaustive: boolean;
  /** True when the preemption bound cut some schedule. */
  bounded: boolean;
}

export function dporSearch(setup: Setup, limits: SearchLimits): SearchResult {
  const stack: Node[] = [];
  let executions = 0;
  let steps = 0;
  let bounded = false;
  for (;;) {
    const run = execute(setup, stack, limits);
    executions++;
    steps += run.steps;
    if (run.pruned) bounded = true;
    if (run.violation !== null) {
      const schedule = stack.slice(0, run.steps).map((n) => n.chosen);
      return { violation: run.violation, schedule, executions, steps, exhaustive: false, bounded };
    }
    const next = backtrack(stack, setup, limits.preemptionBound);
    if (next.pruned) bounded = true;
    if (!next.found) {
      return { violation: null, schedule: [], executions, steps, exhaustive: true, bounded };
    }
    if (executions >= limits.executionsMax || limits.stop(executions)) {
      return { violation: null, schedule: [], executions, steps, exhaustive: false, bounded };
    }
  }
}

/** Picks the top-most node with an unexplored backtrack agent; false when none is left. */
function backtrack(stack: Node[], setup: Setup, bound: number): { found: boolean; pruned: boolean } {
  let pruned = false;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const prev = stack.length >= 2 ? stack[stack.length - 2]!.chosen : -1;
    for (const a of [...top.backtrack].sort((x, y) => x - y)) {
      if (top.done.has(a) || top.foreign.has(a) || top.sleep.has(a) || !top.enabled.includes(a)) continue;
      if (bound >= 0 && top.preemptions + pre(setup, prev, a, top.enabled) > bound) {
        pruned = true;
        continue;
      }
      top.done.add(a);
      top.chosen = a;
      return { found: true, pruned };
    }
    stack.pop();
  }
  return { found: false, pruned };
}

function pre(setup: Setup, prev: number, next: number, enabled: readonly number[]): number {
  return isPreemption(setup.agents, prev, next, enabled) ? 1 : 0;
}

interface Execution {
  violation: Violation | null;
  steps: number;
  pruned: boolean;
}

/** Replays the stack's choices, then extends the execution to its end, adding nodes. */
function execute(setup: Setup, stack: Node[], limits: SearchLimits): Execution {
  const bound = limits.preemptionBound;
  const m = newMachine(setup, false);
  const clocks: number[][] = [];
  const lastOf = new Map<number, number>();
  let pruned = false;
  for (let depth = 0; !m.over; depth++) {
    let node = stack[depth];
    if (node === undefined) {
      node = newNode(m, stack, depth, setup, bound);
      if (limits.rootShare !== undefined) share(node, stack, limits.rootShare);
      analyseRaces(m, stack, clocks, lastOf, bound >= 0);
      const choice = pick(node, stack, depth, setup, bound);
      if (choice.pruned) pruned = true;
      if (choice.agent < 0) {
        sourceRaces(m, stack, clocks);
        return { violation: null, steps: depth, pruned };
      }
      node.chosen = choice.agent;
      node.done.add(choice.agent);
      node.backtrack.add(choice.agent);
      stack.push(node);
    }
    clocks.push(clockOf(m, node.chosen, clocks, lastOf));
    lastOf.set(node.chosen, depth);
    m.step(node.chosen);
  }
  sourceRaces(m, stack, clocks);
  limits.onEnd?.(m);
  return { violation: m.violation, steps: m.steps.length, pruned };
}

function newNode(m: Machine, stack: Node[], depth: number, setup: Setup, _bound: number): Node {
  const enabled = m.enabled();
  const fps = new Map<number, Footprint>();
  for (const a of enabled) fps.set(a, m.footprint(a));
  const sleep = new Map<number, Footprint>();
  const parent = stack[depth - 1];
  if (parent !== undefined) {
    const chosenFp = parent.fps.get(parent.chosen)!;
    const carry = (a: number, fp: Footprint) => {
      if (a !== parent.chosen && !dependent(fp, chosenFp) && enabled.includes(a)) sleep.set(a, fp);
    };
    for (const [a, fp] of parent.sleep) carry(a, fp);
    for (const a of parent.done) if (a !== parent.chosen) carry(a, parent.fps.get(a)!);
  }
  const prevPre = parent === undefined ? 0 : parent.preemptions;
  const before = stack[depth - 2];
  const prevAgent = parent === undefined ? -1 : parent.chosen;
  const extra = parent === undefined ? 0 : pre(setup, before?.chosen ?? -1, prevAgent, parent.enabled);
  return {
    enabled,
    fps,
    backtrack: new Set(),
    done: new Set(),
    foreign: new Set(),
    sleep,
    chosen: -1,
    preemptions: prevPre + extra,
  };
}

/** At the first branching state, keeps only this worker's share of the agents to start from. */
function share(node: Node, stack: Node[], s: { index: number; of: number }): void {
  if (node.enabled.length < 2 || stack.some((n) => n.enabled.length > 1)) return;
  node.enabled.forEach((a, i) => {
    if (i % s.of === s.index) node.backtrack.add(a);
    else node.foreign.add(a);
  });
}

/** The first enabled agent not asleep and within the bound, preferring the one that ran last. */
function pick(
  node: Node,
  stack: Node[],
  depth: number,
  setup: Setup,
  bound: number,
): { agent: number; pruned: boolean } {
  const prev = depth > 0 ? stack[depth - 1]!.chosen : -1;
  const order =
    prev >= 0 && node.enabled.includes(prev)
      ? [prev, ...node.enabled.filter((a) => a !== prev)]
      : node.enabled;
  let pruned = false;
  for (const a of order) {
    if (node.sleep.has(a) || node.done.has(a) || node.foreign.has(a)) continue;
    if (bound >= 0 && node.preemptions + pre(setup, prev, a, node.enabled) > bound) {
      pruned = true;
      continue;
    }
    return { agent: a, pruned };
  }
  return { agent: -1, pruned };
}

/** The vector clock of `agent`'s next step: its previous step's, its causes', and dependent steps'. */
function clockOf(m: Machine, agent: number, clocks: number[][], lastOf: Map<number, number>): number[] {
  const index = clocks.length;
  const fp = m.footprint(agent);
  const c = base(m, agent, clocks, lastOf);
  for (let j = 0; j < index; j++) {
    if (m.steps[j]!.agent !== agent && dependent(m.steps[j]!.fp, fp)) joinInto(c, clocks[j]!);
  }
  c[agent] = index;
  return c;
}

/** Program order and causes only: what `agent`'s next step follows before any dependence. */
function base(m: Machine, agent: number, clocks: number[][], lastOf: Map<number, number>): number[] {
  const c: number[] = [];
  const last = lastOf.get(agent);
  if (last !== undefined) joinInto(c, clocks[last]!);
  for (const k of m.causes(agent)) if (k >= 0 && k < clocks.length) joinInto(c, clocks[k]!);
  return c;
}

function joinInto(into: number[], from: readonly number[]): void {
  for (let i = 0; i < from.length; i++) {
    const v = from[i];
    if (v !== undefined && (into[i] === undefined || into[i]! < v)) into[i] = v;
  }
}

const threadOf = (m: Machine, agent: number) => m.agents.info[agent]!.thread;

const hb = (clocks: number[][], agentOf: (k: number) => number, i: number, j: number) =>
  (clocks[j]![agentOf(i)] ?? -1) >= i;

/**
 * Source-DPOR's race step over a finished (or sleep-blocked) execution (Abdulla, Aronis, Jonsson
 * and Sagonas, POPL 2014, Algorithm 1): for each race, two dependent steps of different agents
 * ordered only directly, the steps after the first that do not follow it, then the second, make
 * the sequence v that reverses the race; unless the backtrack set before the first step already
 * holds one of v's initials, one enabled there is added. The FG step above looks only at each
 * agent's last race, which sleep sets can leave unexplored; this one keeps the search sound. A
 * race whose second step is an Await that was disabled before the first, on bits only the
 * first's thread changes (owned.ts), cannot be reversed: it is skipped.
 */
function sourceRaces(m: Machine, stack: Node[], clocks: number[][]): void {
  const steps = m.steps;
  const agentOf = (k: number) => steps[k]!.agent;
  for (let k = 1; k < clocks.length; k++) {
    for (let i = k - 1; i >= 0; i--) {
      if (agentOf(i) === agentOf(k) || !dependent(steps[i]!.fp, steps[k]!.fp)) continue;
      let direct = true;
      for (let j = i + 1; j < k && direct; j++)
        if (hb(clocks, agentOf, i, j) && hb(clocks, agentOf, j, k)) direct = false;
      if (!direct) continue;
      const node = stack[i];
      if (node === undefined) continue;
      if (!node.enabled.includes(agentOf(k)) && m.stepAwaitsOwnedBy(k, threadOf(m, agentOf(i)))) continue;
      const v: number[] = [];
      for (let j = i + 1; j < k; j++) if (!hb(clocks, agentOf, i, j)) v.push(j);
      v.push(k);
      const initials: number[] = [];
      for (let u = 0; u < v.length; u++) {
        const a = agentOf(v[u]!);
        if (initials.includes(a)) continue;
        if (!v.slice(0, u).some((w) => hb(clocks, agentOf, w, v[u]!))) initials.push(a);
      }
      if (initials.some((a) => node.backtrack.has(a))) continue;
      const add = initials.find((a) => node.enabled.includes(a));
      if (add !== undefined) node.backtrack.add(add);
    }
  }
}

/**
 * FG-DPOR's race step over the agents with a pending action that cannot run now (a blocked Await
 * or futex wait, a store waiting for its buffer): source-DPOR's step sees only steps that ran.
 * An enabled agent's pending step is left to source-DPOR: it runs before the execution ends
 * (or the execution is sleep-blocked, which Abdulla et al.'s Algorithm 1 also covers), and FG's
 * "last race" backtrack points on top of source sets only cost executions that end
 * sleep-blocked (k1-fixed with 6 APs: 1,245 executions with them, 720 = 6! without; every
 * fixed and litmus model reaches the same final states either way, measured). Under a
 * preemption bound (`everyAgent`) they are kept: source sets are not complete for bounded
 * schedules, and the extra points find more of them (the 2x2 test's two orders). A pending
 * Await on bits the racing step's thread alone changes (owned.ts) could not have run before it:
 * nothing is added then.
 */
function analyseRaces(
  m: Machine,
  stack: Node[],
  clocks: number[][],
  lastOf: Map<number, number>,
  everyAgent: boolean,
): void {
  const enabled = new Set(m.enabled());
  for (const p of m.pendingAgents()) {
    if (!everyAgent && enabled.has(p)) continue; // its races are source-DPOR's once it runs
    const fp = m.footprint(p);
    if (fp.objs.length === 0) continue;
    const c = base(m, p, clocks, lastOf);
    for (let j = m.steps.length - 1; j >= 0; j--) {
      const s = m.steps[j]!;
      if (s.agent === p || !dependent(s.fp, fp)) continue;
      if ((c[s.agent] ?? -1) >= j) continue; // ordered before p's next step: no race
      const node = stack[j]!;
      if (node.enabled.includes(p)) node.backtrack.add(p);
      else if (!m.awaitsOwnedBy(p, threadOf(m, s.agent))) {
        for (const a of node.enabled) node.backtrack.add(a);
      }
      break;
    }
  }
}
