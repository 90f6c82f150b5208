/**
 * The BSP side of bring-up, per protocol (plan.ts): for each AP the kernel found in the tables it
 * gives the AP a per-CPU block and a stack, tells it where they are, sends INIT and SIPIs through
 * its LAPIC's ICR, and waits. An AP that does not come up is logged, its frames given back, and
 * boot goes on (HW-2).
 *
 * Linux (arch/x86/kernel/smpboot.c, `wakeup_secondary_cpu_via_init` and `do_boot_cpu`): ESR
 * cleared, INIT asserted, `init_udelay` (10 ms legacy, 0 modern), two SIPIs each with the ESR
 * cleared before and read after (10 µs and 10 µs waits, 300 and 200 µs legacy), a delivery error
 * retried (HW-1: twice), then `cpu_callin_mask` awaited for 10 s in udelay(100) steps and
 * `cpu_callout_mask` set. Redox (src/acpi/madt/arch/x86.rs): INIT then one SIPI at once, and spins
 * on the trampoline's ready word and then AP_READY, with Red Bear's 10^8-iteration timeout.
 */
import {
  ICR_ASSERT,
  ICR_INIT,
  ICR_STARTUP,
  LAPIC_ESR,
  LAPIC_ICR_HIGH,
  LAPIC_ICR_LOW,
  X2APIC_ICR_HIGH,
} from '../../hw/ap-startup.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import {
  AP_READY,
  AP_STACK_FRAMES,
  CALLIN_MASK,
  CALLOUT_MASK,
  CPU_COUNT,
  CPU_TABLE,
  ENTRY_KSTART_AP,
  maskWord,
  NODE_UNSET,
  ONLINE_MASK,
  PCR_APIC,
  PCR_INIT_DONE,
  PCR_NODE,
  PCR_ONLINE,
  SIPI_VECTOR,
  TRAMP_ARGS,
  TRAMP_CR3,
  TRAMP_ENTRY,
  TRAMP_READY,
} from './layout.ts';
import type { BootRun } from './run-state.ts';
import { ANY_BIT, pollUntil, spinUntil, udelay } from './wait.ts';
import { load, setBit, store } from './words.ts';

/** Red Bear's spin timeout (absorbed/P0-amd-acpi-x2apic.patch): 10^8 iterations. */
export const REDBEAR_SPIN_ITERATIONS = 100_000_000;
const CALLIN_TIMEOUT_US = 10_000_000;
const POLL_STEP_US = 100;
/** SIPIs sent again after a delivery error (HW-1). */
const SIPI_RETRIES = 2;
/** Linux's `accept_status = apic_read(APIC_ESR) & 0xEF`. */
const ESR_ERRORS = 0xef;

/** Allocates the AP's per-CPU block and stack on its node and writes the block's first words. */
function* giveFrames(run: BootRun, cpu: number): KernelGen<number | null> {
  const k = run.kernel;
  const node = k.topology.memoryNodeOf(cpu);
  const pcrFrame = k.board.memory.allocFrame(node);
  const stack = Array.from({ length: AP_STACK_FRAMES }, () => k.board.memory.allocFrame(node));
  if (pcrFrame < 0 || stack.some((f) => f < 0)) {
    run.fail(cpu, 'no memory for its stack');
    return null;
  }
  const pcr = pcrFrame << 12;
  run.frames.set(cpu, { pcr, stack });
  yield store(pcr + PCR_APIC, run.records[cpu]!.apicId);
  yield store(pcr + PCR_NODE, NODE_UNSET);
  return pcr;
}

/** One ICR message to `apicId`, through xAPIC MMIO or the x2APIC MSR as the BSP runs. */
function* sendIcr(bsp: Cpu, apicId: number, low: number): KernelGen<void> {
  if (bsp.cpuid.x2apic) yield store(X2APIC_ICR_HIGH, apicId);
  else yield store(LAPIC_ICR_HIGH, apicId << 24);
  yield store(LAPIC_ICR_LOW, low);
  yield spend(bsp.bus.costs.ipiSendNs);
}

/** Writes the trampoline's argument words for one AP (the serial protocols share one page). */
function* writeTrampolineArgs(pcr: number): KernelGen<void> {
  yield store(TRAMP_READY, 0);
  yield store(TRAMP_ARGS, pcr);
  yield store(TRAMP_CR3, 0x1000);
  yield store(TRAMP_ENTRY, ENTRY_KSTART_AP);
}

/** What the BSP sees of a CPU it now takes to be up: counted if its init or node is not written. */
function* checkVisible(run: BootRun, cpu: number, pcr: number): KernelGen<void> {
  const rec = run.records[cpu]!;
  rec.status = 'online';
  rec.onlineNs = run.sinceNs;
  if (((yield load(pcr + PCR_INIT_DONE)) as number) === 0) {
    run.halfInitialised++;
    run.note(`CPU ${cpu} taken as up before its init finished (K2)`);
  }
  if (((yield load(pcr + PCR_NODE)) as number) === NODE_UNSET) {
    run.nodeUnsetSeen++;
    run.note(`CPU ${cpu} visible with its NUMA node unset (K8)`);
  }
}

function* redoxOne(run: BootRun, bsp: Cpu, cpu: number): KernelGen<void> {
  const rec = run.records[cpu]!;
  const pcr = yield* giveFrames(run, cpu);
  if (pcr === null) return;
  yield* writeTrampolineArgs(pcr);
  rec.initNs = run.sinceNs;
  yield* sendIcr(bsp, rec.apicId, ICR_INIT | ICR_ASSERT);
  rec.sipiNs.push(run.sinceNs);
  yield* sendIcr(bsp, rec.apicId, ICR_STARTUP | SIPI_VECTOR);
  if (!(yield* spinUntil(bsp, TRAMP_READY, ANY_BIT, REDBEAR_SPIN_ITERATIONS))) {
    run.fail(cpu, 'trampoline ready word never set (10^8 spins)');
    return;
  }
  rec.callinNs = run.sinceNs;
  const flag = run.options.races.dualReady ? AP_READY : pcr + PCR_ONLINE;
  if (!(yield* spinUntil(bsp, flag, ANY_BIT, REDBEAR_SPIN_ITERATIONS))) {
    run.fail(cpu, 'never became ready (10^8 spins)');
    return;
  }
  if (run.options.races.dualReady) yield store(AP_READY, 0);
  yield* checkVisible(run, cpu, pcr);
}

/** INIT and the SIPIs with Linux's delays and ESR checks; false when delivery kept failing. */
function* linuxKick(run: BootRun, bsp: Cpu, cpu: number): KernelGen<boolean> {
  const rec = run.records[cpu]!;
  const legacy = run.options.legacyDelays;
  yield store(LAPIC_ESR, 0);
  rec.initNs = run.sinceNs;
  yield* sendIcr(bsp, rec.apicId, ICR_INIT | ICR_ASSERT);
  yield* udelay(run.kernel, bsp, legacy ? 10_000 : 0);
  yield* sendIcr(bsp, rec.apicId, ICR_INIT);
  let retries = SIPI_RETRIES;
  for (let sent = 0; sent < 2; ) {
    yield store(LAPIC_ESR, 0);
    rec.sipiNs.push(run.sinceNs);
    yield* sendIcr(bsp, rec.apicId, ICR_STARTUP | SIPI_VECTOR);
    yield* udelay(run.kernel, bsp, legacy ? 300 : 10);
    yield* udelay(run.kernel, bsp, legacy ? 200 : 10);
    yield store(LAPIC_ESR, 0); // the write latches the errors seen since the last one
    const esr = ((yield load(LAPIC_ESR)) as number) & ESR_ERRORS;
    if (esr === 0) {
      sent++;
      continue;
    }
    run.note(`CPU ${cpu}: SIPI delivery error, ESR 0x${esr.toString(16)}${retries > 0 ? ', retrying' : ''}`);
    if (retries-- === 0) return false;
  }
  return true;
}

/** After the kick: callin awaited, callout given, online awaited (the serial part). */
function* linuxHandshake(run: BootRun, bsp: Cpu, cpu: number, pcr: number): KernelGen<void> {
  const rec = run.records[cpu]!;
  const callin = maskWord(CALLIN_MASK, cpu);
  if (!(yield* pollUntil(run.kernel, bsp, callin.addr, callin.bit, CALLIN_TIMEOUT_US, POLL_STEP_US))) {
    run.fail(cpu, 'no callin within 10 s');
    return;
  }
  rec.callinNs = run.sinceNs;
  const callout = maskWord(CALLOUT_MASK, cpu);
  yield setBit(callout.addr, callout.bit); // cpumask_set_cpu: the old value is not read
  const online = maskWord(ONLINE_MASK, cpu);
  if (!(yield* spinUntil(bsp, online.addr, online.bit, 0))) return;
  yield* checkVisible(run, cpu, pcr);
}

function* linuxOne(run: BootRun, bsp: Cpu, cpu: number): KernelGen<void> {
  const pcr = yield* giveFrames(run, cpu);
  if (pcr === null) return;
  yield* writeTrampolineArgs(pcr);
  if (!(yield* linuxKick(run, bsp, cpu))) {
    run.fail(cpu, 'APIC delivery error after retries');
    return;
  }
  yield* linuxHandshake(run, bsp, cpu, pcr);
}

/** Linux 6.5+: every AP's block in the table and every AP kicked, then each released in turn. */
function* parallelAll(run: BootRun, bsp: Cpu, aps: number[]): KernelGen<void> {
  const blocks = new Map<number, number>();
  for (const cpu of aps) {
    const pcr = yield* giveFrames(run, cpu);
    if (pcr === null) continue;
    blocks.set(cpu, pcr);
    yield store(CPU_TABLE + 8 * cpu, run.records[cpu]!.apicId);
    yield store(CPU_TABLE + 8 * cpu + 4, pcr);
  }
  for (const cpu of aps) {
    if (!blocks.has(cpu)) continue;
    if (!(yield* linuxKick(run, bsp, cpu))) {
      run.fail(cpu, 'APIC delivery error after retries');
      blocks.delete(cpu);
    }
  }
  for (const cpu of aps) {
    const pcr = blocks.get(cpu);
    if (pcr !== undefined) yield* linuxHandshake(run, bsp, cpu, pcr);
  }
}

/** The BSP's bring-up of every AP the kernel found. */
export function* bringUpAps(run: BootRun, bsp: Cpu): KernelGen<void> {
  const aps = run.records.filter((r) => r.status === 'not-started').map((r) => r.cpu);
  run.note(`${run.options.protocol} bring-up of ${aps.length} APs`);
  yield store(CPU_COUNT, 1); // the BSP is CPU 0

  if (run.options.protocol === 'parallel') yield* parallelAll(run, bsp, aps);
  else {
    for (const cpu of aps) {
      if (run.options.protocol === 'redox') yield* redoxOne(run, bsp, cpu);
      else yield* linuxOne(run, bsp, cpu);
    }
  }
  run.doneNs = run.sinceNs;
}
