/**
 * Starting application processors (Intel SDM vol. 3 §8.4 and §11.6; models.md §6.1): the ICR
 * messages INIT and STARTUP (SIPI), each CPU's wait-for-SIPI state, and the error status
 * register (ESR) that reports a message no CPU accepted.
 *
 * After reset every AP waits for a SIPI (the BSP runs the firmware and the kernel). An INIT puts
 * an AP back in wait-for-SIPI; a SIPI to a CPU in wait-for-SIPI starts it in real mode at
 * `vector << 12`, and a SIPI to a CPU already running is ignored (why Linux's second SIPI is
 * harmless). Code runs there only where the kernel placed it (`placeCode`, the simulated form of
 * copying the trampoline to 0x8000): the CPU then runs it as a kernel generator, pushed over
 * whatever its context holds.
 *
 * The kernel writes the ICR and ESR as LAPIC MMIO stores and loads (xAPIC, 0xFEE00300/310, the
 * destination in bits 24–31 of ICR high) or, in x2APIC mode, as the one 64-bit MSR 0x830 write
 * with a 32-bit destination, modelled as its high half at `X2APIC_ICR_HIGH` then the low half.
 *
 * AP faults are injected here, as hardware misbehaves: an AP that never answers (a SIPI is
 * accepted but nothing starts), a send-accept error in the sender's ESR on the first SIPI (a
 * retry gets through) or on every one, and an AP that dies in the trampoline (it starts, then
 * stops at its first instruction with interrupts off: a triple fault's shutdown).
 */
import { TraceKind } from '../abi/trace.ts';
import { AssertionError } from '../engine/assert.ts';
import type { Engine } from '../engine/engine.ts';
import type { TraceHash } from '../engine/trace-hash.ts';
import { FrameKind, makeFrame } from './context.ts';
import type { CostModel } from './cost-model.ts';
import type { Cpu } from './cpu.ts';
import { type KernelGen, spend } from './effects.ts';
import type { ApicBus } from './lapic.ts';

export const LAPIC_MMIO_BASE = 0xfee0_0000;
export const LAPIC_MMIO_END = 0xfee0_1000;
export const LAPIC_ESR = 0xfee0_0280;
export const LAPIC_ICR_LOW = 0xfee0_0300;
export const LAPIC_ICR_HIGH = 0xfee0_0310;
/** The high half of x2APIC's ICR MSR 0x830 (a full 32-bit destination), in the model's MMIO page. */
export const X2APIC_ICR_HIGH = 0xfee0_0834;
/** ICR delivery modes (bits 8–10) and the level-assert bit (14). */
export const ICR_INIT = 5 << 8;
export const ICR_STARTUP = 6 << 8;
export const ICR_ASSERT = 1 << 14;
/** ESR bit 2: "Send Accept Error", no CPU accepted the message (SDM §11.5.3). */
export const ESR_SEND_ACCEPT = 1 << 2;

export const AP_FAULTS = ['no-answer', 'esr-once', 'esr-always', 'dies'] as const;
export type ApFault = (typeof AP_FAULTS)[number];

/** Prepares `cpu` to run the code placed at a SIPI's page (pushes its frame); the CPU then starts. */
export type StartupEntry = (cpu: Cpu) => void;

const KIND_INIT = 0;
const KIND_SIPI = 1;

export class StartupController {
  readonly #engine: Engine;
  readonly #cpus: readonly Cpu[];
  readonly #apic: ApicBus;
  readonly #costs: CostModel;
  readonly #trace: TraceHash;
  /** Per CPU: waiting for a SIPI (APs after reset and after INIT), or running. */
  readonly #waiting: Uint8Array;
  /** ESR as read, and the errors since its last write (a write latches them: SDM §11.5.3). */
  readonly #esr: Uint32Array;
  readonly #esrPending: Uint32Array;
  readonly #icrHigh: Uint32Array;
  readonly #faults = new Map<number, ApFault>();
  readonly #esrFaultsLeft = new Map<number, number>();
  readonly #code = new Map<number, StartupEntry>();
  /** SIPI vector of each message in flight, by sequence tag. */
  readonly #vectors: number[] = [];
  #kind = -1;

  constructor(engine: Engine, cpus: readonly Cpu[], apic: ApicBus, costs: CostModel, trace: TraceHash) {
    this.#engine = engine;
    this.#cpus = cpus;
    this.#apic = apic;
    this.#costs = costs;
    this.#trace = trace;
    this.#waiting = new Uint8Array(cpus.length).fill(1);
    this.#waiting[0] = 0; // the BSP runs from reset
    this.#esr = new Uint32Array(cpus.length);
    this.#esrPending = new Uint32Array(cpus.length);
    this.#icrHigh = new Uint32Array(cpus.length);
  }

  /** Injects a fault on the AP with `apicId` (see the file's header). */
  injectFault(apicId: number, fault: ApFault): void {
    this.#faults.set(apicId, fault);
    if (fault === 'esr-once') this.#esrFaultsLeft.set(apicId, 1);
    if (fault === 'esr-always') this.#esrFaultsLeft.set(apicId, Number.POSITIVE_INFINITY);
  }

  /** The kernel copies its trampoline to `address` (page-aligned, below 1 MiB, as a SIPI vector can name). */
  placeCode(address: number, entry: StartupEntry): void {
    if (address % 4096 !== 0 || address >= 0x10_0000)
      throw new AssertionError(`startup: code at 0x${address.toString(16)}`);
    this.#code.set(address >>> 12, entry);
  }

  /** Whether CPU `cpuId` waits for a SIPI. */
  waitingForSipi(cpuId: number): boolean {
    return this.#waiting[cpuId] === 1;
  }

  /** A store into the LAPIC MMIO page by code on `from`. */
  store(from: Cpu, address: number, value: number): void {
    if (address === LAPIC_ESR) {
      this.#esr[from.id] = this.#esrPending[from.id]!;
      this.#esrPending[from.id] = 0;
    } else if (address === LAPIC_ICR_HIGH) this.#icrHigh[from.id] = value >>> 24;
    else if (address === X2APIC_ICR_HIGH) {
      if (!from.cpuid.x2apic)
        throw new AssertionError(`cpu ${from.id}: x2APIC MSR write without x2APIC (#GP)`);
      this.#icrHigh[from.id] = value >>> 0;
    } else if (address === LAPIC_ICR_LOW) this.#send(from, value >>> 0);
    else throw new AssertionError(`cpu ${from.id}: LAPIC register 0x${address.toString(16)} not modelled`);
  }

  /** A load from the LAPIC MMIO page. */
  load(from: Cpu, address: number): number {
    if (address === LAPIC_ESR) return this.#esr[from.id]!;
    if (address === LAPIC_ICR_LOW) return 0; // delivery status (bit 12) idle: sends are not queued
    throw new AssertionError(`cpu ${from.id}: LAPIC register 0x${address.toString(16)} not modelled`);
  }

  #send(from: Cpu, low: number): void {
    const mode = low & (7 << 8);
    const dest = this.#icrHigh[from.id]!;
    if (mode !== ICR_INIT && mode !== ICR_STARTUP) {
      throw new AssertionError(`cpu ${from.id}: ICR delivery mode ${mode >> 8} through MMIO not modelled`);
    }
    if (mode === ICR_INIT && (low & ICR_ASSERT) === 0) return; // INIT de-assert: no message on modern APICs
    const slot = this.#apic.slotOf(dest);
    const left = this.#esrFaultsLeft.get(dest) ?? 0;
    if (slot < 0 || (mode === ICR_STARTUP && left > 0)) {
      if (mode === ICR_STARTUP && left > 0) this.#esrFaultsLeft.set(dest, left - 1);
      this.#esrPending[from.id]! |= ESR_SEND_ACCEPT;
      return;
    }
    if (this.#kind < 0) this.#kind = this.#engine.register('ap-startup', (s, tag) => this.#arrive(s, tag));
    this.#vectors.push(low & 0xff);
    const kind = mode === ICR_INIT ? KIND_INIT : KIND_SIPI;
    const tag = (this.#vectors.length - 1) * 2 + kind;
    this.#engine.after(this.#apic.ipiLatencyNs(from.id, slot), this.#kind, slot, tag);
  }

  #arrive(slot: number, tag: number): void {
    const cpu = this.#cpus[slot]!;
    if ((tag & 1) === KIND_INIT) {
      if (this.#waiting[slot] === 1 || slot === 0) return; // a running CPU's INIT reset is not modelled
      throw new AssertionError(`startup: INIT to running CPU ${slot} not modelled`);
    }
    this.#trace.mix(TraceKind.StartupIpi, slot, 0x100 | this.#vectors[tag >>> 1]!);
    if (this.#waiting[slot] !== 1) return; // already running: the SIPI is ignored
    this.#waiting[slot] = 0;
    const fault = this.#faults.get(cpu.lapic.apicId);
    if (fault === 'no-answer') return;
    const entry = this.#code.get(this.#vectors[tag >>> 1]!);
    if (entry === undefined)
      throw new AssertionError(`startup: CPU ${slot} started where no code was placed`);
    entry(cpu);
    const frames = cpu.current.frames;
    frames.push(makeFrame(realModeEntry(this.#costs.apSipiStartNs), FrameKind.Kernel));
    if (fault === 'dies') frames.push(makeFrame(shutdown(), FrameKind.Kernel));
    cpu.start();
  }
}

/** The reset-to-first-instruction latency of a CPU leaving wait-for-SIPI. */
function* realModeEntry(ns: number): KernelGen<void> {
  yield spend(ns);
}

/** A CPU that stopped (shutdown after a triple fault): it runs nothing more and takes no interrupt. */
function* shutdown(): KernelGen<void> {
  for (;;) yield spend(1_000_000_000);
}
