/**
 * A service unit as init holds it after parsing (SVC-1). Redox's unit format (models-2.md §10.1,
 * upstream `base/init` `init/src/unit.rs`): `[unit]` with `description`, `default_dependencies`
 * (default true), `requires_weak`, `condition_architecture`, `condition_board`; `[service]` (for
 * `.service` units only) with `cmd`, `args`, `envs`, `inherit_envs`, `type`. The plans add a hard
 * `requires`; the improved init adds `restart` (SVC-5), `timeout_start_ms` (SVC-3) and
 * `health_check` (SVC-7), which the redox init reads and ignores (it has none of them: U2, U4).
 */

/** How init learns that a service is up (Redox `type`, snake_case; `notify` is the default). */
export type ServiceType =
  | { kind: 'notify' }
  | { kind: 'oneshot' }
  | { kind: 'oneshot_async' }
  | { kind: 'scheme'; scheme: string };

export const SERVICE_TYPE_NAMES = ['notify', 'oneshot', 'oneshot_async'] as const;

/** systemd's Restart= subset the plans name (SVC-5). */
export type RestartPolicy = 'never' | 'on-failure' | 'always';
export const RESTART_POLICIES: readonly RestartPolicy[] = ['never', 'on-failure', 'always'];

export interface ServiceSpec {
  /** The program to run: a registered guest program's name. */
  cmd: string;
  args: string[];
  envs: Record<string, string>;
  inheritEnvs: string[];
  type: ServiceType;
  /** Improved init only (SVC-5); redox ignores it (U4). */
  restart: RestartPolicy;
  /** Improved init only (SVC-3): null means the init's default; 0 means no timeout. */
  timeoutStartMs: number | null;
  /** Improved init only (SVC-7): probe the service every health interval. */
  healthCheck: boolean;
}

export interface Unit {
  /** The unit's file name, e.g. `10_netd.service`, `00_runtime.target`. */
  name: string;
  kind: 'service' | 'target';
  description: string;
  defaultDependencies: boolean;
  /** "Load it and order after it": the only dependency kind Redox's init has. */
  requiresWeak: string[];
  /** The plans' hard dependency: not started if one of these failed (improved init). */
  requires: string[];
  conditionArchitecture: string[] | null;
  conditionBoard: string[] | null;
  service: ServiceSpec | null;
}

/** The target that default dependencies append (Redox `00_runtime.target`). */
export const RUNTIME_TARGET = '00_runtime.target';

/**
 * A unit's dependencies in the order init considers them: `requires_weak`, then `requires`,
 * then the runtime target when default dependencies are on (and the unit is not that target).
 */
export function dependenciesOf(unit: Unit): string[] {
  const deps = [...unit.requiresWeak, ...unit.requires];
  if (unit.defaultDependencies && unit.name !== RUNTIME_TARGET && !deps.includes(RUNTIME_TARGET))
    deps.push(RUNTIME_TARGET);
  return deps;
}

/**
 * `name@instance.service` is loaded from the template `name@.service` with `$INSTANCE`
 * substituted (Redox: `ramfs@logging.service`). Returns the template's name and the instance,
 * or null for a plain unit.
 */
export function templateOf(name: string): { template: string; instance: string } | null {
  const m = /^([^@]+)@([^@.]+)\.(service|target)$/.exec(name);
  if (m === null) return null;
  return { template: `${m[1]}@.${m[3]}`, instance: m[2]! };
}
