// The API docs (issue 22): `npm run docs:api` (TypeDoc, typedoc.json) writes docs/api/ from the
// doc comments of the three entry points, with no warning (a broken {@link} fails it). The
// output is not kept in git; this builds it into a temporary directory and reads it back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('typedoc builds the API pages of smpsim, smpsim/guest and smpsim/policy from the doc comments', () => {
  const out = mkdtempSync(join(tmpdir(), 'smpsim-api-'));
  try {
    const typedoc = join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
    const built = spawnSync(process.execPath, [typedoc, '--treatWarningsAsErrors', '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.equal(built.status, 0, `${built.stdout}${built.stderr}`);
    for (const page of ['smpsim', 'smpsim_guest', 'smpsim_policy']) {
      assert.ok(existsSync(join(out, 'modules', `${page}.html`)), `${page} has a page`);
    }
    const read = (file: string) => readFileSync(join(out, file), 'utf8');
    assert.match(read('functions/smpsim.runScenario.html'), /Loads the scenario at/);
    assert.match(read('modules/smpsim_policy.html'), /what you need to write your own scheduler policy/);
    assert.match(read('interfaces/smpsim_policy.SchedPolicy.html'), /switchLock/);
    assert.match(read('classes/smpsim_policy.TurnCounter.html'), /turn of/);
    assert.ok(existsSync(join(out, 'functions', 'smpsim_guest.pthread_create.html')));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
