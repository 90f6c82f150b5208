/**
 * Your own scheduler policy from a file (issue 22): `[kernel] scheduler = { module = "./p.ts" }`
 * or `--policy-module FILE`. The module exports `createPolicy(host)`, called once per machine
 * with the kernel's {@link SchedHost} (what dwrr, redbear and fair are constructed with), and
 * returns a {@link SchedPolicy}. This file checks what it returns, member by member, before the
 * kernel boots on it, so a missing `select` is a one-line error naming the file and the member,
 * not a TypeError deep in a switch; machine/policy-module.ts loads the file and reports it.
 * @module
 */
import type { SchedHost, SchedPolicy } from './policy.ts';

/** Built-in policy names, which a module's policy may not take. */
const BUILT_IN_NAMES = ['dwrr', 'redbear', 'fair'];

/** What a policy module exports. */
export interface PolicyModule {
  createPolicy(host: SchedHost): SchedPolicy;
}

/** The members every SchedPolicy has, by their type. */
const REQUIRED_FUNCTIONS = [
  'switchLock',
  'tick',
  'nextTickNs',
  'start',
  'wake',
  'armTimeout',
  'select',
  'prioChanged',
  'remove',
  'queued',
  'locks',
  'stats',
] as const;
const REQUIRED_BOOLEANS = ['keepsBlockedQueued', 'schedHandles'] as const;
/** The optional hooks: absent, or functions. */
const OPTIONAL_FUNCTIONS = [
  'idleFoldUntilNs',
  'hrtimerNextNs',
  'runHrtimers',
  'yieldCurrent',
  'rrIntervalNs',
  'setAffinity',
  'afterSwitch',
  'checkInvariants',
  'cpuOffline',
  'queuedOn',
] as const;

/** The export a policy module must have, as an error message says it. */
export const POLICY_EXPORT_SIGNATURE = 'export function createPolicy(host: SchedHost): SchedPolicy';

/** What is wrong with a policy object: the member, the problem, what is allowed. */
export interface PolicyProblem {
  member: string;
  problem: string;
  allowed: string;
}

/** The first member `policy` lacks or has wrong as a SchedPolicy, or null when it has none. */
export function policyProblem(policy: unknown): PolicyProblem | null {
  try {
    checkMembers(policy);
    return null;
  } catch (error) {
    if (error instanceof ShapeError) return error.problem;
    throw error;
  }
}

class ShapeError extends Error {
  constructor(readonly problem: PolicyProblem) {
    super(problem.problem);
  }
}

function checkMembers(policy: unknown): void {
  const bad = (member: string, problem: string, allowed: string): never => {
    throw new ShapeError({ member, problem, allowed });
  };
  if (typeof policy !== 'object' || policy === null)
    bad('', `returned ${policy === null ? 'null' : typeof policy}`, 'an object implementing SchedPolicy');
  const p = policy as Record<string, unknown>;
  if (typeof p.name !== 'string' || !/^[a-z][a-z0-9_-]{0,31}$/.test(p.name))
    bad('name', 'missing or not a short lower-case name', 'a name like "fifo-rr"');
  if (BUILT_IN_NAMES.includes(p.name as string))
    bad('name', `"${String(p.name)}" is a built-in policy's name`, 'a name of its own');
  for (const key of REQUIRED_BOOLEANS)
    if (typeof p[key] !== 'boolean') bad(key, `is ${describe(p[key])}`, 'a boolean');
  for (const key of REQUIRED_FUNCTIONS)
    if (typeof p[key] !== 'function')
      bad(key, `is ${describe(p[key])}`, 'a method (see smpsim/policy SchedPolicy)');
  for (const key of OPTIONAL_FUNCTIONS)
    if (p[key] !== undefined && typeof p[key] !== 'function')
      bad(key, `is ${describe(p[key])}`, 'absent, or a method');
  if (p.classes !== undefined && !Array.isArray(p.classes))
    bad('classes', `is ${describe(p.classes)}`, 'an array of policy numbers');
}

function describe(value: unknown): string {
  return value === undefined ? 'missing' : `a ${value === null ? 'null' : typeof value}`;
}
