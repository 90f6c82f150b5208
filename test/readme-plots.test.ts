// The README's pictures (issue 21): each image its plots block names exists, is a PNG, and has
// twice the width and height the block gives it (scripts/update-plots.mjs writes both).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pngSize } from './support/png.ts';

const root = join(import.meta.dirname, '..');

test('the README shows two generated pictures of the sizes it states', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /<!-- plots:begin -->([\s\S]*?)<!-- plots:end -->/.exec(readme)?.[1] ?? '';
  const images = [...block.matchAll(/<img src="([^"]+)" width="(\d+(?:\.\d+)?)" height="(\d+(?:\.\d+)?)"/g)];
  assert.equal(images.length, 2, 'two pictures in the plots block');
  for (const [, file, width, height] of images) {
    const size = pngSize(readFileSync(join(root, file!)));
    assert.deepEqual(size, { width: Number(width) * 2, height: Number(height) * 2 }, file);
  }
});
