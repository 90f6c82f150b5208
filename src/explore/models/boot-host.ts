/**
 * The real bring-up code (src/kernel/boot/: the BSP's `bringUpAps`, the AP's trampoline and
 * `apMain`) run as explorer threads, without the whole machine (issue 17: "the real code paths
 * wherever they exist"). Bring-up makes every shared access an atomic effect (kernel/boot/words.ts),
 * so each becomes an explored step; the rest is translated here:
 *
 * - `spend` is dropped: time is abstracted (as `--timing any`), every order of the accesses is a
 *   run. A spin-count timeout (Red Bear's 10^8 PAUSEs, Linux's 10 s callin) therefore never
 *   expires: an AP that never answers is a deadlock here, not a "failed to boot" line.
 * - A spin loop (`spinUntil`, `pollUntil`: loads annotated `spinLoad(addr, mask)`, looping until
 *   `word & mask`) becomes one Await step reading only `mask`, enabled when the bits are set
 *   (CHESS and GenMC fold spin loops the same way: the failed iterations only read); the code
 *   then sees the masked word and checks it itself. A `setBit` (cpumask_set_cpu) is an RMW of
 *   its bits only, its old value not handed back. Together they make the APs' callin and online
 *   bits, and the BSP's waits for them, commute with each other's bits (footprint.ts).
 * - The LAPIC's MMIO page is the BSP's own: ICR_HIGH names the destination, a STARTUP message
 *   in ICR_LOW is a store to that AP's start word (the SIPI, an explored step; the second SIPI
 *   Linux sends finds the AP started and is not one), INIT and the ESR are local (the ESR
 *   reads 0: delivery never fails here).
 * - The kernel and CPUs the code reads are small host objects: the real KernelTopology (CPU i
 *   has APIC id i, node i mod 2), a real PhysicalMemory for the frames the BSP gives, and the
 *   default cost model; the explorer's memory holds the words.
 */
import { type AtomicEffect, AtomicOp, MemOrder, Op } from '../../abi/effects.ts';
import {
  ICR_STARTUP,
  LAPIC_ESR,
  LAPIC_ICR_HIGH,
  LAPIC_ICR_LOW,
  LAPIC_MMIO_BASE,
  LAPIC_MMIO_END,
} from '../../hw/ap-startup.ts';
import { resolveCostModel } from '../../hw/cost-model.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { KernelOp, type KernelGen } from '../../hw/effects.ts';
import { PhysicalMemory } from '../../hw/memory.ts';
import { TRAMPOLINE } from '../../kernel/boot/layout.ts';
import type { BootOptions } from '../../kernel/boot/plan.ts';
import { isSetBit, isSpinLoad } from '../../kernel/boot/words.ts';
import { BootRun } from '../../kernel/boot/run-state.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { KernelTopology } from '../../kernel/topology.ts';
import type { XProgram } from '../model.ts';
import type { XThread } from '../xthread.ts';

/** Frame 6 (claimed with the low frames): one start word per APIC id, set by that AP's SIPI. */
export const START_WORDS = 0x6000;
const NODES = 2;
const MEMORY_BYTES = 8 << 20;
const TSC_KHZ = 2_000_000;
const COSTS = resolveCostModel();
const ICR_MODE_MASK = 7 << 8;

/** One bring-up's host side: the BootRun the real code reads, and each CPU it runs on. */
export interface BootHost {
  run: BootRun;
  cpus: Cpu[];
}

/** A fresh bring-up of `cpus` CPUs (the BSP and cpus-1 APs) with `options`. */
export function bootHost(cpus: number, options: BootOptions): BootHost {
  const topology = new KernelTopology(
    Array.from({ length: cpus }, (_, i) => ({
      cpuId: i,
      apicId: i,
      packageId: 0,
      coreId: i,
      nodeId: i % NODES,
      present: true,
    })),
    [
      [10, 20],
      [20, 10],
    ],
    new Set([0, 1]),
  );
  const memory = new PhysicalMemory(MEMORY_BYTES, NODES);
  // Frames 1..8 stay the kernel's (start words, globals, trampoline), as boot/bringup.ts claims them.
  for (let f = 1; f <= TRAMPOLINE >>> 12; f++) memory.allocFrame(0);
  // What BootRun and the boot code read of the kernel and its CPUs, nothing more.
  // clock.tscKhz 0: uncalibrated, so udelay is the nominal CPUID figure (boot/wait.ts).
  const kernel = { nowNs: 0, topology, board: { memory }, clock: { tscKhz: 0 } } as unknown as Kernel;
  const cpuObjects = Array.from(
    { length: cpus },
    (_, i) =>
      ({
        id: i,
        cyclesPerNs: TSC_KHZ / 1e6,
        bus: { costs: COSTS },
        cpuid: { apicId: i, x2apic: false, smtShift: 0, packageShift: 8, tscKhz: TSC_KHZ },
      }) as unknown as Cpu,
  );
  return { run: new BootRun(kernel, options), cpus: cpuObjects };
}

/** What `kernel` code on CPU `cpu` did that the explorer checks right away (K2/K8 counters). */
export type HostCheck = () => string | null;

/** Runs kernel bring-up code as an explorer thread (the translation in the header). */
export function* explored<T>(t: XThread, code: KernelGen<T>, check: HostCheck = () => null): XProgram<T> {
  let resume: unknown;
  let destination = -1;
  const started = new Set<number>();
  for (;;) {
    const r = code.next(resume);
    if (r.done) return r.value;
    const e = r.value;
    resume = undefined;
    if (e.op === KernelOp.Spend || e.op === Op.Compute) continue;
    if (e.op !== Op.Atomic) throw new Error(`explore: bring-up effect op ${e.op} is not modelled`);
    if (e.addr >= LAPIC_MMIO_BASE && e.addr < LAPIC_MMIO_END) {
      if (e.addr === LAPIC_ICR_HIGH && e.kind === AtomicOp.Store) destination = e.a >>> 24;
      else if (e.addr === LAPIC_ICR_LOW && e.kind === AtomicOp.Store) {
        // Only the first SIPI is a step: delivery never fails here, so a second one finds the AP
        // out of wait-for-SIPI, which ignores it (Intel SDM vol. 3 §9.4.4); as a step it would
        // only double the orders of the AP's start against it.
        if ((e.a & ICR_MODE_MASK) === ICR_STARTUP && !started.has(destination)) {
          started.add(destination);
          yield t.atomic(AtomicOp.Store, START_WORDS + 4 * destination, 1);
        }
      } else if (e.addr === LAPIC_ESR) resume = 0;
      else throw new Error(`explore: LAPIC register 0x${e.addr.toString(16)} is not modelled`);
      continue;
    }
    resume = yield* access(t, e);
    const broken = check();
    if (broken !== null) yield t.fail('assertion', broken);
  }
}

/**
 * One shared access. A spin loop's load (words.ts `spinLoad`) waits, as one step reading only
 * its mask, until `word & mask` is non-zero, and resumes with the masked word; a `setBit` is an
 * RMW whose old value is not handed back (footprint.ts: both commute with other bits' steps).
 */
function* access(t: XThread, e: AtomicEffect): XProgram<unknown> {
  if (isSpinLoad(e)) {
    const mask = e.spinMask;
    const [value] = (yield t.await([e.addr], (w) => w[0] !== 0, MemOrder.SeqCst, [mask])) as number[];
    return value!;
  }
  if (isSetBit(e)) return yield t.bits('or', e.addr, e.a);
  return yield e;
}

/** An AP's thread: it waits for its SIPI, then runs the trampoline and `apMain` (ap.ts). */
export function* apThread(t: XThread, cpu: Cpu, code: () => KernelGen<void>): XProgram<void> {
  yield t.await([START_WORDS + 4 * cpu.cpuid.apicId], (w) => w[0] !== 0);
  yield* explored(t, code());
}
