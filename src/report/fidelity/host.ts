/**
 * The host side of the fidelity harness (issue 23): the C programs under `fidelity/` built with
 * the system's compiler (`cc -O2 -pthread`, into a cache directory keyed by the source's hash)
 * and run pinned to the first N CPUs with `taskset`, each printing one JSON object. This is
 * outside any simulation: the wall clock here is the measurement.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { nodeCrypto } from '../../machine/builtin.ts';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

/** A host tool that is missing or failed: the message says which and how to get it. */
export class HostToolError extends Error {
  override readonly name = 'HostToolError';
}

export function fidelityDir(packageRoot: string): string {
  return join(packageRoot, 'fidelity');
}

function compiler(): string {
  for (const cc of [process.env.CC, 'cc', 'gcc', 'clang']) {
    if (cc === undefined || cc === '') continue;
    try {
      execFileSync(cc, ['--version'], { stdio: 'ignore' });
      return cc;
    } catch {}
  }
  throw new HostToolError('no C compiler found (set CC, or apt-get install gcc)');
}

/** The headers under fidelity/ (sync.h), in name order: a program's build depends on them too. */
function headers(packageRoot: string): Buffer[] {
  const dir = fidelityDir(packageRoot);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.h'))
    .sort()
    .map((f) => readFileSync(join(dir, f)));
}

/** Builds `fidelity/NAME.c` once per version of it and the headers; returns the binary's path. */
export function buildHostProgram(packageRoot: string, name: string): string {
  const source = join(fidelityDir(packageRoot), `${name}.c`);
  const hasher = nodeCrypto().createHash('sha256').update(readFileSync(source));
  for (const h of headers(packageRoot)) hasher.update(h);
  const hash = hasher.digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'smpsim-fidelity');
  const binary = join(dir, `${name}-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const cc = compiler();
  try {
    // Built beside its name and renamed into place: two commands building at once both succeed.
    const partial = `${binary}.${process.pid}.tmp`;
    execFileSync(cc, ['-O2', '-pthread', '-o', partial, source, '-lm'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    renameSync(partial, binary);
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '').split('\n')[0];
    throw new HostToolError(`${cc} could not build ${source}: ${stderr}`);
  }
  return binary;
}

/** The CPUs this process may run on: taskset pins to a prefix of them. */
export function hostCpus(): number {
  return availableParallelism();
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs the binary on CPUs 0..cpus-1 and parses its one JSON line. */
export function runHostProgram(
  binary: string,
  args: readonly string[],
  cpus: number,
): Record<string, unknown> {
  if (!hasTaskset()) throw new HostToolError('taskset not found (apt-get install util-linux)');
  const list = cpus === 1 ? '0' : `0-${cpus - 1}`;
  const out = execFileSync('taskset', ['-c', list, binary, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  try {
    return JSON.parse(out) as Record<string, unknown>;
  } catch {
    throw new HostToolError(`${binary} printed no JSON: ${out.slice(0, 80)}`);
  }
}

/** Median and relative spread ((max - min) / median) of a sample. */
export function medianSpread(values: readonly number[]): { median: number; spread: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[(sorted.length - 1) >> 1]!;
  return { median, spread: median === 0 ? 0 : (sorted[sorted.length - 1]! - sorted[0]!) / median };
}

/** A one-line description of the host for the recorded results. */
export function describeHost(): { cpus: number; model: string; kernel: string } {
  let model = 'unknown';
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m !== null) model = m[1]!.trim();
  } catch {}
  let kernel = 'unknown';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {}
  return { cpus: hostCpus(), model, kernel };
}
