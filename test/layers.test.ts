// The layer rules of DESIGN.md, checked over the source tree: no wall clock or ambient
// randomness inside the simulation, and each layer imports only from the layers it may see.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..');

/** Every .ts file under `dir` (a path relative to the repository), sorted. */
function sourceFiles(dir: string): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  const out: string[] = [];
  for (const name of readdirSync(abs).sort()) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/**
 * Blanks comments (and, with `blankStrings`, string contents) with spaces, keeping every newline
 * so offsets still give line numbers. Quoted strings end at their line; template literals may
 * span lines (their `${}` parts are treated as string text: good enough for a lint).
 */
function blank(text: string, blankStrings: boolean): string {
  const out = text.split('');
  let i = 0;
  const wipe = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      wipe(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      wipe(i, stop);
      i = stop;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c && (c === '`' || text[j] !== '\n'))
        j += text[j] === '\\' ? 2 : 1;
      if (blankStrings) wipe(i + 1, j);
      i = j + 1;
    } else {
      i++;
    }
  }
  return out.join('');
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let k = 0; k < index; k++) if (text[k] === '\n') line++;
  return line;
}

const FORBIDDEN = ['Math.random', 'Date.now(', 'performance.now(', 'new Date(', 'setTimeout('];

/** `[line, token]` of every forbidden call outside comments and strings. */
function forbiddenCalls(text: string): [number, string][] {
  const code = blank(text, true);
  const hits: [number, string][] = [];
  for (const token of FORBIDDEN) {
    for (let at = code.indexOf(token); at >= 0; at = code.indexOf(token, at + 1)) {
      hits.push([lineOf(code, at), token]);
    }
  }
  return hits.sort((a, b) => a[0] - b[0]);
}

/** `[line, specifier]` of every static import or re-export, side-effect import and dynamic import. */
function importsOf(text: string): [number, string][] {
  const code = blank(text, false);
  const bare = blank(text, true); // where a keyword survives here, it is code, not string text
  const found: [number, string][] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\s+from\s*)?(['"])([^'"]+)\1/g,
    /\bimport\s*\(\s*(['"])([^'"]+)\1/g,
  ];
  for (const pattern of patterns) {
    for (const m of code.matchAll(pattern)) {
      if (bare.slice(m.index, m.index + 6) !== m[0].slice(0, 6)) continue;
      const at = m.index + m[0].lastIndexOf(m[2]!);
      found.push([lineOf(code, at), m[2]!]);
    }
  }
  return found.sort((a, b) => a[0] - b[0]);
}

/** Where an import of `spec` from `file` points: a repository path for relative ones. */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  return relative(ROOT, resolve(ROOT, dirname(file), spec))
    .split('\\')
    .join('/');
}

const SIMULATION = ['src/engine', 'src/hw', 'src/kernel', 'src/libc', 'src/workloads', 'src/services'];
const GUEST = ['src/libc', 'src/workloads', 'src/services'];

/** Violations of `allowed(targetPath)` by imports of files under `dirs`, as `file:line: message`. */
function importViolations(dirs: string[], allowed: (to: string) => boolean, rule: string): string[] {
  const out: string[] = [];
  for (const file of dirs.flatMap(sourceFiles)) {
    for (const [line, spec] of importsOf(readFileSync(join(ROOT, file), 'utf8'))) {
      const to = target(file, spec);
      if (!allowed(to)) out.push(`${file}:${line}: imports ${spec} (${rule})`);
    }
  }
  return out;
}

const under = (to: string, dir: string) => to.startsWith(`${dir}/`);

test('the scanner sees forbidden calls in code but not in comments or strings', () => {
  const text = [
    '// Math.random() is banned', // 1
    'const a = Math.random();', // 2
    "const b = 'Date.now()';", // 3
    '/* setTimeout(', // 4
    '   new Date( */ const c = performance.now();', // 5
    'const d = `new Date(`;', // 6: template literal text
    'setTimeout(() => 0, 1);', // 7
  ].join('\n');
  assert.deepEqual(forbiddenCalls(text), [
    [2, 'Math.random'],
    [5, 'performance.now('],
    [7, 'setTimeout('],
  ]);
});

test('the scanner finds every kind of import with its line, and resolves relative ones', () => {
  const text = [
    "import { a } from './a.ts';", // 1
    'import {', // 2
    '  b,', // 3
    "} from '../kernel/b.ts';", // 4
    "import type { C } from '../hw/c.ts';", // 5
    "export * from '../abi/d.ts';", // 6
    "import 'node:fs';", // 7
    "const e = await import('../engine/e.ts');", // 8
    "// import { f } from '../kernel/f.ts';", // 9: a comment
    'const s = \'import x from "../kernel/g.ts"\';', // 10: a string, but it looks like an import
  ].join('\n');
  assert.deepEqual(importsOf(text), [
    [1, './a.ts'],
    [4, '../kernel/b.ts'],
    [5, '../hw/c.ts'],
    [6, '../abi/d.ts'],
    [7, 'node:fs'],
    [8, '../engine/e.ts'],
  ]);
  assert.equal(target('src/libc/x.ts', '../kernel/b.ts'), 'src/kernel/b.ts');
  assert.equal(target('src/kernel/sched/x.ts', '../../hw/cpu.ts'), 'src/hw/cpu.ts');
  assert.equal(target('src/libc/x.ts', 'node:fs'), 'node:fs');
});

test('no wall-clock read or ambient randomness inside the simulation layers', () => {
  const violations: string[] = [];
  for (const file of SIMULATION.flatMap(sourceFiles)) {
    for (const [line, token] of forbiddenCalls(readFileSync(join(ROOT, file), 'utf8'))) {
      violations.push(`${file}:${line}: ${token}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the scanned layers exist, and a rule they break would be reported with file and line', () => {
  for (const dir of ['src/engine', 'src/abi', 'src/hw', 'src/kernel', 'src/libc', 'src/workloads']) {
    assert.ok(sourceFiles(dir).length > 0, `${dir} has .ts files`);
  }
  // The kernel may import the hardware; forbidding it must turn up real imports, so the
  // checks below would catch a real crossing.
  const kernelUsesHw = importViolations(['src/kernel'], (to) => !under(to, 'src/hw'), 'probe');
  assert.ok(kernelUsesHw.length > 0);
  assert.match(
    kernelUsesHw[0]!,
    /^src\/kernel\/[\w/-]+\.ts:\d+: imports \.\.?\/.*hw\/[\w/-]+\.ts \(probe\)$/,
  );
});

test('guest code (libc, workloads, services) imports neither the kernel nor the hardware', () => {
  const violations = importViolations(
    GUEST,
    (to) => !under(to, 'src/kernel') && !under(to, 'src/hw'),
    'guest code sees the machine only through system calls',
  );
  assert.deepEqual(violations, []);
});

test('the hardware never imports the kernel', () => {
  const violations = importViolations(
    ['src/hw'],
    (to) => !under(to, 'src/kernel'),
    'the kernel installs its handlers through interfaces',
  );
  assert.deepEqual(violations, []);
});

test('the engine imports nothing outside src/engine', () => {
  const violations = importViolations(
    ['src/engine'],
    (to) => under(to, 'src/engine'),
    'the engine stands alone',
  );
  assert.deepEqual(violations, []);
});

test('the abi imports nothing outside src/abi', () => {
  const violations = importViolations(
    ['src/abi'],
    (to) => under(to, 'src/abi'),
    'abi is types and constants only',
  );
  assert.deepEqual(violations, []);
});

test('the web viewer (src/web, browser code) imports nothing outside src/web, and no Node module', () => {
  const violations = importViolations(
    ['src/web'],
    (to) => under(to, 'src/web'),
    'the viewer runs in the browser and reads the files the server hands it (issue 21)',
  );
  assert.deepEqual(violations, []);
  assert.ok(sourceFiles('src/web').length > 0, 'src/web has .ts files');
});

/** DESIGN.md's layer table, top to bottom: a layer imports only from itself and the ones above. */
const LAYER_ORDER = [
  'engine',
  'abi',
  'hw',
  'kernel',
  'libc',
  'services',
  'workloads',
  'machine',
  'explore',
  'report',
  'scenario',
  'cli',
];

test('every layer imports only from itself and the layers above it in DESIGN.md', () => {
  const violations = LAYER_ORDER.flatMap((layer, rank) =>
    importViolations(
      [`src/${layer}`],
      (to) => {
        const below = LAYER_ORDER.slice(rank + 1);
        return !below.some((lower) => under(to, `src/${lower}`));
      },
      `${layer} may not import a layer below it`,
    ),
  );
  assert.deepEqual(violations, []);
});

/**
 * Guest memory through one door (DESIGN.md, issue 13): outside the address space itself
 * (vm.ts), uaccess.ts and the mm files, kernel code makes no load, store or copy on an address
 * space; it calls uaccess (get_user, put_user, copyin, copyout, access_ok).
 */
const MEMORY_DOORS = ['src/kernel/vm.ts', 'src/kernel/uaccess.ts'];
const DIRECT_ACCESS = /\.\s*(load32|store32|readBytes|writeBytes|canAccess)\s*\(/g;

/** `[line, method]` of every direct address-space access in code (not comments or strings). */
function directAccesses(text: string): [number, string][] {
  const code = blank(text, true);
  return [...code.matchAll(DIRECT_ACCESS)].map((m) => [lineOf(code, m.index), m[1]!] as [number, string]);
}

test('the direct-access scanner sees calls in code and not in comments', () => {
  const text = ['// vm.load32(a) in a comment', 'const x = t.process.vm.load32(a);', "s = 'vm.store32(';"];
  assert.deepEqual(directAccesses(text.join('\n')), [[2, 'load32']]);
});

test('kernel code reaches guest memory only through uaccess', () => {
  const violations: string[] = [];
  for (const file of sourceFiles('src/kernel')) {
    if (MEMORY_DOORS.includes(file)) continue;
    for (const [line, method] of directAccesses(readFileSync(join(ROOT, file), 'utf8'))) {
      violations.push(`${file}:${line}: ${method} on an address space (use uaccess.ts)`);
    }
  }
  assert.deepEqual(violations, []);
});

test('guest code reaches memory only through its guest handle', () => {
  // The handle's t.load32/t.store32 and atomics are the only way: no address space, no frames.
  const reach = /\.\s*(vm|memory|frames)\b|\b(AddressSpace|PhysicalMemory)\b/g;
  const violations: string[] = [];
  for (const file of GUEST.flatMap(sourceFiles)) {
    const code = blank(readFileSync(join(ROOT, file), 'utf8'), true);
    for (const m of code.matchAll(reach)) violations.push(`${file}:${lineOf(code, m.index)}: ${m[0]}`);
  }
  assert.deepEqual(violations, []);
});

/**
 * HW-14: the kernel learns the machine only by parsing the firmware tables (kernel/topology.ts).
 * What would read the hardware's own description instead: the board's or a CPU bus's `topology`,
 * the `Topology` class itself, or the spec the board builds the tables from.
 */
const HW_TOPOLOGY_READS = [
  /\bboard\s*\.\s*topology\b/,
  /\bbus\s*\.\s*topology\b/,
  /\bimport\s+(?:type\s+)?\{[^}]*\bTopology\b[^}]*\}\s*from\s*['"][^'"]*hw\/topology\.ts['"]/,
  /\bspecFromTopology\b/,
];

/** The line of every such read outside comments (imports keep their module string to match on). */
function hwTopologyReads(text: string): number[] {
  const lines: number[] = [];
  HW_TOPOLOGY_READS.forEach((pattern, i) => {
    const code = blank(text, i !== 2);
    for (const m of code.matchAll(new RegExp(pattern.source, 'g'))) lines.push(lineOf(code, m.index));
  });
  return lines;
}

test('the topology scanner sees a board topology read and a Topology import, not a comment', () => {
  assert.equal(hwTopologyReads('const n = k.board.topology.nodeOf(0);').length, 1);
  assert.equal(hwTopologyReads("import type { Topology } from '../hw/topology.ts';").length, 1);
  assert.equal(
    hwTopologyReads("import { MigrationLevel, type TopologyView } from '../hw/topology.ts';").length,
    0,
  );
  assert.equal(hwTopologyReads('// k.board.topology is not read').length, 0);
});

test('no kernel file reads the hardware topology: CPUs, nodes and distances come from the tables (HW-14)', () => {
  const violations = sourceFiles('src/kernel').filter(
    (file) => hwTopologyReads(readFileSync(join(ROOT, file), 'utf8')).length > 0,
  );
  assert.deepEqual(violations, []);
});
