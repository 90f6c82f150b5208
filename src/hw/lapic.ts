/**
 * The local APIC of each CPU (Intel SDM vol. 3 ch. 11) and the APIC bus that carries interrupt
 * messages to it. Every interrupt reaches a CPU through its LAPIC: an IPI written to a sender's
 * ICR, and next the IOAPIC's redirection entries and MSI writes, all travel as `deliver(dest,
 * vector, latencyNs)`; local sources (the LAPIC timer) put their vector into the IRR directly.
 *
 * The LAPIC keeps the two 256-bit registers of §11.8.4: IRR (accepted, not yet taken) and ISR (taken,
 * not yet EOI'd). A pending vector is delivered only when its priority class (vector >> 4) is
 * above the class of the highest vector in service (§11.8.3.1, with TPR 0); EOI retires the
 * highest in-service vector (§11.8.5). INTR, the line to the core, is asserted while such a
 * vector is pending; the core takes it at its next interrupt window (cpu.ts).
 *
 * The kernel writes EOI at the start of every handler (kernel/irq.ts), before the handler's own
 * work, as Linux does: `apic_eoi()` is the first statement of `sysvec_reschedule_ipi` and
 * `sysvec_call_function` (arch/x86/kernel/smp.c), and edge-triggered IRQs are acked before their
 * handler runs (`handle_edge_irq`, kernel/irq/chip.c). Between the CPU taking a vector and that EOI only the interrupt-entry cost passes, with
 * interrupts disabled, so no delivery decision falls inside it: the in-service class never holds
 * back a delivery today, exactly as the pending bitmap without an ISR behaved before, and every
 * trace hash is unchanged. A handler that EOIs late (a future threaded IRQ) would see it.
 */
import { TraceKind } from '../abi/trace.ts';
import { AssertionError, assert } from '../engine/assert.ts';
import type { Engine } from '../engine/engine.ts';
import type { TraceHash } from '../engine/trace-hash.ts';
import type { CostModel } from './cost-model.ts';
import { IPI_ALL, IPI_ALL_BUT_SELF, IPI_SELF } from './effects.ts';
import type { Topology } from './topology.ts';

/** Vectors 0-15 are illegal for the LAPIC (SDM §11.5.3: "received illegal vector"). */
export const VECTOR_MIN = 16;
export const VECTOR_MAX = 255;
const WORDS = 8; // 256 bits as the SDM's eight 32-bit registers
const NONE = -1;

/** The core a LAPIC's INTR line goes to. */
export interface LapicCore {
  /**
   * INTR asserted: a vector became deliverable (the core wakes from `hlt`, splits a compute
   * burst). `tail`: the event handler that delivered it does nothing after this call.
   */
  interruptPending(tail?: boolean): void;
}

/** The message path every interrupt source shares: one event per message, at its latency. */
export class ApicBus {
  readonly lapics: Lapic[] = [];
  readonly engine: Engine;
  readonly trace: TraceHash;
  readonly #topology: Topology;
  readonly #costs: CostModel;
  readonly #kind: number = 0;
  /** LAPIC index by APIC id: how an ICR destination finds its LAPIC. */
  readonly #byApicId = new Map<number, number>();
  /**
   * Told of every fixed IPI as it is sent (from, to, vector), or null: the timeline exporter's
   * (report/trace/); an observer only, it changes nothing the machine does.
   */
  ipiObserver: ((from: number, to: number, vector: number) => void) | null = null;

  constructor(engine: Engine, topology: Topology, costs: CostModel, trace: TraceHash) {
    this.engine = engine;
    this.trace = trace;
    this.#topology = topology;
    this.#costs = costs;
    const lapics = this.lapics;
    this.#kind = engine.register('irq', (dest, vector) => lapics[dest]!.accept(vector, true), true);
  }

  /** Registers a LAPIC (in CPU order) under its APIC id. */
  attach(lapic: Lapic): void {
    assert(this.lapics.length === lapic.id, `lapic: ${lapic.id} registered out of order`);
    assert(!this.#byApicId.has(lapic.apicId), `lapic: APIC id ${lapic.apicId} twice`);
    this.lapics.push(lapic);
    this.#byApicId.set(lapic.apicId, lapic.id);
  }

  /** The index of the LAPIC whose ID register holds `apicId`, or -1 when none answers to it. */
  slotOf(apicId: number): number {
    return this.#byApicId.get(apicId) ?? -1;
  }

  /** Sends `vector` to LAPIC `dest` (its index, the CPU id); it arrives `latencyNs` from now. */
  deliver(dest: number, vector: number, latencyNs: number): void {
    if (!(dest >= 0 && dest < this.lapics.length)) throw new AssertionError(`apic: no LAPIC ${dest}`);
    this.engine.after(latencyNs, this.#kind, dest, vector);
  }

  /** An IPI's flight from `from` to `to`: none to itself, more across packages (models.md §7 costs). */
  ipiLatencyNs(from: number, to: number): number {
    if (to === from) return 0;
    const costs = this.#costs;
    return this.#topology.samePackage(from, to) ? costs.ipiLatencyNs : costs.ipiLatencyRemoteNs;
  }
}

export class Lapic {
  /** Index on the bus, the CPU id: fixed-vector IPIs are addressed by it. */
  readonly id: number = 0;
  /** The LAPIC ID register (the MADT's and CPUID's APIC id); INIT and SIPI name it. */
  readonly apicId: number = 0;
  /** INTR to the core: a pending vector outranks the in-service class. */
  intr = false;
  /** Vectors accepted so far (kernel/idle-fold.ts: an idle tick's only one). */
  accepted = 0;
  /**
   * The LVT timer entry's mask bit (SDM §11.5.1, bit 16): the LAPIC timer, periodic or in
   * TSC-deadline mode, keeps counting but raises no interrupt (an offline CPU, kernel/hotplug.ts).
   */
  timerMasked = false;
  /**
   * The spurious-vector register's APIC Software Enable bit (SDM §11.4.7.2). Cleared, as
   * Linux's native_cpu_disable does for a CPU going offline (apic_soft_disable,
   * arch/x86/kernel/smpboot.c: "Otherwise IPI broadcasts will reach it"), a fixed interrupt
   * that arrives sets no IRR bit and is lost (counted in `refused`); bits already in IRR stay.
   * Set again when the CPU is brought up (kernel/hotplug-park.ts).
   */
  softwareEnabled = true;
  /** Fixed interrupts that arrived while software-disabled and were dropped. */
  refused = 0;
  readonly #bus: ApicBus;
  readonly #core: LapicCore;
  readonly #irr = new Uint32Array(WORDS);
  readonly #isr = new Uint32Array(WORDS);

  constructor(id: number, apicId: number, bus: ApicBus, core: LapicCore) {
    this.id = id;
    this.apicId = apicId;
    this.#bus = bus;
    this.#core = core;
    bus.attach(this);
  }

  /**
   * A vector arrives (a bus message or a local source): sets its IRR bit (edge-triggered).
   * `tail`: the caller is an event handler that does nothing after this call, so the core may
   * run what it then schedules at once when nothing else is due first (Engine.runAhead).
   */
  accept(vector: number, tail = false): void {
    if (!(vector >= VECTOR_MIN && vector <= VECTOR_MAX)) this.#fail(`illegal vector ${vector}`);
    if (!this.softwareEnabled) {
      this.refused++;
      this.#bus.trace.mix(TraceKind.InterruptRefused, this.id, vector);
      return;
    }
    this.accepted++;
    this.#irr[vector >>> 5]! |= 1 << (vector & 31);
    this.#bus.trace.mix(TraceKind.InterruptRaised, this.id, vector);
    if (this.#update()) this.#core.interruptPending(tail);
  }

  /** The core's interrupt acknowledge: the highest pending vector moves from IRR to ISR. */
  ack(): number {
    if (!this.intr) this.#fail('acknowledge with nothing deliverable');
    const vector = highest(this.#irr);
    this.#irr[vector >>> 5]! &= ~(1 << (vector & 31));
    this.#isr[vector >>> 5]! |= 1 << (vector & 31);
    this.#update();
    return vector;
  }

  /**
   * End of interrupt: retires the highest in-service vector. A vector it unmasks raises INTR;
   * the core is in kernel code (the handler), so it is taken at the next window.
   */
  eoi(): void {
    const vector = highest(this.#isr);
    if (vector === NONE) this.#fail('EOI with nothing in service');
    this.#isr[vector >>> 5]! &= ~(1 << (vector & 31));
    this.#update();
  }

  /** The highest vector in service, or -1. */
  get inService(): number {
    return highest(this.#isr);
  }

  /** Whether `vector` is pending in the IRR. */
  pending(vector: number): boolean {
    return (this.#irr[vector >>> 5]! & (1 << (vector & 31))) !== 0;
  }

  /** An ICR write: a CPU id or a destination shorthand (SDM §11.6.1, bits 18-19). */
  sendIpi(target: number, vector: number): void {
    if (target >= 0) this.#sendTo(target, vector);
    else if (target === IPI_SELF) this.#sendTo(this.id, vector);
    else {
      assert(target === IPI_ALL || target === IPI_ALL_BUT_SELF, 'lapic: bad IPI shorthand');
      const count = this.#bus.lapics.length;
      for (let to = 0; to < count; to++) {
        if (to !== this.id || target === IPI_ALL) this.#sendTo(to, vector);
      }
    }
  }

  // A method, not a closure in sendIpi: the loader's keepNames wraps each closure it creates
  // in a defineProperty call, which cost ping-pong 3% (bench).
  #sendTo(to: number, vector: number): void {
    const bus = this.#bus;
    if (bus.ipiObserver !== null) bus.ipiObserver(this.id, to, vector);
    bus.deliver(to, vector, bus.ipiLatencyNs(this.id, to));
  }

  // Asserts on this path build their message only when they fail (one IPI is several calls).
  #fail(what: string): never {
    throw new AssertionError(`lapic ${this.id}: ${what}`);
  }

  /** Recomputes INTR: the highest pending class above the highest in-service class. */
  #update(): boolean {
    const pendingVector = highest(this.#irr);
    const serviceVector = highest(this.#isr);
    this.intr = pendingVector !== NONE && (serviceVector === NONE || pendingVector >> 4 > serviceVector >> 4);
    return this.intr;
  }
}

/** The highest set bit of a 256-bit register, or -1. */
function highest(words: Uint32Array): number {
  for (let w = WORDS - 1; w >= 0; w--) {
    const word = words[w]!;
    if (word !== 0) return w * 32 + 31 - Math.clz32(word);
  }
  return NONE;
}
