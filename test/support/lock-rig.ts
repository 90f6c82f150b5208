/**
 * A bare board for kernel-lock tests (mcs-lock, ticket-lock): CPU i runs `bodies[i]` as kernel
 * code on an idle context and halts, with one SpinLock `L` whose code `install` puts in place
 * (the CAS lock when it does nothing). Also the bodies those tests share: an arrival-ordered
 * locker and a holder/trier pair for try-lock.
 */
import { PrngDecider } from '../../src/engine/decider.ts';
import { Prng } from '../../src/engine/prng.ts';
import { Board } from '../../src/hw/board.ts';
import { FrameKind, makeFrame } from '../../src/hw/context.ts';
import { type CostModel, resolveCostModel } from '../../src/hw/cost-model.ts';
import type { CpuHooks } from '../../src/hw/cpu.ts';
import { HALT, type KernelGen, lock, spend, tryLock, unlock } from '../../src/hw/effects.ts';
import { SpinLock } from '../../src/hw/spinlock.ts';
import { LOCK_RUN_QUEUE } from '../../src/kernel/lock-order.ts';
import { IdleContext } from '../../src/kernel/thread.ts';
import { defaultTopology } from '../../src/machine/defaults.ts';

export interface Rig {
  board: Board;
  l: SpinLock;
  costs: CostModel;
}

export type LockBody = (r: Rig) => KernelGen<void>;

function* thenHalt(body: KernelGen<void>): KernelGen<void> {
  yield* body;
  for (;;) yield HALT;
}

/** Runs `bodies` (one per CPU) to their halts, at most 10 simulated ms. */
export function runLockRig(
  bodies: LockBody[],
  seed: number,
  install: (l: SpinLock, board: Board) => void,
): Rig {
  const costs = resolveCostModel({});
  const board = new Board({
    topology: defaultTopology(bodies.length),
    cpuMhz: 3000,
    memoryBytes: 1 << 20,
    costs,
    decider: new PrngDecider(new Prng(seed)),
  });
  const l = new SpinLock('L', LOCK_RUN_QUEUE, 0);
  install(l, board);
  const rig = { board, l, costs };
  for (const cpu of board.cpus) {
    cpu.hooks = { returnToUser: () => null } as unknown as CpuHooks;
    const idle = new IdleContext(cpu.id);
    idle.frames.push(makeFrame(thenHalt(bodies[cpu.id]!(rig)), FrameKind.Kernel));
    cpu.current = idle;
  }
  for (const cpu of board.cpus) cpu.start();
  board.engine.run({ simNsMax: 10_000_000, eventsMax: 100_000 });
  return rig;
}

/** CPU `cpuId` arrives after `delayNs`, holds for `holdNs`; records its turn and when it got the lock. */
export function locker(delayNs: number, holdNs: number, order: number[], atNs: number[]) {
  return (cpuId: number): LockBody =>
    function* ({ board, l }: Rig): KernelGen<void> {
      if (delayNs > 0) yield spend(delayNs);
      yield lock(l);
      order.push(cpuId);
      atNs[cpuId] = board.engine.nowNs;
      yield spend(holdNs);
      yield unlock(l);
    };
}

/** The first CPU takes the lock at once and holds it `holdNs`; `timing` gets when it had it and let it go. */
export function firstHolder(holdNs: number, timing: { atNs: number; releasedNs: number }): LockBody {
  return ({ board, l }) =>
    (function* () {
      yield lock(l);
      timing.atNs = board.engine.nowNs;
      yield spend(holdNs);
      yield unlock(l);
      timing.releasedNs = board.engine.nowNs;
    })();
}

/** CPU 0 holds the lock 0..1 µs; CPU 1 try-locks at 100 ns and again at 2.1 µs: `results` gets both. */
export function tryLockPair(results: boolean[]): LockBody[] {
  const holder: LockBody = ({ l }) =>
    (function* () {
      yield lock(l);
      yield spend(1_000);
      yield unlock(l);
    })();
  const trier: LockBody = ({ l }) =>
    (function* () {
      yield spend(100);
      results.push((yield tryLock(l)) as boolean);
      yield spend(2_000);
      const taken = (yield tryLock(l)) as boolean;
      results.push(taken);
      if (taken) yield unlock(l);
    })();
  return [holder, trier];
}
