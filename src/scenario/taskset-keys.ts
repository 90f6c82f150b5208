/**
 * The `taskset` program's task list as SimSo's rows (issue 23): besides the parallel lists its
 * parameters are (`wcet_us = [..]`, `period_us = [..]` …), a scenario may give the tasks as
 * tables, inline (`tasks = [{ wcet_us = 3000, period_us = 6000 }, …]` or `[[workload.tasks]]`)
 * or in a file (`tasks_file = "set.toml"`: `[[tasks]]` rows; or `set.json`: an array of rows or
 * `{ "tasks": [...] }`), relative to the scenario. Either is read by `readTaskSet` and turned
 * into the parallel lists, so the program and its checks see one form. Giving a list form and a
 * table form together, or both table forms, is bad input naming both fields.
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse } from 'smol-toml';
import { ScenarioError } from './errors.ts';
import { fail, fieldPath, type ReadContext, readString, type Table } from './fields.ts';
import { readTaskSet } from './taskset.ts';

export const TASK_TABLE_KEYS = ['tasks', 'tasks_file'] as const;
const LIST_KEYS = ['wcet_us', 'period_us', 'deadline_us', 'offset_us'];
const US_PER_NS = 1 / 1000;

function rowsOfFile(ctx: ReadContext, table: Table, prefix: string): { file: string; rows: unknown } {
  const name = readString(ctx, table, 'tasks_file', prefix);
  const field = fieldPath(prefix, 'tasks_file');
  const allowed = 'a TOML file of [[tasks]] rows or a JSON array of them, relative to the scenario';
  let text: string;
  try {
    text = readFileSync(resolve(ctx.dir ?? '.', name), 'utf8');
  } catch (e) {
    fail(ctx, field, `cannot read ${name} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, allowed);
  }
  let data: unknown;
  try {
    data = extname(name) === '.json' ? JSON.parse(text) : parse(text);
  } catch (e) {
    fail(ctx, field, `${name} does not parse: ${(e as Error).message.split('\n')[0]}`, allowed);
  }
  const rows = Array.isArray(data) ? data : (data as Table | null)?.tasks;
  return { file: name, rows };
}

/** `table` with `tasks`/`tasks_file` replaced by the parallel lists; unchanged when neither is given. */
export function withTaskTables(ctx: ReadContext, table: Table, prefix: string): Table {
  const given = TASK_TABLE_KEYS.filter((k) => Object.hasOwn(table, k));
  if (given.length === 0) return table;
  const list = LIST_KEYS.find((k) => Object.hasOwn(table, k));
  if (given.length > 1 || list !== undefined)
    fail(
      ctx,
      fieldPath(prefix, given.length > 1 ? given[1]! : given[0]!),
      `is given with ${given.length > 1 ? given[0] : list}`,
      'the tasks as tables (tasks or tasks_file) or as parallel lists (wcet_us, period_us, …), one form',
    );
  const fromFile = given[0] === 'tasks_file' ? rowsOfFile(ctx, table, prefix) : null;
  const tasks = readRows(ctx, prefix, fromFile, table.tasks);
  const out: Table = { ...table };
  for (const k of TASK_TABLE_KEYS) delete out[k];
  out.wcet_us = tasks.map((t) => t.wcet_ns * US_PER_NS);
  out.period_us = tasks.map((t) => t.period_ns * US_PER_NS);
  out.deadline_us = tasks.map((t) => t.deadline_ns * US_PER_NS);
  out.offset_us = tasks.map((t) => t.offset_ns * US_PER_NS);
  return out;
}

function readRows(
  ctx: ReadContext,
  prefix: string,
  fromFile: { file: string; rows: unknown } | null,
  inline: unknown,
) {
  if (fromFile === null) return readTaskSet(ctx.file, fieldPath(prefix, 'tasks'), inline);
  try {
    return readTaskSet(fromFile.file, 'tasks', fromFile.rows);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    // The row's own field, inside the task file, named from the scenario's field.
    fail(ctx, fieldPath(prefix, 'tasks_file'), `${fromFile.file}: ${e.field}: ${e.problem}`, e.allowed);
  }
}
