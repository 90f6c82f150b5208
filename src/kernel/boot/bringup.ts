/**
 * Simulated bring-up from the kernel's side: before the root process exists, the BSP claims the
 * low frames for the globals and the trampoline (as Linux reserves its real-mode area), places
 * the trampoline at 0x8000, injects the scenario's AP faults into the hardware, and runs the
 * protocol (bsp.ts) as kernel code on the BSP; each AP runs ap.ts from its SIPI and then falls
 * into its idle loop. `bootReport` sums it up: the timeline per CPU, possible and online sets,
 * and what each race did.
 */
import { assert } from '../../engine/assert.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { FrameKind, makeFrame } from '../../hw/context.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { apMain } from './ap.ts';
import { bringUpAps } from './bsp.ts';
import { GLOBALS, TRAMPOLINE } from './layout.ts';
import type { BootOptions, BootReport } from './plan.ts';
import { BootRun } from './run-state.ts';

/** Claims frames 1..8 of the fresh memory, keeping the globals' and the trampoline's. */
function claimLowFrames(k: Kernel): void {
  const memory = k.board.memory;
  const keep = new Set([GLOBALS >>> 12, TRAMPOLINE >>> 12]);
  const claimed: number[] = [];
  for (let want = 1; want <= TRAMPOLINE >>> 12; want++) {
    const got = memory.allocFrame(0);
    assert(got === want, `boot: the trampoline needs fresh memory (frame ${want} asked, ${got} given)`);
    claimed.push(got);
  }
  for (const f of claimed) if (!keep.has(f)) memory.freeFrame(f);
}

/** Sets up a bring-up on `k`'s machine; the BSP runs `run.bsp()` before anything else. */
export function prepareBringUp(k: Kernel, options: BootOptions): BootRun {
  claimLowFrames(k);
  const startup = k.board.startup;
  for (const { cpu, fault } of options.faults) {
    const target = k.cpus[cpu];
    if (target !== undefined) startup.injectFault(target.cpuid.apicId, fault);
  }
  const run = new BootRun(k, options);
  startup.placeCode(TRAMPOLINE, (cpu: Cpu) => {
    cpu.current.frames.push(makeFrame(apMain(run, cpu), FrameKind.Kernel));
  });
  return run;
}

/** The BSP's bring-up, then what follows it (the root process's start). */
export function* bspBoot(run: BootRun, bsp: Cpu, then: () => KernelGen<unknown>): KernelGen<void> {
  yield* bringUpAps(run, bsp);
  yield* then();
}

/** The online set as a CPU mask (1 per online CPU), for the root's affinity. */
export function onlineMask(run: BootRun): Uint8Array {
  return Uint8Array.from(run.records, (r) => (r.status === 'bsp' || r.status === 'online' ? 1 : 0));
}

export function bootReport(run: BootRun): BootReport {
  const ids = new Map<number, number>();
  for (const r of run.records)
    if (r.logicalId !== null) ids.set(r.logicalId, (ids.get(r.logicalId) ?? 0) + 1);
  const online = run.records.filter((r) => r.status === 'bsp' || r.status === 'online').map((r) => r.cpu);
  return {
    protocol: run.options.protocol,
    races: { ...run.options.races },
    startNs: run.startNs,
    totalNs: run.doneNs,
    cpus: run.records.map((r) => ({ ...r, sipiNs: [...r.sipiNs] })),
    possible: run.records.filter((r) => r.status !== 'not-listed').map((r) => r.cpu),
    online,
    framesFreed: run.framesFreed,
    duplicateIds: [...ids.values()].filter((n) => n > 1).length,
    halfInitialised: run.halfInitialised,
    nodeUnsetSeen: run.nodeUnsetSeen,
    log: [...run.log],
  };
}
