/** Parsers for command-line flag values; each throws a UsageError naming the flag and what it accepts. */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { defaultJobs } from '../report/worker-pool.ts';
import { UsageError } from './errors.ts';

/** Parses a decimal integer in [min, max] (`--runs 5`, `--seed 7`). */
export function parseIntFlag(flag: string, raw: string, min: number, max: number): number {
  const allowed = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `${min}..${max}`;
  const text = raw.trim();
  if (!/^-?\d+$/.test(text)) throw new UsageError(flag, `${JSON.stringify(raw)} is not an integer`, allowed);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(flag, `${text} is out of range`, allowed);
  }
  return value;
}

/** Parses a comma list of distinct integers in [min, max] (`--cpus 1,2,4`), keeping the given order. */
export function parseIntListFlag(flag: string, raw: string, min: number, max: number): number[] {
  const allowed = `a comma list of integers ${min}..${max}, e.g. 1,2,4`;
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.some((s) => s === ''))
    throw new UsageError(flag, `${JSON.stringify(raw)} has an empty item`, allowed);
  const values: number[] = [];
  for (const part of parts) {
    if (!/^-?\d+$/.test(part))
      throw new UsageError(flag, `${JSON.stringify(part)} is not an integer`, allowed);
    const value = Number(part);
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new UsageError(flag, `${part} is out of range`, allowed);
    }
    if (values.includes(value)) throw new UsageError(flag, `${value} is listed twice`, allowed);
    values.push(value);
  }
  return values;
}

/** Parses `LO,HI` with 0 <= LO < HI <= max (`--range 2,2000000`). */
export function parseRangeFlag(flag: string, raw: string, max: number): [number, number] {
  const allowed = `LO,HI with 0 <= LO < HI <= ${max}`;
  const parts = raw.split(',');
  if (parts.length !== 2) throw new UsageError(flag, `${JSON.stringify(raw)} is not two integers`, allowed);
  const [lo, hi] = parts.map((part) => {
    if (!/^\d+$/.test(part.trim()))
      throw new UsageError(flag, `${JSON.stringify(part)} is not an integer`, allowed);
    return Number(part.trim());
  }) as [number, number];
  if (hi > max || lo >= hi) throw new UsageError(flag, `[${lo}, ${hi}) is out of range`, allowed);
  return [lo, hi];
}

/** Parses one of a fixed set of names (`--mode thread`). */
export function parseChoiceFlag<T extends string>(flag: string, raw: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(flag, `${JSON.stringify(raw)} is not allowed`, choices.join(', '));
  }
  return raw as T;
}

/** Parses a positive number of seconds, fractions allowed (`--timeout 2.5`), at most `max`. */
export function parseSecondsFlag(flag: string, raw: string, max: number): number {
  const allowed = `seconds, more than 0 and at most ${max}`;
  const text = raw.trim();
  if (!/^\d+(\.\d+)?$/.test(text))
    throw new UsageError(flag, `${JSON.stringify(raw)} is not a number`, allowed);
  const value = Number(text);
  if (!(value > 0 && value <= max)) throw new UsageError(flag, `${text} is out of range`, allowed);
  return value;
}

/**
 * Checks that `path` can be written: an existing file that is writable, or a new name in a
 * writable directory. The file is not created here, so a refused run leaves nothing behind.
 */
export function checkWritableFile(flag: string, path: string): void {
  const allowed = 'a file path in a writable directory';
  if (path === '') throw new UsageError(flag, 'empty path', allowed);
  const kind = statKind(path);
  if (kind === 'directory') throw new UsageError(flag, `${path} is a directory`, allowed);
  const target = kind === 'missing' ? dirname(path) : path;
  if (kind === 'missing' && statKind(target) !== 'directory') {
    throw new UsageError(flag, `${target} is not a directory`, allowed);
  }
  try {
    accessSync(target, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new UsageError(flag, `cannot write ${path} (${code})`, allowed);
  }
}

function statKind(path: string): 'file' | 'directory' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'file';
  } catch {
    return 'missing';
  }
}

/** The most `--jobs`: threads past the host's cores only add their start-up. */
const JOBS_MAX = 256;

/** `--jobs N`: worker threads for a multi-run command's runs; every core by default. */
export function parseJobs(raw: string | undefined): number {
  return raw === undefined ? defaultJobs() : parseIntFlag('--jobs', raw, 1, JOBS_MAX);
}
