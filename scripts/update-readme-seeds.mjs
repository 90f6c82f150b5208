// Regenerates the seed-scenario part of the README's demo block from `smpsim demo`, so the
// figures stay what the model gives (test/readme.test.ts checks them). Usage:
//   node scripts/update-readme-seeds.mjs
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const demo = execFileSync(process.execPath, [join(root, 'bin', 'smpsim.js'), 'demo'], {
  cwd: root,
  encoding: 'utf8',
  maxBuffer: 64 << 20,
});
const lines = demo.split('\n');
const start = lines.findIndex((l) => l.startsWith('3. Seed scenarios'));
let end = lines.findIndex((l, i) => i > start && l.startsWith('demo:'));
while (end > start && lines[end - 1].trim() === '') end--;
if (start < 0 || end < 0) throw new Error('update-readme-seeds: demo output has no seed-scenario section');
const section = lines.slice(start, end);

const readme = readFileSync(join(root, 'README.md'), 'utf8').split('\n');
const from = readme.findIndex((l) => l.startsWith('3. Seed scenarios'));
const to = readme.findIndex((l, i) => i > from && l.startsWith('```'));
if (from < 0 || to < 0) throw new Error('update-readme-seeds: README has no seed-scenario block');
readme.splice(from, to - from, ...section);
writeFileSync(join(root, 'README.md'), readme.join('\n'));
console.log(`README.md: ${section.length} lines of seed scenarios`);
