/**
 * The unit-file parser (SVC-1). Redox's init deserialises each file with serde's
 * `deny_unknown_fields`: an unknown key, a wrong type or a bad value fails the whole file and
 * that unit is skipped while init carries on with the others (models-2.md §10.1). Here the
 * failure is a one-line message naming the unit, the field and what is allowed.
 */
import { parse } from 'smol-toml';
import {
  RESTART_POLICIES,
  type RestartPolicy,
  SERVICE_TYPE_NAMES,
  type ServiceSpec,
  type ServiceType,
  type Unit,
} from './unit.ts';

export type ParseResult = { ok: true; unit: Unit } | { ok: false; error: string };

const UNIT_KEYS = [
  'description',
  'default_dependencies',
  'requires_weak',
  'requires',
  'condition_architecture',
  'condition_board',
];
const SERVICE_KEYS = [
  'cmd',
  'args',
  'envs',
  'inherit_envs',
  'type',
  'restart',
  'timeout_start_ms',
  'health_check',
];
/** Longest start timeout a unit may ask for: one simulated hour. */
const TIMEOUT_START_MS_MAX = 3_600_000;

type Table = Record<string, unknown>;

class UnitFileError extends Error {}

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function bad(unit: string, field: string, problem: string, allowed: string): never {
  throw new UnitFileError(`unit ${unit}: field ${field}: ${problem}; allowed: ${allowed}`);
}

function checkKeys(unit: string, table: Table, section: string, allowed: readonly string[]): void {
  for (const key of Object.keys(table))
    if (!allowed.includes(key))
      bad(unit, section === '' ? key : `${section}.${key}`, 'unknown field', allowed.join(', '));
}

function str(unit: string, t: Table, section: string, key: string, fallback: string): string {
  const v = t[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'string') bad(unit, `${section}.${key}`, 'not a string', 'a string');
  return v;
}

function bool(unit: string, t: Table, section: string, key: string, fallback: boolean): boolean {
  const v = t[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') bad(unit, `${section}.${key}`, 'not a boolean', 'true or false');
  return v;
}

function strings(unit: string, t: Table, section: string, key: string): string[] | null {
  const v = t[key];
  if (v === undefined) return null;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    bad(unit, `${section}.${key}`, 'not a list of strings', 'a list of strings');
  return v as string[];
}

function serviceType(unit: string, v: unknown): ServiceType {
  const allowed = `${SERVICE_TYPE_NAMES.map((n) => `"${n}"`).join(', ')}, { scheme = "name" }`;
  if (v === undefined) return { kind: 'notify' };
  if (typeof v === 'string') {
    if ((SERVICE_TYPE_NAMES as readonly string[]).includes(v))
      return { kind: v as 'notify' | 'oneshot' | 'oneshot_async' };
    bad(unit, 'service.type', `"${v}" is not a service type`, allowed);
  }
  if (isTable(v) && Object.keys(v).length === 1 && typeof v.scheme === 'string' && v.scheme !== '')
    return { kind: 'scheme', scheme: v.scheme };
  return bad(unit, 'service.type', 'not a service type', allowed);
}

function envTable(unit: string, v: unknown): Record<string, string> {
  if (v === undefined) return {};
  if (!isTable(v) || Object.values(v).some((x) => typeof x !== 'string'))
    bad(unit, 'service.envs', 'not a table of strings', 'a table of NAME = "value"');
  return { ...(v as Record<string, string>) };
}

function timeout(unit: string, v: unknown): number | null {
  if (v === undefined) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > TIMEOUT_START_MS_MAX)
    bad(unit, 'service.timeout_start_ms', 'not a whole number of ms in range', `0..${TIMEOUT_START_MS_MAX}`);
  return v;
}

function readService(unit: string, t: unknown): ServiceSpec {
  if (!isTable(t)) bad(unit, 'service', 'not a table', 'a [service] table');
  checkKeys(unit, t, 'service', SERVICE_KEYS);
  const cmd = str(unit, t, 'service', 'cmd', '');
  if (cmd === '') bad(unit, 'service.cmd', 'missing or empty', 'the name of a program');
  const restart = str(unit, t, 'service', 'restart', 'never');
  if (!(RESTART_POLICIES as readonly string[]).includes(restart))
    bad(unit, 'service.restart', `"${restart}" is not a restart policy`, RESTART_POLICIES.join(', '));
  return {
    cmd,
    args: strings(unit, t, 'service', 'args') ?? [],
    envs: envTable(unit, t.envs),
    inheritEnvs: strings(unit, t, 'service', 'inherit_envs') ?? [],
    type: serviceType(unit, t.type),
    restart: restart as RestartPolicy,
    timeoutStartMs: timeout(unit, t.timeout_start_ms),
    healthCheck: bool(unit, t, 'service', 'health_check', false),
  };
}

function kindOfName(name: string): 'service' | 'target' {
  if (name.endsWith('.service')) return 'service';
  if (name.endsWith('.target')) return 'target';
  // Redox runs an extension-less file as a legacy script; smpsim has no script interpreter.
  throw new UnitFileError(`unit ${name}: file name: no unit kind; allowed: NAME.service, NAME.target`);
}

function readUnit(name: string, doc: Table): Unit {
  const kind = kindOfName(name);
  checkKeys(name, doc, '', kind === 'service' ? ['unit', 'service'] : ['unit']);
  const u = doc.unit ?? {};
  if (!isTable(u)) bad(name, 'unit', 'not a table', 'a [unit] table');
  checkKeys(name, u, 'unit', UNIT_KEYS);
  if (kind === 'service' && doc.service === undefined)
    bad(name, 'service', 'missing', 'a [service] table with cmd');
  return {
    name,
    kind,
    description: str(name, u, 'unit', 'description', ''),
    defaultDependencies: bool(name, u, 'unit', 'default_dependencies', true),
    requiresWeak: strings(name, u, 'unit', 'requires_weak') ?? [],
    requires: strings(name, u, 'unit', 'requires') ?? [],
    conditionArchitecture: strings(name, u, 'unit', 'condition_architecture'),
    conditionBoard: strings(name, u, 'unit', 'condition_board'),
    service: kind === 'service' ? readService(name, doc.service) : null,
  };
}

/**
 * Parses the unit file `name` (its file name, which gives its kind) from `text`. `instance`
 * substitutes `$INSTANCE` for a template unit (`name@.service`) before parsing.
 */
export function parseUnitFile(name: string, text: string, instance?: string): ParseResult {
  const source = instance === undefined ? text : text.replaceAll('$INSTANCE', instance);
  let doc: Table;
  try {
    doc = parse(source) as Table;
  } catch (e) {
    const first = String((e as Error).message).split('\n')[0];
    return { ok: false, error: `unit ${name}: file: not valid TOML (${first}); allowed: a TOML unit file` };
  }
  try {
    return { ok: true, unit: readUnit(name, doc) };
  } catch (e) {
    if (e instanceof UnitFileError) return { ok: false, error: e.message };
    throw e;
  }
}
