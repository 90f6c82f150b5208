/**
 * The machine the scheduler conformance cases run on (issue 22: the suite that was test-only,
 * test/kernel/sched/conformance.test.ts, moved here so `smpsim check-policy` runs it too): a
 * board and a kernel built as machine/build.ts does, booted with the case's own root program
 * instead of init, kernel invariants checked after every engine event. The figures of the
 * built-in policies are the ones the conformance test has always asserted, so this builds
 * exactly what its harness (test/support/guest.ts bootGuest) built: one package, no jitter, the
 * Redox futex table and relibc for every policy, the preset's tick source at 1000 Hz for LAPIC.
 * @module
 */
import type { ThreadEntry } from '../../abi/guest.ts';
import { PrngDecider } from '../../engine/decider.ts';
import { Prng } from '../../engine/prng.ts';
import { Board } from '../../hw/board.ts';
import { resolveCostModel } from '../../hw/cost-model.ts';
import { Kernel } from '../../kernel/kernel.ts';
import { libcEnv } from '../../libc/variant.ts';
import { makePolicy, startTick } from '../../machine/build.ts';
import type { SchedPolicyName } from '../../machine/config.ts';
import { defaultTopology, policyPreset, presetTick } from '../../machine/defaults.ts';
import { ModuleError } from '../../machine/load-module.ts';
import { policyFromModule } from '../../machine/policy-module.ts';

/** A policy under test: a built-in one, or a module (loaded already) on a preset's machine. */
export interface PolicyUnderTest {
  /** The column it gets: the built-in's name, or the module's label. */
  label: string;
  preset: SchedPolicyName;
  /** A policy module's absolute path; absent for a built-in. */
  module?: string;
}

/** What a case's run leaves to measure. */
export interface CaseRun {
  kernel: Kernel;
  board: Board;
  /** Why the run stopped early (a deadlock, a kernel fault, a limit), or null when the root exited. */
  stopped: string | null;
  /** Guest processes killed (a fault in a case's guest code: the case fails). */
  killed: number;
}

const SIM_NS_MAX = 5_000_000_000;
const EVENTS_MAX = 3_000_000;

/**
 * Runs `main` as the root program on `cpus` CPUs under `policy`; `onSwitch` sees every switch.
 * Invariant violations (the kernel's and the policy's checkInvariants) end the run as a fault.
 */
export function runCase(
  policy: PolicyUnderTest,
  cpus: number,
  main: ThreadEntry,
  onSwitch?: (cpuId: number, nextId: number, nowNs: number) => void,
): CaseRun {
  const board = new Board({
    topology: defaultTopology(cpus),
    cpuMhz: 3000,
    memoryBytes: 1 << 28,
    costs: resolveCostModel({ computeJitterPpm: 0, cpuSkewPpm: 0 }),
    decider: new PrngDecider(new Prng(1)),
  });
  const kernel = new Kernel(board, {
    threadsMax: 256,
    checkInvariants: true,
    futex: { mode: 'redox', shards: 1 },
    injectSwitchFaults: [],
    env: libcEnv('relibc'),
    hrtimers: policyPreset(policy.preset).hrtimers,
  });
  const sched =
    policy.module === undefined
      ? makePolicy(policy.preset, kernel, { numa: true })
      : policyFromModule(policy.module, kernel);
  startTick(board, kernel, { source: presetTick(policy.preset).source, hz: 1000 });
  kernel.boot(sched, { name: 'conformance', main }, null);
  if (onSwitch !== undefined)
    kernel.switchListeners.push((cpuId, _prev, next) => onSwitch(cpuId, next.id, board.engine.nowNs));
  let stopped: string | null = null;
  try {
    board.engine.run({ simNsMax: SIM_NS_MAX, eventsMax: EVENTS_MAX });
    stopped = kernel.stopReason ?? (kernel.finished ? null : 'the root process did not exit');
  } catch (error) {
    // A policy module that threw is its fault, reported as the CLI's one line (issue 22).
    if (error instanceof ModuleError) throw error;
    stopped = `fault: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
  return { kernel, board, stopped, killed: kernel.stats.processesKilled };
}
