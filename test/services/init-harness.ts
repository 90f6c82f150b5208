/**
 * Drives an InitCore in virtual time with scripted children, standing in for the guest program
 * (init-program.ts) so that the scheduler's decisions can be checked to the nanosecond.
 */
import { type InitConfig, initConfig, type InitVariant } from '../../src/services/init-config.ts';
import { InitCore } from '../../src/services/init-core.ts';
import { loadClosure } from '../../src/services/unit-graph.ts';
import type { Unit } from '../../src/services/unit.ts';

export const MS = 1_000_000;
export const S = 1_000_000_000;

/** What a child does on one attempt (times from its spawn). */
export interface Behaviour {
  /** Writes its readiness byte after this long; undefined: never. */
  readyNs?: number;
  /** Exits after this long with `status`; undefined: never. */
  exitNs?: number;
  status?: number;
  /** Answers health checks (default true); false: never answers. */
  healthy?: boolean;
  /** Becomes ready 1 ms after this unit is (a driver manager waiting for a scheme). */
  readyAfterUnit?: string;
}

export interface Script {
  /** Per unit, per attempt (the last one repeats). */
  behaviours: Record<string, Behaviour[]>;
  roots: string[];
  endNs: number;
}

interface Ev {
  atNs: number;
  seq: number;
  run: () => void;
}

export function runInit(
  units: Unit[],
  variant: InitVariant,
  script: Script,
  tweak?: (c: InitConfig) => void,
) {
  const byName = new Map(units.map((u) => [u.name, u]));
  const cfg = initConfig(variant);
  tweak?.(cfg);
  const core = new InitCore(
    loadClosure(script.roots, (n) => byName.get(n) ?? 'missing', cfg.loadMode),
    cfg,
  );
  const events: Ev[] = [];
  let seq = 0;
  const at = (atNs: number, run: () => void) => events.push({ atNs, seq: seq++, run });
  const spawns: [string, number][] = [];
  const waiters: { unit: string; attempt: number; awaited: string }[] = [];
  let now = 0;
  const carry = () => {
    for (const c of core.poll(now)) {
      const list = script.behaviours[c.unit] ?? [{ readyNs: MS }];
      const b = list[Math.min(c.attempt - 1, list.length - 1)]!;
      if (c.kind === 'spawn') {
        spawns.push([c.unit, now]);
        if (b.readyNs !== undefined) at(now + b.readyNs, () => core.ready(now, c.unit, c.attempt));
        if (b.exitNs !== undefined)
          at(now + b.exitNs, () => core.exited(now, c.unit, c.attempt, b.status ?? 0));
        if (b.readyAfterUnit !== undefined)
          waiters.push({ unit: c.unit, attempt: c.attempt, awaited: b.readyAfterUnit });
      } else if (c.kind === 'kill') at(now, () => core.exited(now, c.unit, c.attempt, 9));
      else if (b.healthy !== false) at(now + MS, () => core.healthResult(now, c.unit, c.attempt, true));
    }
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!;
      if (core.records.get(w.awaited)?.firstReadyNs == null) continue;
      waiters.splice(i, 1);
      at(now + MS, () => core.ready(now, w.unit, w.attempt));
    }
  };
  carry();
  for (let steps = 0; steps < 100_000 && core.livelock === null; steps++) {
    events.sort((a, b) => a.atNs - b.atNs || a.seq - b.seq);
    const deadline = core.nextDeadlineNs();
    const nextEv = events[0]?.atNs;
    const next = Math.min(nextEv ?? Infinity, deadline ?? Infinity);
    if (next === Infinity || next > script.endNs) break;
    now = next;
    while (events.length > 0 && events[0]!.atNs === now) events.shift()!.run();
    carry();
  }
  return { core, spawns };
}

/** A unit with the given dependencies and service type (a target if `type` is null). */
export function mkUnit(
  name: string,
  deps: string[],
  type: 'notify' | 'oneshot' | 'oneshot_async' | null = 'notify',
  extra: Partial<NonNullable<Unit['service']>> & { defaultDependencies?: boolean; requires?: string[] } = {},
): Unit {
  const { defaultDependencies, requires, ...svc } = extra;
  return {
    name,
    kind: type === null ? 'target' : 'service',
    description: '',
    defaultDependencies: defaultDependencies ?? false,
    requiresWeak: deps,
    requires: requires ?? [],
    conditionArchitecture: null,
    conditionBoard: null,
    service:
      type === null
        ? null
        : {
            cmd: 'svc',
            args: [],
            envs: {},
            inheritEnvs: [],
            type: { kind: type },
            restart: 'never',
            timeoutStartMs: null,
            healthCheck: false,
            ...svc,
          },
  };
}
