/**
 * A user's policy that throws is the policy module's fault, not the simulator's (issue 22): the
 * kernel gets the policy behind a guard that turns an exception raised in one of its methods
 * (called directly, or while the CPU runs the generator it returned) into a ModuleError naming
 * the module file, the hook and where in the file it threw: the CLI's one line, exit 2, on
 * `run`, `scale`, `policies` and `check-policy` alike (a worker thread sends it back as such:
 * report/worker-messages.ts). hw/cpu.ts passes a ModuleError through unwrapped (`blame`).
 *
 * The guard is a Proxy: every property reads through to the policy, each method is wrapped once
 * and calls the original with the policy itself as `this` (so `#private` fields work). Only a
 * module's policy is guarded; the built-in ones run unwrapped, and a guarded run's trace hash is
 * the unguarded one's (the guard adds no effect).
 * @module
 */
import { AssertionError } from '../engine/assert.ts';
import type { Cpu } from '../hw/cpu.ts';
import type { SchedHost, SchedPolicy } from '../kernel/sched/policy.ts';
import { type Context, isThread, ThreadState } from '../kernel/thread.ts';
import { ModuleError } from './load-module.ts';

/** `policy`, guarded: what its methods throw becomes a ModuleError of module `path`. */
export function guardPolicy(policy: SchedPolicy, path: string, host: SchedHost): SchedPolicy {
  const wrapped = new Map<PropertyKey, unknown>();
  const fault = (hook: string, error: unknown): Error => {
    if (error instanceof ModuleError) return error;
    // checkInvariants reports a broken invariant by an assertion: that is its answer (the
    // explorer's `kernel invariant: ...` finding, issue 17), not the module's fault.
    if (hook === 'checkInvariants' && error instanceof AssertionError) return error;
    return policyFault(path, hook, error, host.board.engine.nowNs);
  };
  return new Proxy(policy, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      let guard = wrapped.get(key);
      if (guard === undefined) {
        guard = guardMethod(target, value as (...args: unknown[]) => unknown, key, fault, host);
        wrapped.set(key, guard);
      }
      return guard;
    },
  });
}

type Fault = (hook: string, error: unknown) => Error;

function guardMethod(
  target: object,
  method: (...args: unknown[]) => unknown,
  hook: string,
  fault: Fault,
  host: SchedHost,
): (...args: unknown[]) => unknown {
  return (...args: unknown[]) => {
    let result: unknown;
    try {
      result = method.apply(target, args);
    } catch (error) {
      throw fault(hook, error);
    }
    if (!isGenerator(result)) return result;
    const check = hook === 'select' ? (next: unknown) => selectProblem(next, args, host) : undefined;
    return guardGenerator(result, hook, fault, check);
  };
}

function isGenerator(value: unknown): value is Generator<unknown, unknown, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const g = value as Partial<Generator>;
  return typeof g.next === 'function' && typeof g.throw === 'function' && Symbol.iterator in value;
}

function* guardGenerator(
  gen: Generator<unknown, unknown, unknown>,
  hook: string,
  fault: Fault,
  check?: (result: unknown) => string | null,
): Generator<unknown, unknown, unknown> {
  let result: unknown;
  try {
    result = yield* gen;
  } catch (error) {
    throw fault(hook, error);
  }
  const problem = check?.(result) ?? null;
  if (problem !== null) throw fault(hook, new PolicyContractError(problem, SELECT_ALLOWED));
  return result;
}

/** What the policy returned that breaks its contract with the kernel (not a throw of its own). */
class PolicyContractError extends Error {
  override readonly name = 'PolicyContractError';
  constructor(
    problem: string,
    readonly allowed: string,
  ) {
    super(problem);
  }
}

const SELECT_ALLOWED = "null, prev, this CPU's idle context, or a runnable thread not running elsewhere";

/**
 * Why `select(cpu, prev)`'s result is one the kernel cannot switch to (kernel/sched/switch.ts
 * would stop as on a kernel bug), or null when it can.
 */
function selectProblem(next: unknown, args: unknown[], host: SchedHost): string | null {
  const [cpu, prev] = args as [Cpu, Context];
  if (next === null || next === prev) return null;
  if (typeof next !== 'object') return `returned ${String(next)}`;
  const ctx = next as Context;
  if (!isThread(ctx)) {
    if (ctx === host.idle[cpu.id]) return null;
    return `returned another CPU's idle context, on CPU ${cpu.id}`;
  }
  if (ctx.running) return `returned thread ${ctx.id}, running on CPU ${ctx.lastCpu}`;
  if (ctx.state !== ThreadState.Runnable) return `returned thread ${ctx.id}, which is not runnable`;
  return null;
}

/** The one line: `FILE: HOOK: the policy threw TypeError: … (at FILE:LINE:COL, simulated time N ns)`. */
export function policyFault(path: string, hook: string, error: unknown, nowNs: number): ModuleError {
  if (error instanceof PolicyContractError) {
    const problem = `${error.message}, at simulated time ${nowNs} ns`;
    return new ModuleError({ file: path, field: hook, problem, allowed: error.allowed });
  }
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const at = throwSite(error, path);
  const where = at === null ? '' : `at ${at}, `;
  return new ModuleError({
    file: path,
    field: hook,
    problem: `the policy threw ${what} (${where}simulated time ${nowNs} ns)`,
  });
}

/** `file:line:column` of the first stack frame in the module file, or null when none is. */
function throwSite(error: unknown, path: string): string | null {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const name = path.split('/').at(-1)!;
  for (const line of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (m !== null && (m[1] === path || m[1] === `file://${path}`)) return `${name}:${m[2]}:${m[3]}`;
  }
  return null;
}
