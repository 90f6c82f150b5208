/**
 * One execution of a model, driven by a chooser (a strategy's decision at each step), with the
 * schedule it took and its preemption count (CHESS, Musuvathi et al., OSDI 2008: a switch away
 * from a thread that could have gone on; drains, the hardware's own steps, are not counted).
 */
import { Agents } from './agents.ts';
import { Machine, type MachineOptions } from './machine.ts';
import type { ModelInstance, Violation } from './model.ts';

/** Builds a fresh instance for each execution (models keep their state in their generators). */
export interface Setup {
  make: () => ModelInstance;
  agents: Agents;
  opts: MachineOptions;
}

export function makeSetup(make: () => ModelInstance, opts: MachineOptions): Setup {
  return { make, agents: new Agents(make().threads.length), opts };
}

export function newMachine(setup: Setup, describe = setup.opts.describe): Machine {
  return new Machine(setup.make(), setup.agents, { ...setup.opts, describe });
}

/** Picks the next agent among `enabled` (non-empty), at step `index`. */
export type Chooser = (m: Machine, enabled: readonly number[], index: number) => number;

export interface RunResult {
  schedule: number[];
  violation: Violation | null;
  preemptions: number;
  machine: Machine;
}

/** Whether running `next` after `prev` (with `enabled` offered) is a preemption. */
export function isPreemption(
  agents: Agents,
  prev: number,
  next: number,
  enabled: readonly number[],
): boolean {
  return (
    prev >= 0 && next !== prev && agents.isThread(prev) && agents.isThread(next) && enabled.includes(prev)
  );
}

export function runOnce(setup: Setup, choose: Chooser, describe = setup.opts.describe): RunResult {
  const m = newMachine(setup, describe);
  const schedule: number[] = [];
  let preemptions = 0;
  let prev = -1;
  while (!m.over) {
    const enabled = m.enabled();
    const next = choose(m, enabled, schedule.length);
    if (isPreemption(setup.agents, prev, next, enabled)) preemptions++;
    schedule.push(next);
    m.step(next);
    prev = next;
  }
  return { schedule, violation: m.violation, preemptions, machine: m };
}

/** The thread that ran last if it can go on, else the first enabled agent: no preemption. */
export function nonPreemptive(prev: number, enabled: readonly number[]): number {
  return prev >= 0 && enabled.includes(prev) ? prev : enabled[0]!;
}
