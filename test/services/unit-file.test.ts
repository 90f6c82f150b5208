/** The unit-file parser (SVC-1): Redox's format, defaults, and one-line errors naming unit, field and allowed values. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseUnitFile } from '../../src/services/unit-file.ts';
import { dependenciesOf, RUNTIME_TARGET, templateOf } from '../../src/services/unit.ts';

test('a notify service with Redox defaults', () => {
  const r = parseUnitFile('10_netd.service', '[unit]\ndescription = "net"\n[service]\ncmd = "svc"\n');
  assert.ok(r.ok);
  assert.equal(r.unit.kind, 'service');
  assert.equal(r.unit.description, 'net');
  assert.equal(r.unit.defaultDependencies, true);
  assert.deepEqual(r.unit.requiresWeak, []);
  assert.deepEqual(r.unit.service!.type, { kind: 'notify' });
  assert.equal(r.unit.service!.restart, 'never');
  assert.equal(r.unit.service!.timeoutStartMs, null);
  assert.deepEqual(dependenciesOf(r.unit), [RUNTIME_TARGET]);
});

test('every type, requires, requires_weak, envs and the improved keys', () => {
  const text = [
    '[unit]',
    'default_dependencies = false',
    'requires_weak = ["a.service"]',
    'requires = ["b.service"]',
    '[service]',
    'cmd = "svc"',
    'args = ["--x"]',
    'envs = { K = "v" }',
    'type = { scheme = "log" }',
    'restart = "on-failure"',
    'timeout_start_ms = 5000',
    'health_check = true',
  ].join('\n');
  const r = parseUnitFile('00_logd.service', text);
  assert.ok(r.ok);
  const s = r.unit.service!;
  assert.deepEqual(s.type, { kind: 'scheme', scheme: 'log' });
  assert.deepEqual(s.args, ['--x']);
  assert.deepEqual(s.envs, { K: 'v' });
  assert.equal(s.restart, 'on-failure');
  assert.equal(s.timeoutStartMs, 5000);
  assert.equal(s.healthCheck, true);
  assert.deepEqual(dependenciesOf(r.unit), ['a.service', 'b.service']);
  for (const t of ['oneshot', 'oneshot_async', 'notify']) {
    const q = parseUnitFile('x.service', `[service]\ncmd = "c"\ntype = "${t}"\n`);
    assert.ok(q.ok);
    assert.equal(q.unit.service!.type.kind, t);
  }
});

test('a target has only [unit]; the runtime target does not depend on itself', () => {
  const r = parseUnitFile(RUNTIME_TARGET, '[unit]\nrequires_weak = ["00_logd.service"]\n');
  assert.ok(r.ok);
  assert.deepEqual(dependenciesOf(r.unit), ['00_logd.service']);
  const bad = parseUnitFile('x.target', '[unit]\n[service]\ncmd = "c"\n');
  assert.deepEqual(bad, { ok: false, error: 'unit x.target: field service: unknown field; allowed: unit' });
});

const ERRORS: [string, string, string][] = [
  [
    'a.service',
    '[service]\ncmd = "c"\ntype = "forking"\n',
    'unit a.service: field service.type: "forking" is not a service type; allowed: "notify", "oneshot", "oneshot_async", { scheme = "name" }',
  ],
  [
    'a.service',
    '[unit]\nwants = ["b"]\n[service]\ncmd = "c"\n',
    'unit a.service: field unit.wants: unknown field; allowed: description, default_dependencies, requires_weak, requires, condition_architecture, condition_board',
  ],
  [
    'a.service',
    '[service]\ncmd = "c"\nrestart = "sometimes"\n',
    'unit a.service: field service.restart: "sometimes" is not a restart policy; allowed: never, on-failure, always',
  ],
  ['a.service', '[unit]\n', 'unit a.service: field service: missing; allowed: a [service] table with cmd'],
  [
    'a.service',
    '[unit]\nrequires_weak = "b"\n[service]\ncmd = "c"\n',
    'unit a.service: field unit.requires_weak: not a list of strings; allowed: a list of strings',
  ],
  [
    'a.service',
    '[service]\ncmd = "c"\ntimeout_start_ms = -1\n',
    'unit a.service: field service.timeout_start_ms: not a whole number of ms in range; allowed: 0..3600000',
  ],
  ['a', '[unit]\n', 'unit a: file name: no unit kind; allowed: NAME.service, NAME.target'],
];

test('malformed units: one-line errors naming unit, field and allowed values', () => {
  for (const [name, text, error] of ERRORS) assert.deepEqual(parseUnitFile(name, text), { ok: false, error });
  const toml = parseUnitFile('a.service', '[service\ncmd = 1');
  assert.ok(!toml.ok);
  assert.match(toml.error, /^unit a\.service: file: not valid TOML \([^\n]*\); allowed: a TOML unit file$/);
});

test('templates substitute $INSTANCE', () => {
  assert.deepEqual(templateOf('ramfs@logging.service'), { template: 'ramfs@.service', instance: 'logging' });
  assert.equal(templateOf('ramfs.service'), null);
  const r = parseUnitFile(
    'ramfs@logging.service',
    '[service]\ncmd = "ramfs"\nargs = ["$INSTANCE"]\n',
    'logging',
  );
  assert.ok(r.ok);
  assert.deepEqual(r.unit.service!.args, ['logging']);
});

test('property: the parser never throws, and every error is one line naming the unit', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), (text) => {
      const r = parseUnitFile('p.service', text);
      if (!r.ok) {
        assert.ok(r.error.startsWith('unit p.service: field ') || r.error.startsWith('unit p.service: file'));
        assert.ok(!r.error.includes('\n'));
      }
    }),
    { numRuns: 300, seed: 19 },
  );
});
