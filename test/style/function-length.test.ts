/**
 * House rule, enforced (issue 13): no function in src/ longer than FUNCTION_LINES_MAX lines, as
 * TigerBeetle's style holds functions to 70 lines so each fits on a screen and reads as one idea.
 * The TypeScript compiler's own parser finds every function (declarations, methods, accessors,
 * constructors, arrows and function expressions). A nested helper is checked on its own, and its
 * lines also count in the function around it: wrapping a long body in a closure does not shorten it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..', '..');
export const FUNCTION_LINES_MAX = 70;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

interface LongFunction {
  where: string;
  name: string;
  lines: number;
}

function functionName(node: ts.Node, file: ts.SourceFile): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name !== undefined) return named.name.getText(file);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent !== undefined && ts.isVariableDeclaration(parent)) return parent.name.getText(file);
  return '<anonymous>';
}

/** Every function-like node in `path` whose body spans more than `max` lines. */
export function longFunctions(path: string, max: number): LongFunction[] {
  const text = readFileSync(path, 'utf8');
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.ES2023, true);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const body = node.body as ts.Node;
      const first = file.getLineAndCharacterOfPosition(body.getStart(file)).line;
      const last = file.getLineAndCharacterOfPosition(body.getEnd()).line;
      const lines = last - first + 1;
      if (lines > max) {
        const where = `${relative(ROOT, path)}:${first + 1}`;
        found.push({ where, name: functionName(node, file), lines });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

test(`no function in src/ is longer than ${FUNCTION_LINES_MAX} lines`, () => {
  const long = sourceFiles(join(ROOT, 'src')).flatMap((path) => longFunctions(path, FUNCTION_LINES_MAX));
  const listed = long.map((f) => `${f.where} ${f.name} (${f.lines} lines)`);
  assert.deepEqual(listed, [], 'split these into named steps');
});

test('the length check finds a long function (it can fail)', () => {
  const dir = join(ROOT, 'test', 'style');
  const long = longFunctions(join(dir, 'function-length.test.ts'), 5);
  assert.ok(
    long.some((f) => f.name === 'longFunctions'),
    'longFunctions itself is over 5 lines',
  );
});
