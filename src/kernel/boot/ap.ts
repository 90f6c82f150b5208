/**
 * The AP side of bring-up: the trampoline at 0x8000 and what follows it (Redox's `kstart_ap`,
 * Linux's `start_secondary`), as kernel code on the AP over the shared words (layout.ts). Each
 * race of Redox's code is a switch of `BootRaces`:
 *
 * - K1 `counter`: the logical id is CPU_COUNT read, then CPU_COUNT + 1 stored (two accesses another
 *   AP can come between) instead of one fetch-add;
 * - K2 `dualReady`: AP_READY, the second ready flag, is set as soon as the AP has its id, before
 *   its init, and the BSP takes it for the CPU being up;
 * - K8 `nodeLate`: the CPU is marked online before its NUMA node (and the rest of its init) is
 *   written.
 *
 * The fixed code writes the node first and one flag last (HW-5). The serial Linux handshake waits
 * for the BSP's callout bit between callin and the serial part of init (smpboot.c).
 */
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import {
  AP_READY,
  CALLIN_MASK,
  CALLOUT_MASK,
  CPU_COUNT,
  CPU_TABLE,
  maskWord,
  ONLINE_MASK,
  PCR_ID,
  PCR_INIT_DONE,
  PCR_NODE,
  PCR_ONLINE,
  TRAMP_ARGS,
  TRAMP_READY,
} from './layout.ts';
import type { BootRun } from './run-state.ts';
import { spinUntil } from './wait.ts';
import { fetchAdd, load, setBit, store } from './words.ts';

/** Time between the two accesses of the split counter update (a few instructions). */
const COUNTER_GAP_NS = 5;

/** The trampoline: long mode, then the ready word; returns the per-CPU block's address. */
function* trampoline(run: BootRun, cpu: Cpu): KernelGen<number> {
  yield spend(cpu.bus.costs.apTrampolineNs);
  if (run.options.protocol === 'parallel') return yield* findOwnBlock(run, cpu);
  yield store(TRAMP_READY, 1);
  return (yield load(TRAMP_ARGS)) as number;
}

/** Parallel APs share one trampoline: each finds its block by its APIC id (cpuid_to_apicid scan). */
function* findOwnBlock(run: BootRun, cpu: Cpu): KernelGen<number> {
  for (let i = 0; i < run.records.length; i++) {
    const apic = (yield load(CPU_TABLE + 8 * i)) as number;
    if (apic === cpu.cpuid.apicId) return (yield load(CPU_TABLE + 8 * i + 4)) as number;
  }
  throw new Error(`boot: CPU ${cpu.id} (APIC id ${cpu.cpuid.apicId}) is in no table entry`);
}

function* takeId(run: BootRun): KernelGen<number> {
  if (!run.options.races.counter) return (yield fetchAdd(CPU_COUNT, 1)) as number;
  const id = (yield load(CPU_COUNT)) as number;
  yield spend(COUNTER_GAP_NS);
  yield store(CPU_COUNT, id + 1);
  return id;
}

/** Everything after the trampoline, to the CPU being online; then the AP falls into its idle loop. */
export function* apMain(run: BootRun, cpu: Cpu): KernelGen<void> {
  const pcr = yield* trampoline(run, cpu);
  const races = run.options.races;
  const costs = cpu.bus.costs;
  const id = yield* takeId(run);
  run.records[cpu.id]!.logicalId = id;
  yield store(pcr + PCR_ID, id);
  if (races.dualReady) yield store(AP_READY, 1);
  const node = run.kernel.topology.nodeOf(cpu.id);
  if (!races.nodeLate) yield store(pcr + PCR_NODE, node);
  yield spend(costs.apEarlyInitNs);
  if (run.options.protocol !== 'redox') {
    const callin = maskWord(CALLIN_MASK, cpu.id);
    yield setBit(callin.addr, callin.bit); // cpumask_set_cpu: the old value is not read
    const callout = maskWord(CALLOUT_MASK, cpu.id);
    yield* spinUntil(cpu, callout.addr, callout.bit, 0);
  }
  if (races.nodeLate) yield* markOnline(cpu, pcr);
  yield spend(costs.apOnlineNs);
  if (races.nodeLate) yield store(pcr + PCR_NODE, node);
  yield store(pcr + PCR_INIT_DONE, 1);
  if (!races.nodeLate) yield* markOnline(cpu, pcr);
}

function* markOnline(cpu: Cpu, pcr: number): KernelGen<void> {
  yield store(pcr + PCR_ONLINE, 1);
  const online = maskWord(ONLINE_MASK, cpu.id);
  yield setBit(online.addr, online.bit); // set_cpu_online: the old value is not read
}
