/** Typed readers over an untyped TOML table: each checks one field and throws a ScenarioError naming it. */
import { nearestNames } from '../report/nearest-names.ts';
import { ScenarioError } from './errors.ts';

/** A TOML table as smol-toml returns it (null-prototype object of unknown values). */
export type Table = Record<string, unknown>;

/** Where the value being read came from, so errors can name the file. */
export interface ReadContext {
  file: string;
  /** The scenario file's directory, which module paths in it are relative to; the working directory when absent. */
  dir?: string;
}

/** Lists longer than this are cut to the nearest names, so that one-line errors stay readable. */
const ALLOWED_NAMES_SHOWN_MAX = 12;

/** Throws the ScenarioError for `field`. */
export function fail(ctx: ReadContext, field: string, problem: string, allowed?: string): never {
  throw new ScenarioError({ file: ctx.file, field, problem, allowed });
}

/** `prefix.key`, or just `key` at the top level. */
export function fieldPath(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}

/** The TOML kind of a value, as a noun phrase for error messages. */
export function kindOf(value: unknown): string {
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a float';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  if (isTable(value)) return 'a table';
  return typeof value;
}

/** True for a TOML table (a plain or null-prototype object; TOML dates are objects too, but not tables). */
export function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Shows a user's value in a message: strings quoted and cut short, other kinds by their TOML kind. */
export function show(value: unknown): string {
  if (typeof value === 'string') {
    const cut = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return JSON.stringify(cut);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return kindOf(value);
}

/**
 * Checks that `value` is a table whose keys are all in `allowed`. An unknown key is the commonest
 * typo in a scenario, so the error names it and lists what would have been accepted.
 */
export function readTable(
  ctx: ReadContext,
  value: unknown,
  field: string,
  allowed: readonly string[],
): Table {
  if (!isTable(value)) fail(ctx, field, `expected a table, got ${kindOf(value)}`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(ctx, fieldPath(field, key), 'unknown key', allowedNames(allowed, key));
  }
  return value;
}

/** The value of `key` in `table`, or undefined; own properties only, so `constructor` is never inherited. */
export function own(table: Table, key: string): unknown {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Joins allowed names for an error, keeping the ones closest to `near` when there are too many. */
export function allowedNames(names: readonly string[], near: string): string {
  if (names.length <= ALLOWED_NAMES_SHOWN_MAX) return names.join(', ');
  return nearestNames(names, near, ALLOWED_NAMES_SHOWN_MAX);
}

/** Bounds for {@link readInt}; `fallback` is used when the key is absent, else the key is required. */
export interface IntSpec {
  min: number;
  max?: number;
  fallback?: number;
}

/** Reads an integer in [min, max]. TOML `4.0` parses to the same number as `4`, so both are accepted. */
export function readInt(ctx: ReadContext, table: Table, key: string, prefix: string, spec: IntSpec): number {
  const field = fieldPath(prefix, key);
  const value = own(table, key);
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  const range = spec.max === undefined ? `>= ${spec.min}` : `${spec.min}..${spec.max}`;
  if (value === undefined) {
    if (spec.fallback !== undefined) return spec.fallback;
    fail(ctx, field, 'required key is missing', `an integer ${range}`);
  }
  return checkInt(ctx, value, field, spec.min, max, range);
}

/** Checks one already-fetched value as an integer in [min, max]. */
export function checkInt(
  ctx: ReadContext,
  value: unknown,
  field: string,
  min: number,
  max: number,
  range = `${min}..${max}`,
): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    fail(ctx, field, `expected an integer, got ${show(value)}`, range);
  }
  if (value < min || value > max) fail(ctx, field, `${value} is out of range`, range);
  return value;
}

/** Reads a finite number in [min, max] (costs and expectation bounds may be fractional). */
export function readNumber(
  ctx: ReadContext,
  value: unknown,
  field: string,
  min = -Infinity,
  max = Infinity,
): number {
  const range =
    max !== Infinity
      ? `a number ${min}..${max}`
      : min === -Infinity
        ? 'a finite number'
        : `a number >= ${min}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    fail(ctx, field, `expected a number, got ${show(value)}`, range);
  }
  if (value < min || value > max) fail(ctx, field, `${value} is out of range`, range);
  return value;
}

/** Reads an optional string; `fallback` undefined means the key is required. */
export function readString(
  ctx: ReadContext,
  table: Table,
  key: string,
  prefix: string,
  fallback?: string,
): string {
  const field = fieldPath(prefix, key);
  const value = own(table, key);
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    fail(ctx, field, 'required key is missing', 'a non-empty string');
  }
  if (typeof value !== 'string') fail(ctx, field, `expected a string, got ${kindOf(value)}`);
  if (value === '' && fallback === undefined) fail(ctx, field, 'must not be empty', 'a non-empty string');
  return value;
}

/** Reads one of a fixed set of names; `noun` words the error (`"cfs" is not a scheduler`). */
export function readChoice<T extends string>(
  ctx: ReadContext,
  table: Table,
  key: string,
  prefix: string,
  spec: { choices: readonly T[]; noun: string; fallback?: T },
): T {
  const field = fieldPath(prefix, key);
  const value = own(table, key);
  const allowed = spec.choices.join(', ');
  if (value === undefined) {
    if (spec.fallback !== undefined) return spec.fallback;
    fail(ctx, field, 'required key is missing', allowed);
  }
  if (typeof value !== 'string' || !(spec.choices as readonly string[]).includes(value)) {
    fail(ctx, field, `${show(value)} is not ${spec.noun}`, allowed);
  }
  return value as T;
}
