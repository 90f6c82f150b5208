// Regenerates the README's two pictures (issue 21) with `smpsim plot`, and the README block that
// shows them (between <!-- plots:begin --> and <!-- plots:end -->), whose width and height
// attributes are the images' own halved (PNGs are drawn at twice the chart's size);
// test/readme-plots.test.ts checks that each image exists and has those dimensions.
// - docs/plots/speedup.png: `smpsim scale` (thread workers, contiguous halves) drawn as speedup curves;
// - docs/plots/latency-cdf.png: the sched-wakeup-latency seed and its [[compare]] variants.
// Both are simulated, so the same on every machine. Usage: node scripts/update-plots.mjs
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const smpsim = (...args) =>
  execFileSync(process.execPath, [join(root, 'bin', 'smpsim.js'), ...args], { cwd: root, encoding: 'utf8' });

const pictures = [
  {
    file: 'docs/plots/speedup.png',
    alt: 'speedup of the primes study over 1, 2 and 4 CPUs under dwrr and fair, with the ideal line',
    make: (out) =>
      smpsim('scale', '--cpus', '1,2,4', '--runs', '3', '--mode', 'thread', '--json', '--plot', out),
  },
  {
    file: 'docs/plots/latency-cdf.png',
    alt: "wakeup latency CDFs of sched-wakeup-latency's tick sources under dwrr and fair",
    make: (out) =>
      smpsim('plot', 'scenarios/seeds/sched-wakeup-latency.toml', '--kind', 'latency-cdf', '--out', out),
  },
];

function pngSize(png) {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const tags = pictures.map((p) => {
  p.make(join(root, p.file));
  const { width, height } = pngSize(readFileSync(join(root, p.file)));
  console.log(`${p.file}: ${width} x ${height}`);
  return `<img src="${p.file}" width="${width / 2}" height="${height / 2}" alt="${p.alt}">`;
});
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const block = /<!-- plots:begin -->[\s\S]*?<!-- plots:end -->/;
if (!block.test(readme))
  throw new Error('README.md has no <!-- plots:begin --> ... <!-- plots:end --> block');
writeFileSync(
  join(root, 'README.md'),
  readme.replace(block, `<!-- plots:begin -->\n${tags.join('\n')}\n<!-- plots:end -->`),
);
