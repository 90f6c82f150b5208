/** `--set path=value` overrides, applied to the parsed scenario document before it is validated. */
import { parse } from 'smol-toml';
import { ScenarioError } from './errors.ts';
import { isTable, kindOf, type Table } from './fields.ts';

/**
 * Applies each `path=value` to `doc` in order. Paths are dotted keys with array indices as numbers
 * (`machine.cpus`, `workload.0.workers`, `costs.ipiLatencyNs`); missing tables on the way are
 * created, so a cost can be set in a scenario that has no `[costs]`. Because the result is validated
 * afterwards, a bad value gets the same error as the same value written in the file.
 */
export function applySetOverrides(doc: Table, sets: readonly string[], file: string): void {
  for (const assignment of sets) {
    const eq = assignment.indexOf('=');
    // Spaces around the keys and the value are the shell's, not the scenario's: `machine.cpus = 8`.
    const path = (eq < 0 ? assignment : assignment.slice(0, eq)).trim();
    const field = `--set ${path}`;
    const bad = (problem: string, allowed?: string): never => {
      throw new ScenarioError({ file, field, problem, allowed });
    };
    if (eq < 0) bad('expected path=value', 'e.g. machine.cpus=8');
    const keys = path.split('.').map((k) => k.trim());
    if (keys.some((k) => k.trim() === '')) bad('empty key in path', 'dotted keys such as workload.0.workers');
    setPath(doc, keys, parseSetValue(assignment.slice(eq + 1).trim()), bad);
  }
}

/**
 * A value is read as TOML when it is one (`8`, `true`, `"x"`, `[2, 100]`), else taken as a bare
 * string, so `kernel.scheduler=dwrr` needs no shell-escaped quotes.
 */
export function parseSetValue(raw: string): unknown {
  // A line break would let the text define further keys, so such text is never parsed as TOML.
  if (/[\r\n]/.test(raw)) return raw;
  try {
    const value = parse(`v = ${raw}`).v;
    return value instanceof Date ? raw : value;
  } catch {
    return raw;
  }
}

function setPath(doc: Table, keys: string[], value: unknown, bad: (problem: string) => never): void {
  let container: unknown = doc;
  const walked: string[] = [];
  for (const [i, key] of keys.entries()) {
    const last = i === keys.length - 1;
    const where = walked.length === 0 ? 'the scenario' : walked.join('.');
    if (Array.isArray(container)) {
      const index = /^\d+$/.test(key) ? Number(key) : -1;
      if (index < 0 || index >= container.length) {
        bad(`${where} has ${container.length} entries, so "${key}" is not an index of it`);
      }
      if (last) container[index] = value;
      else container = container[index];
    } else if (isTable(container)) {
      if (last) setOwn(container, key, value);
      else {
        if (!Object.hasOwn(container, key)) setOwn(container, key, {});
        container = container[key];
      }
    } else {
      bad(`${where} is ${kindOf(container)}, not a table or array`);
    }
    walked.push(key);
  }
}

/** Assignment that cannot reach a prototype, whatever the key is called. */
function setOwn(table: Table, key: string, value: unknown): void {
  Object.defineProperty(table, key, { value, enumerable: true, writable: true, configurable: true });
}
