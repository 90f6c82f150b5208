// bin/code-cache.js (issue 14): the compiled CLI is compiled through a V8 code cache, written
// after a first run and used by the next, one per bundle text, Node and V8 flags.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
// @ts-expect-error: a plain JavaScript module of bin/, without declarations
import { requireCached } from '../../bin/code-cache.js';

type Cached = { exports: { answer: () => number }; save: () => void };
const load = requireCached as (file: string) => Cached;

test('code cache: written after the first load, used by the next, made anew when the bundle changes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smpsim-cc-'));
  try {
    const file = join(dir, 'bundle.cjs');
    writeFileSync(file, 'exports.answer = () => 6 * 7;\n');
    const first = load(file);
    assert.equal(first.exports.answer(), 42);
    assert.equal(readdirSync(dir).includes('code-cache'), false, 'nothing written before save()');
    first.save();
    const caches = readdirSync(join(dir, 'code-cache'));
    assert.equal(caches.length, 1);
    // A rewrite renames a new file into place: another inode.
    const inode = () => statSync(join(dir, 'code-cache', caches[0]!)).ino;
    const written = inode();
    const second = load(file);
    assert.equal(second.exports.answer(), 42);
    second.save();
    assert.deepEqual(readdirSync(join(dir, 'code-cache')), caches);
    assert.equal(inode(), written, 'the cache was taken, not rewritten');
    // Another text of another length: another cache, and the old one is not read for it.
    writeFileSync(file, 'exports.answer = () => 41 + 1 + 0;\n');
    const third = load(file);
    assert.equal(third.exports.answer(), 42);
    third.save();
    assert.equal(readdirSync(join(dir, 'code-cache')).length, 2);
  } finally {
    // The loader's importer (src/machine/import-module.ts) is for the bundle it loads, not this process.
    delete (globalThis as Record<symbol, unknown>)[Symbol.for('smpsim.importer')];
    rmSync(dir, { recursive: true, force: true });
  }
});
