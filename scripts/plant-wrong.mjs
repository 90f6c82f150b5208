// Proves that tests can fail (issue 11): for each test file, plants one wrong expectation in
// guest code (an assert inside a generator, which runs as a guest program) and one in host code
// (an assert the test itself runs), each in a temporary copy next to the original, runs the
// copy, and reports whether it failed. A planted copy that still passes is a dead assertion.
//
//   node scripts/plant-wrong.mjs [--max N] [--all-guest] [test files...]
//
// With no files, it samples the test files that have asserts inside guest code, N of them
// (default 4). --all-guest plants every guest-side expectation of each file, one copy each. A literal is planted wrong by adding 1 to a number, flipping a boolean, or
// changing the first number of an array literal. Exit status 1 if any planted copy passed.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import ts from 'typescript';

const ASSERTS = /^assert\.(equal|strictEqual|deepEqual|deepStrictEqual)$/;

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts') && !name.startsWith('.') && !path.includes('support')) out.push(path);
  }
  return out;
}

/** The literal an expectation compares against, if it is one we can plant wrong. */
function plantable(node) {
  if (ts.isNumericLiteral(node)) return { node, text: String(Number(node.text) + 1) };
  if (node.kind === ts.SyntaxKind.TrueKeyword) return { node, text: 'false' };
  if (node.kind === ts.SyntaxKind.FalseKeyword) return { node, text: 'true' };
  if (ts.isArrayLiteralExpression(node)) {
    for (const element of node.elements) {
      const inner = plantable(element);
      if (inner !== null && ts.isNumericLiteral(inner.node)) return inner;
    }
  }
  return null;
}

/** Every plantable expectation in `source`, each marked guest (inside a generator) or host. */
function expectations(file, source) {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node, inGuest) => {
    const isGenerator =
      (ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isMethodDeclaration(node)) &&
      node.asteriskToken !== undefined;
    const guest = inGuest || isGenerator;
    if (
      ts.isCallExpression(node) &&
      ASSERTS.test(node.expression.getText(sf)) &&
      node.arguments.length >= 2
    ) {
      const literal = plantable(node.arguments[1]);
      if (literal !== null) {
        const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
        found.push({
          where: guest ? 'guest' : 'host',
          line: line + 1,
          start: literal.node.getStart(sf),
          end: literal.node.getEnd(),
          from: literal.node.getText(sf),
          to: literal.text,
        });
      }
    }
    ts.forEachChild(node, (child) => visit(child, guest));
  };
  visit(sf, false);
  return found;
}

/** Runs a planted copy of `file`; true when the test run failed, with its failure count. */
function runPlanted(file, source, plant) {
  const copy = join(dirname(file), `.planted-${basename(file)}`);
  writeFileSync(copy, source.slice(0, plant.start) + plant.to + source.slice(plant.end));
  try {
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', copy], {
      encoding: 'utf8',
    });
    const failed = Number(/^# fail (\d+)$/m.exec(run.stdout)?.[1] ?? 0);
    return { failed: run.status !== 0, count: failed };
  } finally {
    rmSync(copy, { force: true });
  }
}

function main(argv) {
  let max = 4;
  let allGuest = false;
  const named = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--max') max = Number(argv[++i]);
    else if (argv[i] === '--all-guest') allGuest = true;
    else named.push(argv[i]);
  }
  if (!Number.isInteger(max) || max < 1) {
    console.error('plant-wrong: --max: expected a positive integer');
    return 2;
  }
  const candidates = named.length > 0 ? named : findTests('test');
  const chosen = [];
  for (const file of candidates) {
    const source = readFileSync(file, 'utf8');
    const all = expectations(file, source);
    const guest = all.find((e) => e.where === 'guest');
    const host = all.find((e) => e.where === 'host');
    if (named.length === 0 && guest === undefined) continue; // sample the files with guest asserts
    const plants = allGuest ? all.filter((e) => e.where === 'guest') : [guest, host];
    chosen.push({ file, source, plants: plants.filter((p) => p !== undefined) });
    if (named.length === 0 && chosen.length >= max) break;
  }
  let dead = 0;
  for (const { file, source, plants } of chosen) {
    if (plants.length === 0) console.log(`${file}: no plantable assert.equal/deepEqual literal`);
    for (const plant of plants) {
      const result = runPlanted(file, source, plant);
      const verdict = result.failed
        ? `FAILS (${result.count} test${result.count === 1 ? '' : 's'})`
        : 'PASSES: dead';
      console.log(`${file}:${plant.line} ${plant.where.padEnd(5)} ${plant.from} -> ${plant.to}: ${verdict}`);
      if (!result.failed) dead++;
    }
  }
  return dead === 0 ? 0 : 1;
}

process.exit(main(process.argv.slice(2)));
