/**
 * Schedule strings: a counterexample as text a user can paste into `--replay`. The header names
 * the model, CPU count and memory model; then the agents in order, `.`-separated, a run of one
 * agent written `agent*count`: `k1@4:sc:1.2.1*2.3`. Thread agents are numbers, store-buffer
 * drains `dN` (TSO) or `dN@ADDR` (PSO).
 */
import type { Agents } from './agents.ts';
import { MEMORY_MODELS, type MemoryModelName } from './model.ts';

export interface ScheduleHeader {
  model: string;
  cpus: number;
  memory: MemoryModelName;
}

export function encodeSchedule(h: ScheduleHeader, agents: Agents, schedule: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < schedule.length; ) {
    let j = i;
    while (j < schedule.length && schedule[j] === schedule[i]) j++;
    const name = agents.name(schedule[i]!);
    parts.push(j - i > 1 ? `${name}*${j - i}` : name);
    i = j;
  }
  return `${h.model}@${h.cpus}:${h.memory}:${parts.join('.')}`;
}

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

/** Splits a schedule string into its header and agent tokens (expanded). */
export function parseSchedule(text: string): { header: ScheduleHeader; tokens: string[] } {
  const m = /^([a-z0-9-]+)@(\d+):([a-z]+):(.*)$/.exec(text.trim());
  if (m === null) throw new ScheduleError(`${JSON.stringify(text)} is not MODEL@CPUS:MEMORY:AGENTS`);
  const memory = m[3] as MemoryModelName;
  if (!MEMORY_MODELS.includes(memory))
    throw new ScheduleError(`memory model ${m[3]} is not one of ${MEMORY_MODELS.join(', ')}`);
  const tokens: string[] = [];
  for (const part of m[4] === '' ? [] : m[4]!.split('.')) {
    const rep = /^([^*]+)(?:\*(\d+))?$/.exec(part);
    if (rep === null) throw new ScheduleError(`bad schedule item ${JSON.stringify(part)}`);
    const count = rep[2] === undefined ? 1 : Number(rep[2]);
    if (count < 1 || count > 1_000_000)
      throw new ScheduleError(`bad repeat count in ${JSON.stringify(part)}`);
    for (let k = 0; k < count; k++) tokens.push(rep[1]!);
  }
  return { header: { model: m[1]!, cpus: Number(m[2]), memory }, tokens };
}
