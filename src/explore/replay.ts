/**
 * Replaying a schedule string bit for bit: every step's agent must be enabled when its turn
 * comes (else the schedule does not belong to this model, and the replay says where), and the
 * run is described step by step, hashed (the engine's TraceHash over agent, step and what the
 * step did: the same schedule gives the same hash) and exportable as a Chrome/Perfetto trace
 * (one track per agent, one slice per step; ui.perfetto.dev opens it).
 */
import { NO_CLOCK, TraceHash } from '../engine/trace-hash.ts';
import { STEPS_MAX, setupFor } from './explore.ts';
import type { Model, Violation } from './model.ts';
import { runOnce } from './run.ts';
import { parseSchedule, ScheduleError } from './schedule.ts';

export interface ReplayedStep {
  index: number;
  agent: string;
  thread: string;
  what: string;
}

export interface Replay {
  schema: 'smpsim.explore-replay/1';
  model: string;
  cpus: number;
  memory: string;
  steps: ReplayedStep[];
  violation: Violation | null;
  traceHash: string;
}

export function replaySchedule(model: Model, text: string): Replay {
  const { header, tokens } = parseSchedule(text);
  if (header.model !== model.name)
    throw new ScheduleError(`the schedule is for ${header.model}, not ${model.name}`);
  if (header.cpus < model.cpusMin || header.cpus > model.cpusMax) {
    throw new ScheduleError(
      `${header.cpus} CPUs is outside ${model.name}'s ${model.cpusMin}..${model.cpusMax}`,
    );
  }
  if (tokens.length > STEPS_MAX) throw new ScheduleError(`more than ${STEPS_MAX} steps`);
  const setup = setupFor(model, header.cpus, header.memory, true);
  const wanted = tokens.map((tok) => {
    const a = setup.agents.parse(tok);
    if (a < 0)
      throw new ScheduleError(
        `${JSON.stringify(tok)} is not an agent of ${model.name} with ${header.cpus} CPUs`,
      );
    return a;
  });
  const r = runOnce(setup, (_m, enabled, i) => {
    const a = wanted[i];
    if (a === undefined) throw new ScheduleError(`the schedule ends after ${i} steps but the run goes on`);
    if (!enabled.includes(a)) throw new ScheduleError(`step ${i}: agent ${tokens[i]} cannot step here`);
    return a;
  });
  if (r.schedule.length < wanted.length)
    throw new ScheduleError(`the run ended after ${r.schedule.length} of ${wanted.length} steps`);
  const hash = new TraceHash(NO_CLOCK);
  const steps = r.machine.steps.map((s, index) => {
    hash.mix(s.agent, index, stringHash(s.what));
    const thread = r.machine.threads[setup.agents.info[s.agent]!.thread]!.handle.name;
    return { index, agent: setup.agents.name(s.agent), thread, what: s.what };
  });
  if (r.violation !== null) hash.mix(-1, r.violation.message.length, stringHash(r.violation.message));
  return {
    schema: 'smpsim.explore-replay/1',
    model: model.name,
    cpus: header.cpus,
    memory: header.memory,
    steps,
    violation: r.violation,
    traceHash: hash.hex(),
  };
}

function stringHash(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** The replay as a Chrome trace-event JSON object: one track per agent, a 1 µs slice per step. */
export function replayChromeTrace(r: Replay): object {
  const tracks = new Map<string, number>();
  const events: object[] = [];
  for (const s of r.steps) {
    let tid = tracks.get(s.agent);
    if (tid === undefined) {
      tid = tracks.size + 1;
      tracks.set(s.agent, tid);
      const label = s.agent.startsWith('d') ? `${s.thread} store buffer (${s.agent})` : s.thread;
      events.push({ name: 'thread_name', ph: 'M', pid: 1, tid, args: { name: label } });
    }
    events.push({
      name: s.what || 'step',
      ph: 'X',
      pid: 1,
      tid,
      ts: s.index,
      dur: 1,
      args: { step: s.index },
    });
  }
  if (r.violation !== null) {
    events.push({
      name: `${r.violation.kind}: ${r.violation.message}`,
      ph: 'i',
      s: 'g',
      pid: 1,
      tid: 0,
      ts: r.steps.length,
    });
  }
  return {
    traceEvents: events,
    displayTimeUnit: 'ns',
    otherData: { model: r.model, traceHash: r.traceHash },
  };
}
