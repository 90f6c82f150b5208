/** Loads a scenario file (TOML) into a validated RunConfig, applying `--set` and `--seed` overrides. */
import { readFileSync } from 'node:fs';
import { parse, TomlError } from 'smol-toml';
import type { RunConfig } from '../machine/config.ts';
import { ScenarioError } from './errors.ts';
import { checkInt, type Table } from './fields.ts';
import { applySetOverrides } from './set.ts';
import { validateScenario } from './validate.ts';

/** What the command line may change in a scenario, and what validation may check it against. */
export interface ScenarioOverrides {
  /** Replaces the file's `seed` (`--seed`). */
  seed?: number;
  /** `path=value` assignments applied before validation (`--set`), in order. */
  set?: readonly string[];
  /** Cost-model parameter names; when given, unknown `[costs]` keys are errors. */
  knownCostNames?: readonly string[];
}

/**
 * Reads and validates the scenario at `path`. Every problem, including an unreadable file, is a
 * ScenarioError whose message starts with `path` as given.
 */
export function loadScenarioFile(path: string, overrides: ScenarioOverrides = {}): RunConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ScenarioError({ file: path, field: '', problem: `cannot read scenario file (${code})` });
  }
  return parseScenario(text, path, overrides);
}

/** Parses and validates scenario `text`; `fileName` only labels error messages. */
export function parseScenario(text: string, fileName: string, overrides: ScenarioOverrides = {}): RunConfig {
  const ctx = { file: fileName };
  const doc = parseToml(text, fileName);
  applySetOverrides(doc, overrides.set ?? [], fileName);
  const config = withSetBlame(overrides.set ?? [], () =>
    validateScenario(ctx, doc, { knownCostNames: overrides.knownCostNames }),
  );
  if (overrides.seed !== undefined) {
    config.seed = checkInt(ctx, overrides.seed, '--seed', 0, Number.MAX_SAFE_INTEGER, '>= 0');
  }
  return config;
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
