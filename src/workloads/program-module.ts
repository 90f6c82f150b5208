/**
 * Your own guest program from a file (issue 22): `[[workload]] kind = "program", module =
 * "./my-prog.ts"`. The module exports `program`, a {@link GuestProgram} written against
 * `smpsim/guest` exactly as the built-in ones in this directory are (pthreads and system calls
 * through the libc, results published with `publish`, which become `workload.<name>.<key>`
 * metrics). This file checks the export's shape, so a missing `image.main` or a malformed
 * parameter is a one-line error naming the file and the member; machine/program-module.ts loads
 * the file and reports it.
 * @module
 */
import type { GuestProgram } from './program.ts';

/** The export a guest program module must have, as an error message says it. */
export const PROGRAM_EXPORT_SIGNATURE = 'export const program: GuestProgram';

/** What is wrong with a program export: the member, the problem, what is allowed. */
export interface ProgramProblem {
  member: string;
  problem: string;
  allowed: string;
}

const PARAM_KINDS = ['int', 'choice', 'ints'];
const NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/** The first member `value` lacks or has wrong as a GuestProgram, or null. `builtIn`: names taken. */
export function programProblem(value: unknown, builtIn: readonly string[]): ProgramProblem | null {
  const bad = (member: string, problem: string, allowed: string): ProgramProblem => ({
    member,
    problem,
    allowed,
  });
  if (!isObject(value)) return bad('', `is ${describe(value)}`, 'an object { image, doc, claims, params }');
  const image = value.image;
  if (!isObject(image)) return bad('image', `is ${describe(image)}`, '{ name, main }');
  if (typeof image.name !== 'string' || !NAME.test(image.name))
    return bad('image.name', 'missing or not a short lower-case name', 'a name like "my-prog"');
  if (builtIn.includes(image.name))
    return bad('image.name', `"${image.name}" is a built-in program's name`, 'a name of its own');
  if (typeof image.main !== 'function')
    return bad('image.main', `is ${describe(image.main)}`, 'a generator function (t, args)');
  if (typeof value.doc !== 'string') return bad('doc', `is ${describe(value.doc)}`, 'one line of text');
  if (!Array.isArray(value.claims) || value.claims.some((c) => typeof c !== 'string'))
    return bad('claims', `is ${describe(value.claims)}`, 'an array of claim ids (may be empty)');
  if (value.check !== undefined && typeof value.check !== 'function')
    return bad('check', `is ${describe(value.check)}`, 'absent, or a function');
  if (!Array.isArray(value.params))
    return bad('params', `is ${describe(value.params)}`, 'an array of parameter specs');
  for (const [i, spec] of value.params.entries()) {
    const problem = paramProblem(spec);
    if (problem !== null)
      return bad(`params.${i}`, problem, 'a ParamSpec: { name, doc, kind: int | choice | ints, ... }');
  }
  return null;
}

function paramProblem(spec: unknown): string | null {
  if (!isObject(spec)) return `is ${describe(spec)}`;
  if (typeof spec.name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(spec.name)) return 'has no lower-case name';
  if (['kind', 'program', 'module'].includes(spec.name)) return `"${spec.name}" is a [[workload]] key`;
  if (typeof spec.doc !== 'string') return 'has no doc';
  if (!PARAM_KINDS.includes(spec.kind as string)) return `kind is ${describe(spec.kind)}`;
  if (spec.kind === 'choice')
    return Array.isArray(spec.choices) && spec.choices.length > 0 ? null : 'a choice needs choices';
  const ints =
    Number.isInteger(spec.min) && Number.isInteger(spec.max) && (spec.min as number) <= (spec.max as number);
  if (!ints) return 'needs integer min <= max';
  return spec.kind === 'ints' && !Number.isInteger(spec.maxLength) ? 'a list needs maxLength' : null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function describe(value: unknown): string {
  return value === undefined ? 'missing' : `a ${value === null ? 'null' : typeof value}`;
}

/** `value` as the GuestProgram programProblem found nothing wrong with. */
export function asGuestProgram(value: unknown): GuestProgram {
  return value as GuestProgram;
}
