/**
 * The kernel's interrupt vector table: handlers registered per vector (Linux's system-vector
 * IDT entries and `irq_desc`s, Redox's `idt.rs`), instead of one closed switch, so that timers,
 * IPIs and next the IOAPIC lines and MSI vectors of drivers plug in the same way.
 *
 * Every interrupt enters through `irqEntry`: it counts the interrupt, writes EOI to the CPU's
 * LAPIC first, and runs the vector's handler; a vector with no handler is counted spurious.
 * EOI first is Linux's order (`apic_eoi()` opens `sysvec_reschedule_ipi` and
 * `sysvec_call_function` in arch/x86/kernel/smp.c; edge IRQs are acked before the handler in
 * `handle_edge_irq`, kernel/irq/chip.c), so a handler that switches away or runs long does not
 * hold back the interrupts of its class; Redox's PIT handler also EOIs before it broadcasts its
 * tick (models.md §1.2).
 */
import { assert } from '../engine/assert.ts';
import type { Cpu } from '../hw/cpu.ts';
import type { KernelGen } from '../hw/effects.ts';
import { VECTOR_MAX, VECTOR_MIN } from '../hw/lapic.ts';
import type { Kernel } from './kernel.ts';
import { deviceInterrupt } from './devio/irq-handler.ts';
import { forwardMovedInterrupt } from './devio/hotplug-vectors.ts';

/**
 * A vector's handler. It runs right after the EOI; what it returns, if not null, is the kernel
 * code the interrupt then runs (a handler with nothing to yield returns null and costs no frame).
 */
export type IrqHandler = (k: Kernel, cpu: Cpu, vector: number) => KernelGen<void> | null;

const VECTORS = VECTOR_MAX + 1;

export class VectorTable {
  readonly #handlers: (IrqHandler | null)[] = new Array<IrqHandler | null>(VECTORS).fill(null);
  readonly #names: string[] = new Array<string>(VECTORS).fill('');

  /** Installs `handler` on `vector`; a vector has one handler (Redox's irq: scheme says EEXIST). */
  register(vector: number, name: string, handler: IrqHandler): void {
    assert(
      Number.isInteger(vector) && vector >= VECTOR_MIN && vector <= VECTOR_MAX,
      `irq: vector ${vector} outside ${VECTOR_MIN}..${VECTOR_MAX}`,
    );
    const taken = this.#names[vector];
    assert(this.#handlers[vector] === null, `irq: vector 0x${vector.toString(16)} already has ${taken}`);
    this.#handlers[vector] = handler;
    this.#names[vector] = name;
  }

  /** Removes the handler of `vector` (a driver closing its irq handle). */
  unregister(vector: number): void {
    this.#handlers[vector] = null;
    this.#names[vector] = '';
  }

  handler(vector: number): IrqHandler | null {
    return this.#handlers[vector] ?? null;
  }

  /** The name a vector's handler was registered with, or '' when it has none. */
  name(vector: number): string {
    return this.#names[vector] ?? '';
  }
}

/** The common entry of every interrupt on `cpu` (the IDT stub and the handler dispatch). */
export function* irqEntry(k: Kernel, cpu: Cpu, vector: number): KernelGen<void> {
  k.stats.interrupts++;
  cpu.lapic.eoi();
  k.traceSink?.interrupted(cpu, vector);
  const handler = k.irq.handler(vector);
  if (handler === null) {
    // A device vector: per-CPU vectors mean the (CPU, vector) pair names the irq handle.
    const device = k.devio?.handleAt(cpu.id, vector);
    if (device !== undefined) {
      yield* deviceInterrupt(k, cpu, device);
      return;
    }
    // One a CPU offline moved away: sent on to the handle's new vector (fixup_irqs' retrigger).
    if (k.devio !== null && forwardMovedInterrupt(k, cpu, vector)) return;
    k.stats.spuriousInterrupts++;
    return;
  }
  const body = handler(k, cpu, vector);
  if (body !== null) yield* body;
}
