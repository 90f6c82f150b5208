// `smpsim run` in its own node process over a few hostile files (issue 12): each refused with exit 2 and one
// line on stderr, no stack trace, in bounded time and memory. One process runs them all, so the
// smoke costs one start-up.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const DIR = mkdtempSync(join(tmpdir(), 'smpsim-hostile-'));

const HOSTILE: Record<string, string | Uint8Array> = {
  'binary.toml': new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0xff, 0xfe, 0x00, 0x01]),
  'deep.toml': `name = "deep"\nx = ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
  'proto.toml':
    'name = "p"\n[__proto__]\npolluted = true\n[[workload]]\nkind = "spin"\niterations = 1\ncycles = 1\n',
  'nan.toml':
    'name = "n"\n[costs]\nipiLatencyNs = nan\n[[workload]]\nkind = "spin"\niterations = 1\ncycles = 1\n',
  'keys.toml': `name = "k"\n[costs]\n${Array.from({ length: 20_000 }, (_, i) => `k${i} = ${i}`).join('\n')}\n`,
};

/** Runs each file through one node process of the binary and reports status and stderr per file. */
const DRIVER = `
import { main } from ${JSON.stringify(join(ROOT, 'src', 'cli', 'main.ts'))};
const results = {};
for (const file of process.argv.slice(1)) {
  let err = '';
  const status = await main(['run', file], { out: () => {}, err: (s) => { err += s; } });
  results[file] = { status, err };
}
process.stdout.write(JSON.stringify(results));
`;

test('hostile files in a separate process: exit 2 and one line each, nothing else', () => {
  const files = ['/dev/zero', '/dev/urandom'];
  for (const [name, body] of Object.entries(HOSTILE)) {
    writeFileSync(join(DIR, name), body);
    files.push(join(DIR, name));
  }
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', DRIVER, ...files],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  assert.equal(child.status, 0, child.stderr);
  const results = JSON.parse(child.stdout) as Record<string, { status: number; err: string }>;
  for (const file of files) {
    const r = results[file]!;
    assert.equal(r.status, 2, `${file}: ${r.err}`);
    assert.match(r.err, /^smpsim: [^\n]{1,420}\n$/, file);
    assert.doesNotMatch(r.err, /internal error|\bat .*\.ts:\d+/, file);
  }
  assert.match(results['/dev/zero']!.err, /larger than 1048576 bytes/);
  assert.match(results[join(DIR, 'binary.toml')]!.err, /not valid UTF-8/);
  assert.match(results[join(DIR, 'proto.toml')]!.err, /__proto__: unknown key/);
  assert.match(results[join(DIR, 'nan.toml')]!.err, /costs\.ipiLatencyNs: expected a number, got NaN/);
  assert.match(
    results[join(DIR, 'keys.toml')]!.err,
    /costs\.k0: unknown cost parameter \(and 19999 more unknown keys\)/,
  );
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
