/**
 * The one loader of user modules: a scheduler policy (`[kernel] scheduler = { module }`,
 * `--policy-module`), a guest program (`kind = "program", module`) and an explore target are all
 * files the user wrote, imported here. `.ts` files load through tsx (a dependency), `.js` and
 * `.mjs` directly. Every way a module can fail to load (no such file, a syntax error, an error
 * thrown while it runs, a missing export) is a {@link ModuleError}: one line naming the file,
 * which the CLI prints and exits 2 on (DESIGN.md, bad input).
 *
 * A loaded module is kept by its absolute path, so a machine built later (synchronously, in
 * this thread or a worker thread that loaded it again) finds it: see loadedModule.
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { register } from 'node:module';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CODE_FORM } from './code-form.ts';
import { importModule } from './import-module.ts';

/** What is wrong with a user module: the file, the member (or empty), the problem, what is allowed. */
export interface ModuleProblem {
  file: string;
  field: string;
  problem: string;
  allowed?: string;
}

/**
 * A user module that cannot be used. Bad input, as a ScenarioError is (the CLI prints the one
 * line and exits 2); its own class because the machine layer, which loads modules for worker
 * threads too, sits above the scenario reader (DESIGN.md layers).
 */
export class ModuleError extends Error {
  override readonly name = 'ModuleError';
  /** Whose fault it is: hw/cpu.ts passes an error with a `blame` through, not as a kernel bug. */
  readonly blame = 'user-module';
  readonly file: string;
  readonly field: string;
  readonly problem: string;
  readonly allowed: string | undefined;

  constructor(p: ModuleProblem) {
    const where = [p.file, p.field].filter((s) => s !== '').join(': ');
    const allowed = p.allowed === undefined ? '' : ` (allowed: ${p.allowed})`;
    super(`${where}: ${oneLine(p.problem)}${allowed}`);
    this.file = p.file;
    this.field = p.field;
    this.problem = oneLine(p.problem);
    this.allowed = p.allowed;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** The extensions a user module may have. */
export const MODULE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'] as const;

/** What kind of module a caller loads, for messages: `a policy module`, `a guest program module`. */
export type ModuleRole = 'policy' | 'program';

const loaded = new Map<string, Record<string, unknown>>();
let hooksReady = false;

/** The absolute path of module `file` named relative to `baseDir` (a scenario's directory, or the working directory). */
export function modulePath(file: string, baseDir = '.'): string {
  return resolve(baseDir, file);
}

/** `file`'s exports once loadModule has loaded it in this thread, else undefined. */
export function loadedModule(path: string): Record<string, unknown> | undefined {
  return loaded.get(path);
}

/** Imports the module at absolute `path` (once per thread) and returns its namespace. */
export async function loadModule(path: string, role: ModuleRole): Promise<Record<string, unknown>> {
  const known = loaded.get(path);
  if (known !== undefined) return known;
  checkFile(path, role);
  await prepareLoader();
  let namespace: Record<string, unknown>;
  try {
    namespace = await importModule<Record<string, unknown>>(pathToFileURL(path).href);
  } catch (error) {
    throw new ModuleError({
      file: path,
      field: '',
      problem: `cannot load ${roleNoun(role)}: ${loadFailure(error, path)}`,
    });
  }
  loaded.set(path, namespace);
  return namespace;
}

function roleNoun(role: ModuleRole): string {
  return role === 'policy' ? 'the policy module' : 'the guest program module';
}

function checkFile(path: string, role: ModuleRole): void {
  const ext = extname(path);
  if (!(MODULE_EXTENSIONS as readonly string[]).includes(ext)) {
    const problem = `${roleNoun(role)} must be a TypeScript or JavaScript file, not "${ext || 'no extension'}"`;
    throw new ModuleError({ file: path, field: '', problem, allowed: MODULE_EXTENSIONS.join(', ') });
  }
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new ModuleError({ file: path, field: '', problem: `${roleNoun(role)} does not exist` });
  }
}

/**
 * Before the first import: from the compiled build, tsx's loader (for a `.ts` module); then the
 * hooks that hand a user module the running simulator's own entry points (entry-hooks.mjs),
 * registered last so they run first: tsx would map `smpsim/policy` through a tsconfig's `paths`
 * (this repository's maps it to src/) and so load a second copy of the kernel.
 */
async function prepareLoader(): Promise<void> {
  if (hooksReady) return;
  if (CODE_FORM !== 'source') {
    const tsx = await importModule<{ register: () => unknown }>('tsx/esm/api');
    tsx.register();
  }
  const entries = Object.fromEntries(
    Object.entries(ENTRY_FILES).map(([spec, name]) => [spec, entryUrl(name)]),
  );
  register(new URL('./entry-hooks.mjs', import.meta.url).href, { data: { entries } });
  hooksReady = true;
}

/** The package's entry points (package.json `exports`) by the file names of their sources. */
const ENTRY_FILES = { smpsim: 'index', 'smpsim/guest': 'guest', 'smpsim/policy': 'policy' };

/**
 * Set on globalThis by the compiled CLI (src/cli/cli-bundle.ts, dist/smpsim.cjs) to the
 * namespaces of the package's entry points it is built with, by specifier.
 */
export const COMPILED_CLI_ENTRIES = Symbol.for('smpsim.compiled-cli.entries');

/**
 * An entry's URL: src/NAME.ts above this file's directory from source; from the build,
 * dist/NAME.mjs beside the chunk this is in, or in the compiled CLI, which is one CommonJS
 * bundle of its own, dist/bridge/NAME.mjs, which hands out that bundle's own modules
 * (scripts/build.mjs writes the bridges).
 */
function entryUrl(name: string): string {
  if (CODE_FORM === 'source') return new URL(`../${name}.ts`, import.meta.url).href;
  const file = CODE_FORM === 'cli-bundle' ? `./bridge/${name}.mjs` : `./${name}.mjs`;
  return new URL(file, import.meta.url).href;
}

/**
 * What a failed import threw, as one line: its first line, or for tsx's "Transform failed with
 * 1 error:" the error under it (`FILE:LINE:COL: ERROR: text`) as `line L, column C: text`.
 */
function loadFailure(error: unknown, path: string): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const first = lines[0] ?? 'unknown error';
  if (!first.endsWith(':') || lines[1] === undefined) return first;
  const m = /^(.*):(\d+):(\d+): (?:ERROR: )?(.*)$/.exec(lines[1]);
  return m !== null && m[1] === path ? `line ${m[2]}, column ${m[3]}: ${m[4]}` : `${first} ${lines[1]}`;
}
