// A user's module (issue 22) that cannot be used is bad input: one line naming the file (and the
// member or hook), exit 2, no stack. Each way a policy or guest program module fails to load, and
// a policy that throws while it runs, on run, scale, policies and check-policy.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Outcome, smpsim } from '../support/cli.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SEED = join(ROOT, 'scenarios', 'seeds', 'futex-robust.toml');
const FIFO = readFileSync(join(ROOT, 'examples', 'policies', 'fifo-rr.ts'), 'utf8');
const DIR = mkdtempSync(join(tmpdir(), 'smpsim-modules-'));

function file(name: string, text: string): string {
  const path = join(DIR, name);
  writeFileSync(path, text);
  return path;
}

/** Exit 2, nothing on stdout, one `smpsim: FILE: …` line on stderr matching `pattern`. */
function assertModuleError(outcome: Outcome, path: string, pattern: RegExp): void {
  assert.equal(outcome.status, 2, `stderr: ${outcome.err}`);
  assert.equal(outcome.out, '');
  assert.match(outcome.err, /^smpsim: [^\n]+\n$/);
  assert.ok(outcome.err.startsWith(`smpsim: ${path}: `), outcome.err);
  assert.match(outcome.err, pattern);
}

const policyRun = (path: string) => smpsim('run', SEED, '--policy-module', path);

test('a policy module that is missing, or not a .ts/.js file, is named with what is allowed', async () => {
  const missing = join(DIR, 'none.ts');
  assertModuleError(await policyRun(missing), missing, /: the policy module does not exist\n$/);
  const python = file('policy.py', 'def create_policy(): pass\n');
  assertModuleError(
    await policyRun(python),
    python,
    /: the policy module must be a TypeScript or JavaScript file, not "\.py" \(allowed: \.ts, \.mts, \.js, \.mjs\)\n$/,
  );
  const directory = join(DIR, 'dir.ts');
  assertModuleError(await policyRun(DIR), DIR, /not "no extension"/);
  assertModuleError(await policyRun(directory), directory, /does not exist/);
});

test('a syntax error, an error thrown on load and a missing or wrong export are one line each', async () => {
  const syntax = file('syntax.ts', 'export function createPolicy( {\n');
  assertModuleError(
    await policyRun(syntax),
    syntax,
    /: cannot load the policy module: line 2, column 0: Expected identifier but found end of file\n$/,
  );
  const syntaxJs = file('syntax.mjs', 'export const x = ;\n');
  assertModuleError(
    await policyRun(syntaxJs),
    syntaxJs,
    /: cannot load the policy module: Unexpected token ';'\n$/,
  );
  const throws = file('throws.mjs', "throw new RangeError('no config found');\n");
  assertModuleError(await policyRun(throws), throws, /: cannot load the policy module: no config found\n$/);
  const none = file('none.mjs', 'export const policy = {};\n');
  assertModuleError(
    await policyRun(none),
    none,
    /: the policy module has no export createPolicy \(allowed: export function createPolicy\(host: SchedHost\): SchedPolicy\)\n$/,
  );
  const notFn = file('not-fn.mjs', 'export const createPolicy = 3;\n');
  assertModuleError(await policyRun(notFn), notFn, /: createPolicy is not a function \(allowed: /);
});

test('a policy of the wrong shape names the member, and createPolicy throwing is the module’s fault', async () => {
  const noName = file('no-name.mjs', 'export function createPolicy() { return {}; }\n');
  assertModuleError(
    await policyRun(noName),
    noName,
    /: createPolicy\(\)\.name: missing or not a short lower-case name \(allowed: a name like "fifo-rr"\)\n$/,
  );
  const noSelect = file('no-select.ts', FIFO.replace('*select(cpu: Cpu, prev', '*chooseNext(cpu: Cpu, prev'));
  assertModuleError(
    await policyRun(noSelect),
    noSelect,
    /: createPolicy\(\)\.select: is missing \(allowed: a method \(see smpsim\/policy SchedPolicy\)\)\n$/,
  );
  const builtIn = file('built-in.ts', FIFO.replace("readonly name = 'fifo-rr'", "readonly name = 'fair'"));
  assertModuleError(
    await policyRun(builtIn),
    builtIn,
    /: createPolicy\(\)\.name: "fair" is a built-in policy's name/,
  );
  const ctor = file('ctor.ts', FIFO.replace('this.#host = host;', "throw new Error('no CPUs for me');"));
  assertModuleError(
    await policyRun(ctor),
    ctor,
    /: createPolicy: the policy threw Error: no CPUs for me \(at ctor\.ts:\d+:\d+, simulated time 0 ns\)\n$/,
  );
});

/** fifo-rr with a throw at its fourth pick, in select (a generator the CPU runs), at a known line. */
function throwingSelect(name: string): { path: string; line: number } {
  const text = FIFO.replace(
    '      this.#picks++;\n',
    "      this.#picks++;\n      if (this.#picks > 3) throw new TypeError('boom');\n",
  );
  const line = text.split('\n').findIndex((l) => l.includes("throw new TypeError('boom')")) + 1;
  return { path: file(name, text), line };
}

test('a policy that throws in a hook is its module’s fault on run, metrics, scale, policies and check-policy', async () => {
  const { path, line } = throwingSelect('throws-select.ts');
  const site = new RegExp(
    `: select: the policy threw TypeError: boom \\(at throws-select\\.ts:${line}:\\d+, simulated time \\d+ ns\\)\\n$`,
  );
  assertModuleError(await policyRun(path), path, site);
  assertModuleError(await smpsim('metrics', SEED, '--policy-module', path), path, site);
  // From worker threads too: the error comes back as a ModuleError (report/worker-messages.ts).
  const scale = ['scale', '--cpus', '1,2', '--runs', '1', '--range', '2,20000', '--jobs', '2'];
  assertModuleError(await smpsim(...scale, '--policy-module', path), path, site);
  const fairness = join(ROOT, 'scenarios', 'seeds', 'sched-fairness.toml');
  assertModuleError(await smpsim('policies', fairness, '--jobs', '2', '--policy-module', path), path, site);
  assertModuleError(await smpsim('check-policy', path, '--cases-only'), path, site);
});

test('a throw in a plain (non-generator) hook names that hook', async () => {
  const text = FIFO.replace(
    '  queued(): Thread[] {\n',
    "  queued(): Thread[] {\n    throw new Error('queue lost');\n",
  );
  const path = file('throws-queued.ts', text);
  // check-policy's machines check invariants, which read queued().
  assertModuleError(
    await smpsim('check-policy', path, '--cases-only'),
    path,
    /: queued: the policy threw Error: queue lost \(at throws-queued\.ts:\d+:\d+, /,
  );
});

test('select returning what the kernel cannot switch to is the module’s fault, not a kernel bug', async () => {
  const counter = join(ROOT, 'examples', 'programs', 'counter.toml');
  const allowed =
    "\\(allowed: null, prev, this CPU's idle context, or a runnable thread not running elsewhere\\)";
  // Leaves the picked thread queued: another CPU picks it while it runs.
  const twice = file(
    'runs-twice.ts',
    FIFO.replace('return this.#queue.splice(at, 1)[0]!;', 'return this.#queue[at]!;').replace(
      '(t) => (!t.running || t === prev) && t.allowedOn(cpu.id)',
      '(t) => t.allowedOn(cpu.id)',
    ),
  );
  assertModuleError(
    await smpsim('run', counter, '--policy-module', twice),
    twice,
    new RegExp(
      `: select: returned thread \\d+, running on CPU \\d, at simulated time \\d+ ns ${allowed}\\n$`,
    ),
  );
  const undef = file(
    'undefined.ts',
    FIFO.replace('return prev === idle ? null : idle;', 'return undefined as unknown as null;'),
  );
  assertModuleError(
    await smpsim('run', counter, '--policy-module', undef),
    undef,
    new RegExp(`: select: returned undefined, at simulated time \\d+ ns ${allowed}\\n$`),
  );
});

test('a guest program module: missing, no export, wrong shape, each named', async () => {
  const scenario = (module: string) =>
    file(
      `uses-${module.replace(/\W/g, '-')}.toml`,
      `name = "uses"\nseed = 1\n[machine]\ncpus = 1\n[[workload]]\nkind = "program"\nmodule = "./${module}"\n`,
    );
  const missing = join(DIR, 'gone.ts');
  assertModuleError(
    await smpsim('run', scenario('gone.ts')),
    missing,
    /: the guest program module does not exist\n$/,
  );
  const none = file('no-program.mjs', 'export const main = 1;\n');
  assertModuleError(
    await smpsim('run', scenario('no-program.mjs')),
    none,
    /: the guest program module has no export program \(allowed: /,
  );
  const shape = file('shape.mjs', "export const program = { image: { name: 'shape', main: 3 } };\n");
  assertModuleError(
    await smpsim('run', scenario('shape.mjs')),
    shape,
    /: program\.image\.main: is a number \(allowed: a generator function \(t, args\)\)\n$/,
  );
});
