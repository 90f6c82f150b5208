/**
 * Fuzzing the loader and the start of a run with mutated seed scenarios (issue 12, "done when"):
 * a value replaced by a hostile one, a key deleted, an unknown key added, or the text cut and
 * spliced. A refused file must get a one-line ScenarioError; an accepted one must be inside the
 * schema (it renders and parses back to the same configuration) and must run its first
 * simulated milliseconds with no internal error and bounded memory.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import type { RunConfig } from '../../src/machine/config.ts';
import { runConfig } from '../../src/report/run.ts';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { type Table, isTable } from '../../src/scenario/fields.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { renderScenario } from '../../src/scenario/render.ts';
import { parse, stringify } from 'smol-toml';

const SEEDS_DIR = join(import.meta.dirname, '..', '..', 'scenarios', 'seeds');
const SEED_TEXTS = readdirSync(SEEDS_DIR)
  .filter((f) => f.endsWith('.toml'))
  .sort()
  .map((f) => readFileSync(join(SEEDS_DIR, f), 'utf8'));

/** The start of a run: enough to boot, spawn the workloads and run their first bursts. */
const FIRST_MS_NS = 2_000_000;
const FIRST_EVENTS = 20_000;
/** One event computes a whole primes segment in plain TypeScript; larger ones cost seconds each. */
const SEGMENT_RUN_MAX = 100_000;
const HEAP_BYTES_MAX = 1.5 * 2 ** 30;
const MESSAGE_CHARS_MAX = 800;

function protoKeyTable(): Table {
  const t: Table = {};
  Object.defineProperty(t, '__proto__', { value: 1, enumerable: true, writable: true, configurable: true });
  return t;
}

const HOSTILE: readonly (() => unknown)[] = [
  () => Number.NaN,
  () => Number.POSITIVE_INFINITY,
  () => -1,
  () => 0,
  () => 2 ** 53,
  () => 1e300,
  () => -0.5,
  () => 3,
  () => '',
  () => 'x'.repeat(2000),
  () => 'fair',
  () => '__proto__',
  () => true,
  () => [],
  () => [[[[]]]],
  () => [1, 'two', 3],
  () => ({}),
  () => ({ a: { b: { c: { d: { e: {} } } } } }),
  protoKeyTable,
  () => new Date(0),
];

/** Every place in `doc` a value sits: [container, key] pairs, tables and arrays alike. */
function slots(
  doc: unknown,
  out: [Table | unknown[], string | number][] = [],
): [Table | unknown[], string | number][] {
  if (Array.isArray(doc)) {
    doc.forEach((v, i) => {
      out.push([doc, i]);
      slots(v, out);
    });
  } else if (isTable(doc)) {
    for (const key of Object.keys(doc)) {
      out.push([doc, key]);
      slots(doc[key], out);
    }
  }
  return out;
}

function setOwn(container: Table | unknown[], key: string | number, value: unknown): void {
  Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
}

interface Mutation {
  op: 'replace' | 'delete' | 'add';
  at: number;
  hostile: number;
}

function mutate(doc: Table, m: Mutation): void {
  const all = slots(doc);
  if (all.length === 0) return;
  const [container, key] = all[m.at % all.length]!;
  const value = HOSTILE[m.hostile % HOSTILE.length]!();
  if (m.op === 'replace') setOwn(container, key, value);
  else if (m.op === 'delete') {
    if (Array.isArray(container)) container.splice(key as number, 1);
    else delete container[key as string];
  } else {
    const target = isTable(container[key as never]) ? (container[key as never] as Table) : doc;
    setOwn(target, m.hostile % 2 === 0 ? 'bogus_key' : 'constructor', value);
  }
}

/** Parses `text`; a refusal must be a one-line ScenarioError of sensible length. */
function load(text: string): RunConfig | null {
  try {
    return parseScenario(text, 'fuzz.toml');
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    assert.doesNotMatch(error.message, /[\r\n]/);
    assert.ok(error.message.startsWith('fuzz.toml'), error.message);
    assert.ok(error.message.length <= MESSAGE_CHARS_MAX, `${error.message.length} chars`);
    return null;
  }
}

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/**
 * `config` and each variant's configuration, alone, render and parse back to themselves. Alone,
 * because a rendered scenario writes every default out, so a variant's `set` would apply to
 * stated values (a futex mode) where the original took them from the preset.
 */
function assertInsideSchema(config: RunConfig): void {
  for (const c of [{ ...config, compare: [] }, ...config.compare.map((v) => v.config)]) {
    assert.deepEqual(plain(parseScenario(renderScenario(c), 'fuzz.toml')), plain(c));
  }
}

/** An accepted configuration is inside the schema, and its first milliseconds run cleanly. */
function checkAccepted(config: RunConfig): void {
  assertInsideSchema(config);
  if (config.workloads.some((w) => w.kind === 'primes' && w.segment > SEGMENT_RUN_MAX)) return;
  const start: RunConfig = {
    ...config,
    limits: { ...config.limits, simNsMax: FIRST_MS_NS, eventsMax: FIRST_EVENTS },
    outcome: { ends: 'limit', killed: 0 },
    expect: [],
    sweep: null,
    compare: [],
  };
  const report = runConfig(start, { skipNameChecks: true }); // throws on an internal error
  assert.ok(report.sim_ns <= FIRST_MS_NS);
  assert.ok(process.memoryUsage().heapUsed < HEAP_BYTES_MAX, 'heap grew past its bound');
}

const mutation = fc.record({
  op: fc.constantFrom('replace' as const, 'delete' as const, 'add' as const),
  at: fc.nat(),
  hostile: fc.nat(),
});

test('mutated seed scenarios are refused in one line, or accepted inside the schema and run', () => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (pick, mutations) => {
      const doc = parse(SEED_TEXTS[pick % SEED_TEXTS.length]!) as Table;
      for (const m of mutations) mutate(doc, m);
      let text: string;
      try {
        text = stringify(doc);
      } catch {
        return; // not representable as TOML (a NaN key, say): nothing a file could hold
      }
      const config = load(text);
      if (config === null) return;
      accepted++;
      checkAccepted(config);
    }),
    { numRuns: 250, seed: 12 },
  );
  assert.ok(accepted > 10, `only ${accepted} mutants were accepted: the run phase went untested`);
});

test('cut and spliced seed scenario text is refused in one line or accepted inside the schema', () => {
  const edit = fc.record({ at: fc.nat(), cut: fc.nat({ max: 40 }), insert: fc.string({ maxLength: 12 }) });
  fc.assert(
    fc.property(fc.nat(), fc.array(edit, { minLength: 1, maxLength: 3 }), (pick, edits) => {
      let text = SEED_TEXTS[pick % SEED_TEXTS.length]!;
      for (const { at, cut, insert } of edits) {
        const i = at % (text.length + 1);
        text = text.slice(0, i) + insert + text.slice(i + cut);
      }
      const config = load(text);
      if (config !== null) assertInsideSchema(config);
    }),
    { numRuns: 300, seed: 7 },
  );
});
