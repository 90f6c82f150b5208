/**
 * Loads a scheduler policy module (kernel/sched/module-policy.ts says what it exports) and makes
 * its policy for a machine: `[kernel] scheduler = { module }` and `--policy-module FILE`.
 * loadPolicyModule runs (async) before any machine is built, in every thread that builds one
 * (the worker threads of multi-run commands too: report/run-worker.ts); policyFromModule is
 * what machine/build.ts calls, synchronously, in place of `new DwrrPolicy(kernel)`.
 * @module
 */
import { POLICY_EXPORT_SIGNATURE, type PolicyModule, policyProblem } from '../kernel/sched/module-policy.ts';
import type { SchedHost, SchedPolicy } from '../kernel/sched/policy.ts';
import { loadedModule, loadModule, ModuleError } from './load-module.ts';
import { guardPolicy, policyFault } from './policy-guard.ts';

/** Loads the policy module at absolute `path` in this thread and checks its export. */
export async function loadPolicyModule(path: string): Promise<void> {
  policyModuleOf(path, await loadModule(path, 'policy'));
}

function policyModuleOf(path: string, namespace: Record<string, unknown>): PolicyModule {
  const create = namespace.createPolicy;
  if (typeof create === 'function') return namespace as unknown as PolicyModule;
  const problem =
    create === undefined ? 'the policy module has no export createPolicy' : 'createPolicy is not a function';
  throw new ModuleError({ file: path, field: '', problem, allowed: POLICY_EXPORT_SIGNATURE });
}

/** The policy of module `path` (loaded by loadPolicyModule) for the kernel `host`, checked. */
export function policyFromModule(path: string, host: SchedHost): SchedPolicy {
  const namespace = loadedModule(path);
  if (namespace === undefined)
    throw new Error(`policy-module: ${path} was not loaded in this thread (loadPolicyModule first)`);
  let policy: unknown;
  try {
    policy = policyModuleOf(path, namespace).createPolicy(host);
  } catch (error) {
    if (error instanceof ModuleError) throw error;
    throw policyFault(path, 'createPolicy', error, host.board.engine.nowNs);
  }
  const problem = policyProblem(policy);
  if (problem !== null) {
    const field = problem.member === '' ? 'createPolicy()' : `createPolicy().${problem.member}`;
    throw new ModuleError({ file: path, field, problem: problem.problem, allowed: problem.allowed });
  }
  // What its methods throw is the module's fault, reported as such (policy-guard.ts).
  return guardPolicy(policy as SchedPolicy, path, host);
}
