/**
 * rt-app's JSON task description (github.com/scheduler-tools/rt-app, doc/tutorial.txt and
 * src/rt-app_parse_config.c), the part smpsim runs: a `global` object and a `tasks` object of
 * named tasks. A task has `instance`, `loop` (-1: until global.duration), `priority`, `policy`
 * (SCHED_OTHER, SCHED_FIFO, SCHED_RR), `cpus`, and either events in order or `phases` (named
 * objects of events, each with its own `loop`). An event key is an event name with any suffix,
 * as rt-app matches them by prefix (`run0`, `sleep_long`): `run` (µs of CPU work), `sleep`
 * (µs), `timer` ({ref, period, mode}), `lock`/`unlock` (mutex name), `wait` ({ref, mutex}),
 * `signal` (condvar), `barrier` (name). Times are microseconds, as rt-app's.
 *
 * Anything else is refused by name with what is allowed: an unknown key, and rt-app's events
 * this model lacks (runtime, suspend, resume, broad, yield, mem, iorun, fork, delay,
 * SCHED_DEADLINE), so a description never runs as something other than it says.
 */

export type RtappPolicy = 'other' | 'fifo' | 'rr';

export type RtappEvent =
  | { kind: 'run' | 'sleep'; us: number }
  | { kind: 'timer'; ref: string; periodUs: number; absolute: boolean }
  | { kind: 'lock' | 'unlock' | 'signal' | 'barrier'; ref: string }
  | { kind: 'wait'; ref: string; mutex: string };

export interface RtappPhase {
  name: string;
  loop: number;
  events: RtappEvent[];
}

export interface RtappTask {
  name: string;
  instance: number;
  /** Repetitions of all the phases; -1: until the global duration. */
  loop: number;
  policy: RtappPolicy;
  /** RT priority (1..99) for fifo and rr; nice (-20..19) for other. */
  priority: number;
  /** CPUs the task may run on; empty: any. */
  cpus: number[];
  phases: RtappPhase[];
}

export interface RtappSpec {
  /** global.duration in seconds; 0: none (every task must then have a finite loop). */
  durationS: number;
  tasks: RtappTask[];
}

/** A problem in the description: the dotted path, what is wrong, what is allowed. */
export class RtappError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
    readonly allowed: string,
  ) {
    super(`${path}: ${problem} (allowed: ${allowed})`);
  }
}

const EVENTS = ['run', 'sleep', 'timer', 'lock', 'unlock', 'wait', 'signal', 'barrier'] as const;
/** rt-app events not modelled; `runtime` is listed before `run` since the match is by prefix. */
const NOT_MODELLED = ['runtime', 'suspend', 'resume', 'broad', 'yield', 'mem', 'iorun', 'fork', 'delay'];
const TASK_KEYS = ['instance', 'loop', 'priority', 'policy', 'cpus', 'phases'];
/** global keys that only steer rt-app's own logging and calibration on a real machine: accepted, no effect. */
const GLOBAL_IGNORED = [
  'calibration',
  'logdir',
  'log_basename',
  'log_size',
  'lock_pages',
  'ftrace',
  'gnuplot',
];
const GLOBAL_KEYS = ['duration', 'default_policy', 'pi_enabled', ...GLOBAL_IGNORED];
const POLICIES: Record<string, RtappPolicy> = { SCHED_OTHER: 'other', SCHED_FIFO: 'fifo', SCHED_RR: 'rr' };
export const RTAPP_NAME = /^[a-z][a-z0-9_]{0,39}$/;
const US_MAX = 10_000_000;
const LOOP_MAX = 1_000_000;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, path: string): Obj {
  if (!isObj(v))
    throw new RtappError(path, `expected an object, got ${JSON.stringify(v) ?? typeof v}`, 'an object');
  return v;
}

function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RtappError(path, `${JSON.stringify(v)} is not an integer in range`, `${min}..${max}`);
  }
  return v;
}

function name(v: unknown, path: string): string {
  if (typeof v !== 'string' || !RTAPP_NAME.test(v)) {
    throw new RtappError(
      path,
      `${JSON.stringify(v)} is not a resource name`,
      'lower-case letters, digits and _',
    );
  }
  return v;
}

function onlyKeys(o: Obj, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new RtappError(`${path}.${k}`, 'unknown key', allowed.join(', '));
  }
}

/** The event an event key names (by prefix, as rt-app), or an error naming the key. */
function eventKind(key: string, path: string): (typeof EVENTS)[number] {
  const missing = NOT_MODELLED.find((e) => key.startsWith(e));
  if (missing !== undefined) {
    throw new RtappError(`${path}.${key}`, `rt-app event "${missing}" is not modelled`, EVENTS.join(', '));
  }
  const kind = EVENTS.find((e) => key.startsWith(e));
  if (kind === undefined) {
    throw new RtappError(
      `${path}.${key}`,
      'unknown key',
      [...TASK_KEYS, ...EVENTS.map((e) => `${e}*`)].join(', '),
    );
  }
  return kind;
}

function timer(v: unknown, path: string): RtappEvent {
  const o = obj(v, path);
  onlyKeys(o, path, ['ref', 'period', 'mode']);
  const mode = o.mode ?? 'absolute';
  if (mode !== 'absolute' && mode !== 'relative')
    throw new RtappError(`${path}.mode`, `${JSON.stringify(mode)} is not a timer mode`, 'absolute, relative');
  return {
    kind: 'timer',
    ref: name(o.ref, `${path}.ref`),
    periodUs: int(o.period, `${path}.period`, 1, US_MAX),
    absolute: mode === 'absolute',
  };
}

function event(key: string, v: unknown, path: string): RtappEvent {
  const kind = eventKind(key, path);
  const at = `${path}.${key}`;
  switch (kind) {
    case 'run':
    case 'sleep':
      return { kind, us: int(v, at, 0, US_MAX) };
    case 'timer':
      return timer(v, at);
    case 'wait': {
      const o = obj(v, at);
      onlyKeys(o, at, ['ref', 'mutex']);
      return { kind, ref: name(o.ref, `${at}.ref`), mutex: name(o.mutex, `${at}.mutex`) };
    }
    default:
      return { kind, ref: name(v, at) };
  }
}

/** The events of a task or phase object, in their order, skipping `skip` keys. */
function events(o: Obj, path: string, skip: readonly string[]): RtappEvent[] {
  return Object.entries(o)
    .filter(([k]) => !skip.includes(k))
    .map(([k, v]) => event(k, v, path));
}

function phases(task: Obj, path: string): RtappPhase[] {
  if (task.phases === undefined) return [{ name: 'p0', loop: 1, events: events(task, path, TASK_KEYS) }];
  const own = events(task, path, TASK_KEYS);
  if (own.length > 0)
    throw new RtappError(
      `${path}.phases`,
      'a task with phases has its events in them',
      'phases or events, not both',
    );
  const ps = obj(task.phases, `${path}.phases`);
  return Object.entries(ps).map(([pname, pv]) => {
    const at = `${path}.phases.${pname}`;
    const p = obj(pv, at);
    return {
      name: pname,
      loop: p.loop === undefined ? 1 : int(p.loop, `${at}.loop`, 1, LOOP_MAX),
      events: events(p, at, ['loop']),
    };
  });
}

function policyOf(v: unknown, path: string): RtappPolicy {
  const p = typeof v === 'string' ? POLICIES[v] : undefined;
  if (p === undefined)
    throw new RtappError(
      path,
      `${JSON.stringify(v)} is not a modelled policy`,
      Object.keys(POLICIES).join(', '),
    );
  return p;
}

function task(tname: string, v: unknown, defaultPolicy: RtappPolicy, cpusMax: number): RtappTask {
  const path = `tasks.${tname}`;
  if (!RTAPP_NAME.test(tname))
    throw new RtappError(
      path,
      'is not a task name (it names metrics)',
      'lower-case letters, digits and _, up to 40',
    );
  const o = obj(v, path);
  const policy = o.policy === undefined ? defaultPolicy : policyOf(o.policy, `${path}.policy`);
  const rt = policy !== 'other';
  const priority =
    o.priority === undefined
      ? rt
        ? 10
        : 0
      : int(o.priority, `${path}.priority`, rt ? 1 : -20, rt ? 99 : 19);
  const cpusRaw = o.cpus === undefined ? [] : o.cpus;
  if (!Array.isArray(cpusRaw))
    throw new RtappError(`${path}.cpus`, 'expected a list of CPUs', `CPUs 0..${cpusMax - 1}`);
  const cpus = cpusRaw.map((c, i) => int(c, `${path}.cpus.${i}`, 0, cpusMax - 1));
  const loop = o.loop === undefined ? -1 : o.loop === -1 ? -1 : int(o.loop, `${path}.loop`, 1, LOOP_MAX);
  const instance = o.instance === undefined ? 1 : int(o.instance, `${path}.instance`, 1, 64);
  return { name: tname, instance, loop, policy, priority, cpus, phases: phases(o, path) };
}

/** Parses rt-app JSON text for a machine of `cpus` CPUs; throws RtappError naming the field. */
export function parseRtapp(text: string, cpus: number): RtappSpec {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    throw new RtappError('(file)', `not JSON: ${(e as Error).message}`, 'an rt-app JSON description');
  }
  const top = obj(root, '(file)');
  onlyKeys(top, '(top)', ['global', 'tasks']);
  const g = top.global === undefined ? {} : obj(top.global, 'global');
  onlyKeys(g, 'global', GLOBAL_KEYS);
  if (g.pi_enabled !== undefined && g.pi_enabled !== false)
    throw new RtappError('global.pi_enabled', 'priority-inheritance mutexes are not modelled here', 'false');
  const durationS =
    g.duration === undefined || g.duration === -1 ? 0 : int(g.duration, 'global.duration', 1, 3600);
  const defaultPolicy =
    g.default_policy === undefined ? 'other' : policyOf(g.default_policy, 'global.default_policy');
  const ts = Object.entries(obj(top.tasks, 'tasks')).map(([k, v]) => task(k, v, defaultPolicy, cpus));
  if (ts.length === 0) throw new RtappError('tasks', 'no task', 'at least one task');
  const endless = ts.find((t) => t.loop === -1);
  if (endless !== undefined && durationS === 0) {
    throw new RtappError(
      `tasks.${endless.name}.loop`,
      'loops forever and global.duration is not set',
      'a loop count, or global.duration',
    );
  }
  return { durationS, tasks: ts };
}
