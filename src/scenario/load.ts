/** Loads a scenario file (TOML) into a validated RunConfig, applying `--set` and `--seed` overrides. */
import { closeSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import type { CompareConfig, RunConfig } from '../machine/config.ts';
import { ScenarioError } from './errors.ts';
import {
  checkInt,
  fail,
  kindOf,
  own,
  type ReadContext,
  readString,
  readTable,
  type Table,
} from './fields.ts';
import { checkRunCount } from './limits.ts';
import { applySetOverrides } from './set.ts';
import { validateScenario } from './validate.ts';

/** What the command line may change in a scenario, and what validation may check it against. */
export interface ScenarioOverrides {
  /** Replaces the file's `seed` (`--seed`). */
  seed?: number;
  /** `path=value` assignments applied before validation (`--set`), in order. */
  set?: readonly string[];
  /**
   * Ignored: `[costs]` keys are always checked against the cost model now. Kept so that callers
   * written before that need no change.
   */
  knownCostNames?: readonly string[];
}

/**
 * Reads and validates the scenario at `path`. Every problem, including an unreadable file, is a
 * ScenarioError whose message starts with `path` as given.
 */
export function loadScenarioFile(path: string, overrides: ScenarioOverrides = {}): RunConfig {
  return parseScenario(readScenarioText(path), path, overrides);
}

/** The largest scenario file read: the seed scenarios are a few KiB; 1 MiB leaves room for any real one. */
export const SCENARIO_BYTES_MAX = 1 << 20;

/**
 * The file's text, read as bytes up to {@link SCENARIO_BYTES_MAX} and decoded as strict UTF-8, so
 * that `/dev/zero`, a huge file or a binary one is refused with one line instead of filling
 * memory or being read with replacement characters.
 */
export function readScenarioText(path: string): string {
  const bytes = readBytesCapped(path, SCENARIO_BYTES_MAX);
  if (bytes === null) {
    const problem = `the file is larger than ${SCENARIO_BYTES_MAX} bytes`;
    throw new ScenarioError({
      file: path,
      field: '',
      problem,
      allowed: `a scenario of at most ${SCENARIO_BYTES_MAX} bytes`,
    });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ScenarioError({
      file: path,
      field: '',
      problem: 'the file is not valid UTF-8 text',
      allowed: 'UTF-8 TOML',
    });
  }
}

/** Up to `maxBytes` of the file, or null when it has more; works for pipes and devices too. */
function readBytesCapped(path: string, maxBytes: number): Uint8Array | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw unreadable(path, error);
  }
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const n = readSync(fd, buffer, filled, buffer.length - filled, null);
      if (n === 0) break;
      filled += n;
    }
    return filled > maxBytes ? null : buffer.subarray(0, filled);
  } catch (error) {
    throw unreadable(path, error);
  } finally {
    closeSync(fd);
  }
}

function unreadable(path: string, error: unknown): ScenarioError {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
  return new ScenarioError({ file: path, field: '', problem: `cannot read scenario file (${code})` });
}

/** Parses and validates scenario `text`; `fileName` only labels error messages. */
export function parseScenario(text: string, fileName: string, overrides: ScenarioOverrides = {}): RunConfig {
  const ctx = { file: fileName, dir: dirname(fileName) };
  const doc = parseToml(text, fileName);
  applySetOverrides(doc, overrides.set ?? [], fileName);
  const config = withSetBlame(overrides.set ?? [], () => validateScenario(ctx, doc));
  config.compare = readCompare(ctx, doc);
  checkRunCount(ctx, config);
  if (overrides.seed !== undefined) {
    config.seed = checkInt(ctx, overrides.seed, '--seed', 0, Number.MAX_SAFE_INTEGER, '>= 0');
    for (const variant of config.compare) variant.config.seed = config.seed;
  }
  return config;
}

const COMPARE_KEYS = ['name', 'set', 'metrics'];

/**
 * `[compare]`, or several variants as `[[compare]]`: each a copy of the document with its `set`
 * applied (and no sweep, expectations or compare of its own), validated like the scenario
 * itself, so a bad field in it is named as such.
 */
function readCompare(ctx: ReadContext, doc: Table): CompareConfig[] {
  const raw = own(doc, 'compare');
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return [readVariant(ctx, doc, raw, 'compare', false)];
  if (raw.length === 0) fail(ctx, 'compare', 'expected at least one [[compare]] table');
  const variants = raw.map((entry, i) => readVariant(ctx, doc, entry, `compare.${i}`, true));
  const seen = new Set<string>();
  variants.forEach((v, i) => {
    if (seen.has(v.name)) fail(ctx, `compare.${i}.name`, `"${v.name}" names another [[compare]] too`);
    seen.add(v.name);
  });
  return variants;
}

/** A name usable inside a metric path: `compare.<name>.<metric>`. */
const VARIANT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

function readVariant(
  ctx: ReadContext,
  doc: Table,
  raw: unknown,
  field: string,
  named: boolean,
): CompareConfig {
  const table = readTable(ctx, raw, field, COMPARE_KEYS);
  const name = readString(ctx, table, 'name', field);
  if (named && !VARIANT_NAME.test(name)) {
    fail(ctx, `${field}.name`, `"${name}" is not allowed: lower-case letters, digits, "-" and "_"`);
  }
  const set = readStringList(ctx, own(table, 'set'), `${field}.set`);
  const metrics = readStringList(ctx, own(table, 'metrics'), `${field}.metrics`);
  const variant = structuredClone(doc);
  for (const key of ['compare', 'sweep', 'expect']) delete variant[key];
  const where = named ? `[[compare]] ${name}` : '[compare]';
  applySetOverrides(variant, set, `${ctx.file} ${where}`);
  const config = validateScenario({ file: `${ctx.file} ${where}`, dir: ctx.dir }, variant);
  return { name, set, metrics, prefix: named ? `${name}.` : '', config };
}

function readStringList(ctx: { file: string }, value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || v === '')) {
    fail(ctx, field, `expected a non-empty array of strings, got ${kindOf(value)}`);
  }
  return value as string[];
}

/**
 * Marks a validation error as coming from `--set` when its field was set there, so the user looks at
 * the command line and not at a file that never had the bad value.
 */
function withSetBlame<T>(sets: readonly string[], validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    const paths = sets.map((s) => s.slice(0, Math.max(0, s.indexOf('='))));
    const blamed = paths.some((p) => p !== '' && (error.field === p || error.field.startsWith(`${p}.`)));
    if (!blamed) throw error;
    throw new ScenarioError({ ...error, field: `${error.field} (from --set)` });
  }
}

/** smol-toml's message carries a multi-line code excerpt; only its first line is kept, with the position. */
function parseToml(text: string, fileName: string): Table {
  try {
    return parse(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const reason = error.message
      .replace(/^Invalid TOML document:\s*/, '')
      .split('\n')[0]!
      .trim();
    const problem = `syntax error at line ${error.line}, column ${error.column}: ${reason}`;
    throw new ScenarioError({ file: fileName, field: '', problem });
  }
}
