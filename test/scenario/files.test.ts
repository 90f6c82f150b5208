// `[[file]]` (scenario/files.ts): files seeded into the machine's file: filesystem before boot,
// and the one-line errors for a bad entry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileSystemOf } from '../../src/kernel/fd/file-scheme.ts';
import { buildMachine } from '../../src/machine/build.ts';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { parseScenario } from '../../src/scenario/load.ts';

const BASE = `
name = "files"
[[workload]]
kind = "spin"
threads = 1
iterations = 1
cycles = 1
`;

function errorOf(text: string): string {
  try {
    parseScenario(text, 'bad.toml');
  } catch (error) {
    assert.ok(error instanceof ScenarioError, String(error));
    assert.doesNotMatch(error.message, /\n/);
    return error.message;
  }
  assert.fail('expected a ScenarioError');
}

test('[[file]] entries are in the filesystem when the machine boots, directories made', () => {
  const config = parseScenario(
    `${BASE}
[[file]]
path = "/etc/init.d/10_foo.toml"
text = """
name = "foo"
"""
[[file]]
path = "/etc/hostname"
text = "smp"
`,
    'ok.toml',
  );
  assert.deepEqual(config.files, [
    { path: '/etc/init.d/10_foo.toml', text: 'name = "foo"\n' },
    { path: '/etc/hostname', text: 'smp' },
  ]);
  const { kernel } = buildMachine(config);
  const fs = fileSystemOf(kernel);
  const foo = fs.lookup('/etc/init.d/10_foo.toml');
  assert.ok(typeof foo !== 'number');
  assert.equal(new TextDecoder().decode(fs.read(foo, 0, 100)), 'name = "foo"\n');
  const etc = fs.lookup('/etc');
  assert.ok(typeof etc !== 'number' && etc.isDir);
  assert.deepEqual([...etc.children.keys()], ['init.d', 'hostname']);
});

test('[[file]] errors name the file, the field and what is allowed', () => {
  assert.match(
    errorOf(`${BASE}\n[[file]]\ntext = "x"\n`),
    /bad\.toml: file\.0\.path: required key is missing/,
  );
  assert.match(errorOf(`${BASE}\n[[file]]\npath = "etc/x"\n`), /file\.0\.path: "etc\/x" is not absolute/);
  assert.match(errorOf(`${BASE}\n[[file]]\npath = "/a/../b"\n`), /file\.0\.path: .* component "\.\."/);
  assert.match(errorOf(`${BASE}\n[[file]]\npath = "/a//b"\n`), /file\.0\.path: .* component ""/);
  assert.match(errorOf(`${BASE}\n[[file]]\npath = "/a"\ncolour = 1\n`), /file\.0\.colour: unknown key/);
  assert.match(errorOf(`${BASE}\n[file]\npath = "/a"\n`), /file: expected an array of tables/);
  assert.match(
    errorOf(`${BASE}\n[[file]]\npath = "/a"\n[[file]]\npath = "/a"\n`),
    /file\.1\.path: "\/a" is named by another/,
  );
  assert.match(
    errorOf(`${BASE}\n[[file]]\npath = "/a"\n[[file]]\npath = "/a/b"\n`),
    /file\.1\.path: .*one would be a directory of the other/,
  );
  assert.match(errorOf(`${BASE}\n[[file]]\npath = "/a"\ntext = 3\n`), /file\.0\.text: expected a string/);
});

test("[kernel] fd: mode and the improved kernel's scheme queue bound reach the kernel", () => {
  const config = parseScenario(
    `${BASE}\n[kernel]\nfd = { mode = "linux", scheme_queue_max = 8 }\n`,
    'ok.toml',
  );
  assert.deepEqual(config.kernel.fd, { mode: 'linux', schemeQueueMax: 8 });
  const { kernel } = buildMachine(config);
  assert.deepEqual(kernel.options.fd, { mode: 'linux', schemeQueueMax: 8 });
  assert.equal(parseScenario(BASE, 'ok.toml').kernel.fd, undefined);
  assert.match(
    errorOf(`${BASE}\n[kernel]\nfd = { mode = "bsd" }\n`),
    /kernel\.fd\.mode: .*not a descriptor mode/,
  );
  assert.match(
    errorOf(`${BASE}\n[kernel]\nfd = { mode = "redox", scheme_queue_max = 8 }\n`),
    /kernel\.fd\.scheme_queue_max: Redox's scheme queues are unbounded/,
  );
  assert.match(
    errorOf(`${BASE}\n[kernel]\nfd = { mode = "linux", scheme_queue_max = 0 }\n`),
    /kernel\.fd\.scheme_queue_max/,
  );
  assert.match(
    errorOf(`${BASE}\n[kernel]\nfd = { mode = "linux", depth = 1 }\n`),
    /kernel\.fd\.depth: unknown key/,
  );
});
