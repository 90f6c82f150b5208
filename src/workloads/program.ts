/**
 * Guest programs a scenario can run by name (`[[workload]] kind = "program"`), each with a
 * typed parameter list. A program describes its parameters so the scenario loader validates
 * them with the same one-line errors as every other field, and publishes its results in
 * `t.data.output[<program name>]`, which the report turns into `workload.<name>.<key>` metrics.
 * New programs live in their own files and are listed in `registry.ts`.
 */
import type { ProgramImage } from '../abi/guest.ts';
import { pthread_attr_init, pthread_attr_setaffinity_np, pthread_attr_t } from '../libc/pthread.ts';

export type ParamValue = number | string | number[];

interface ParamBase {
  name: string;
  /** One line for `smpsim list` and error messages. */
  doc: string;
  /**
   * Other keys the parameter may be given under: the real tool's option names (issue 22:
   * schbench's `message-threads`, perf's `loop`), read as the parameter itself.
   */
  aliases?: readonly string[];
}

export type ParamSpec =
  | (ParamBase & { kind: 'int'; min: number; max: number; fallback?: number })
  | (ParamBase & { kind: 'choice'; choices: readonly string[]; fallback?: string })
  | (ParamBase & { kind: 'ints'; min: number; max: number; maxLength: number; fallback?: number[] });

/** What a program's {@link GuestProgram.check} finds wrong: the parameter, the problem, what is allowed. */
export interface ParamProblem {
  param: string;
  problem: string;
  allowed: string;
}

/** What a program's parameters may be checked against besides each other. */
export interface ProgramMachine {
  cpus: number;
}

export interface GuestProgram {
  /** The program's name; also its image's name and the key of its published output. */
  readonly image: ProgramImage;
  readonly doc: string;
  /** Seed-claim ids the program exercises. */
  readonly claims: readonly string[];
  readonly params: readonly ParamSpec[];
  /**
   * A check across parameters, or against the machine, that no one parameter's spec expresses
   * (lists that must be as long as each other, a CPU that must exist). The scenario loader
   * refuses what it finds as bad input, so the guest never starts with arguments it would die of.
   */
  readonly check?: (args: ProgramArgs, machine: ProgramMachine) => ParamProblem | null;
}

/** The parameters a program's main receives: every declared parameter, defaults filled in. */
export type ProgramArgs = Readonly<Record<string, ParamValue>>;

export function intArg(args: ProgramArgs, name: string): number {
  const v = args[name];
  if (typeof v !== 'number') throw new Error(`program argument ${name} is not an integer`);
  return v;
}

export function stringArg(args: ProgramArgs, name: string): string {
  const v = args[name];
  if (typeof v !== 'string') throw new Error(`program argument ${name} is not a string`);
  return v;
}

export function intsArg(args: ProgramArgs, name: string): number[] {
  const v = args[name];
  if (!Array.isArray(v)) throw new Error(`program argument ${name} is not a list of integers`);
  return v;
}

/** A thread attribute that starts the thread on `cpus` only (pthread_attr_setaffinity_np). */
export function attrOnCpus(cpus: readonly number[]): pthread_attr_t {
  const attr = new pthread_attr_t();
  pthread_attr_init(attr);
  const err = pthread_attr_setaffinity_np(attr, cpus);
  if (err !== 0) throw new Error(`pthread_attr_setaffinity_np(${cpus.join(',')}) failed (${err})`);
  return attr;
}
