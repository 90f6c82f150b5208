// The taskset's tasks as SimSo's rows (src/scenario/taskset-keys.ts): inline tables, a TOML
// file of [[tasks]] and a JSON array read into the same parallel lists the program takes; the
// two forms together, a bad row in a file and an unreadable file are one line each.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ProgramWorkload } from '../../src/machine/config.ts';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { parseScenario } from '../../src/scenario/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'taskset-keys-'));
const params = (body: string) =>
  (
    parseScenario(
      `name = "x"\n[[workload]]\nkind = "program"\nprogram = "taskset"\n${body}\n`,
      join(dir, 'x.toml'),
    ).workloads[0] as ProgramWorkload
  ).params;
const lists = (p: Record<string, unknown>) => [p.wcet_us, p.period_us, p.deadline_us, p.offset_us];
const EXPECTED = [
  [3000, 2000],
  [6000, 3000],
  [5000, 3000],
  [0, 500],
];

test('inline rows become the parallel lists, deadline and offset filled in', () => {
  const p = params(
    'tasks = [{ wcet_us = 3000, period_us = 6000, deadline_us = 5000 }, { wcet_us = 2000, period_us = 3000, offset_us = 500 }]',
  );
  assert.deepEqual(lists(p), EXPECTED);
  assert.equal('tasks' in p, false);
});

test('a TOML task file and a JSON one give the same lists', () => {
  writeFileSync(
    join(dir, 'set.toml'),
    '[[tasks]]\nwcet_us = 3000\nperiod_us = 6000\ndeadline_us = 5000\n[[tasks]]\nwcet_us = 2000\nperiod_us = 3000\noffset_us = 500\n',
  );
  writeFileSync(
    join(dir, 'set.json'),
    JSON.stringify([
      { wcet_us: 3000, period_us: 6000, deadline_us: 5000 },
      { wcet_us: 2000, period_us: 3000, offset_us: 500 },
    ]),
  );
  writeFileSync(join(dir, 'wrapped.json'), JSON.stringify({ tasks: [{ wcet_us: 3000, period_us: 6000 }] }));
  assert.deepEqual(lists(params('tasks_file = "set.toml"')), EXPECTED);
  assert.deepEqual(lists(params('tasks_file = "set.json"')), EXPECTED);
  assert.deepEqual(lists(params('tasks_file = "wrapped.json"')), [[3000], [6000], [6000], [0]]);
});

const refused = (body: string, message: string) =>
  assert.throws(
    () => params(body),
    (e: unknown) => e instanceof ScenarioError && e.message === `${join(dir, 'x.toml')}: ${message}`,
  );

test('bad input is one line naming the field', () => {
  writeFileSync(join(dir, 'bad.toml'), '[[tasks]]\nwcet_us = 3000\n');
  refused(
    'tasks = [{ wcet_us = 3 , period_us = 6 }]\nwcet_us = [1]',
    'workload.0.tasks: is given with wcet_us (allowed: the tasks as tables (tasks or tasks_file) or as parallel lists (wcet_us, period_us, …), one form)',
  );
  refused(
    'tasks_file = "bad.toml"',
    'workload.0.tasks_file: bad.toml: tasks.0.period_us: is missing (allowed: an integer 1..3600000000)',
  );
  refused(
    'tasks_file = "none.toml"',
    'workload.0.tasks_file: cannot read none.toml (ENOENT) (allowed: a TOML file of [[tasks]] rows or a JSON array of them, relative to the scenario)',
  );
  refused(
    'tasks = [{ wcet_us = 3000, period_us = 6000, prio = 1 }]',
    'workload.0.tasks.0.prio: is not a task field (allowed: wcet_us, period_us, deadline_us, offset_us)',
  );
  // The program's own check still applies to rows: wcet <= deadline <= period.
  refused(
    'tasks = [{ wcet_us = 3000, period_us = 2000 }]',
    'workload.0.deadline_us: task 0 has wcet 3000, deadline 2000, period 2000 (allowed: wcet <= deadline <= period (sched_setattr, __checkparam_dl))',
  );
});

test('tasks is a key of the taskset only', () => {
  assert.throws(
    () =>
      parseScenario('name = "x"\n[[workload]]\nkind = "program"\nprogram = "cpuhog"\ntasks = []\n', 'x.toml'),
    (e: unknown) => e instanceof ScenarioError && e.field === 'workload.0.tasks',
  );
});
