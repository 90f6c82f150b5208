/**
 * The conformance verdicts: a case's measurement conforms, or departs as a documented exception
 * with its own expectation, or fails. The built-in policies' exceptions are their modelled quirks
 * (each cites its source); a policy module documents its own by exporting
 * `conformanceExceptions` (see {@link ModuleException}), and a module without scheduling classes
 * gets dwrr's exception for the RT case, checked as strictly.
 * @module
 */
import { ENOENT } from '../../abi/errno.ts';
import type { SchedPolicyName } from '../../machine/config.ts';
import { CONFORMANCE_CASES, type Measured } from './cases.ts';
import type { PolicyUnderTest } from './machine.ts';

/**
 * A policy module's documented departure from one case: why, and the bound its measurement
 * (the case's last figure: the longest turn, the worst wake-up latency, the time to finish)
 * must keep instead. Only those three cases take one.
 */
export interface ModuleException {
  reason: string;
  max: number;
}

/** The cases a module may document an exception for: each one's last figure is a "less is better" bound. */
export const MODULE_EXCEPTION_CASES = ['pick and tick', 'wake', 'migrate'];

interface BuiltInException {
  reason: string;
  holds(values: number[], m: Measured): boolean;
}

const BUILT_IN: Record<string, Partial<Record<SchedPolicyName, BuiltInException>>> = {
  wake: {
    dwrr: {
      reason:
        "wakeups are deferred (SCHED-1, models.md §1.4): the woken context waits in IDLE_CONTEXTS until the waker's 3-tick quantum ends",
      holds: ([worst]) => worst! > 4_000_000 && worst! <= 12_200_000,
    },
    redbear: {
      reason: "the Red Bear overlay keeps dwrr's deferred wakeups (models.md §1.7): up to one 3-tick quantum",
      holds: ([worst]) => worst! > 4_000_000 && worst! <= 12_200_000,
    },
  },
  affinity: {
    redbear: {
      reason:
        'wakeup requeue and stealing overwrite the mask with the CPU that takes the context (assign_context_to_cpu, P8-percpu-wiring)',
      holds: (values, m) =>
        values.join(',') === '0,0,1' && (m.run.kernel.policy.stats().user_masks_lost ?? 0) >= 1,
    },
  },
  rt: {
    dwrr: {
      reason:
        'no scheduling classes and, as upstream Redox, no sched-policy handle (ENOENT): both threads take equal turns',
      holds: ([set, fifo, other]) => set === ENOENT && fairlyShared(fifo!, other!),
    },
    redbear: {
      reason:
        'its RT pass never picks the running context (models.md §1.7): at every 3-tick switch the OTHER thread gets its turn too',
      holds: ([set, fifo, other]) => set === 0 && fifo! >= other! && other! >= 2000,
    },
  },
};

/** Two threads each got at least 40% of what they did together. */
function fairlyShared(a: number, b: number): boolean {
  const total = a + b;
  return total > 0 && a >= 0.4 * total && b >= 0.4 * total;
}

export type Verdict = 'pass' | 'exception' | 'FAIL';

export interface CaseResult {
  case: string;
  values: number[];
  verdict: Verdict;
  /** The exception's reason, or why the case failed; empty on a pass. */
  note: string;
}

/** The verdict on case `name`'s measurement under `policy`. */
export function verdictOf(
  name: string,
  policy: PolicyUnderTest,
  m: Measured,
  moduleExceptions: Readonly<Record<string, ModuleException>> = {},
): CaseResult {
  const c = CONFORMANCE_CASES.find((k) => k.name === name)!;
  const result = (verdict: Verdict, note: string): CaseResult => ({
    case: name,
    values: m.values,
    verdict,
    note,
  });
  if (m.run.stopped !== null) return result('FAIL', `the run stopped: ${m.run.stopped}`);
  if (m.run.killed > 0) return result('FAIL', `${m.run.killed} guest process(es) killed`);
  if (c.conforms(m.values)) return result('pass', '');
  const exception = exceptionOf(name, policy, m, moduleExceptions);
  if (exception === null) return result('FAIL', `expected: ${c.conforming}`);
  return exception.holds
    ? result('exception', exception.reason)
    : result('FAIL', `exception does not hold: ${exception.reason}`);
}

function exceptionOf(
  name: string,
  policy: PolicyUnderTest,
  m: Measured,
  moduleExceptions: Readonly<Record<string, ModuleException>>,
): { reason: string; holds: boolean } | null {
  if (policy.module === undefined) {
    const e = BUILT_IN[name]?.[policy.preset];
    return e === undefined ? null : { reason: e.reason, holds: e.holds(m.values, m) };
  }
  if (name === 'rt' && !m.run.kernel.policy.schedHandles) {
    const [set, fifo, other] = m.values;
    const reason =
      'no scheduling classes (schedHandles false), as dwrr: ENOENT, and both threads share the CPU';
    return { reason, holds: set === ENOENT && fairlyShared(fifo!, other!) };
  }
  const own = Object.hasOwn(moduleExceptions, name) ? moduleExceptions[name]! : undefined;
  if (own === undefined) return null;
  return { reason: own.reason, holds: m.values.at(-1)! <= own.max };
}
