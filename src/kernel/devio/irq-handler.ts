/**
 * The kernel's handler of a device vector (issue 18), entered from irq.ts `irqEntry` after the
 * EOI when the (CPU, vector) pair belongs to an irq handle. As Redox's `irq_trigger`
 * (src/arch/x86_shared/interrupt/irq.rs, models-2.md §7.3): a level line is masked at its
 * IOAPIC entry (and its remote IRR cleared with the IOAPIC's EOI) until the driver acknowledges,
 * the IRQ is counted, and every thread waiting on the handle is woken (readers, and pollers
 * of its irq: file). The count goes through
 * the count lock of the mode (K13): Redox's one global `COUNTS` lock every CPU takes on every
 * interrupt, or the CPU's own counter (Linux's kstat_irqs, kernel/irq/irqdesc.c).
 */
import type { Cpu } from '../../hw/cpu.ts';
import { RTE_MASK } from '../../hw/ioapic-rte.ts';
import { type KernelGen, lock, spend, unlock } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import type { IrqHandle } from './devio.ts';

export function* deviceInterrupt(k: Kernel, cpu: Cpu, h: IrqHandle): KernelGen<void> {
  const d = k.devio!;
  const costs = k.board.costs;
  const startNs = k.nowNs;
  d.stats.noteHandlerStart(cpu.id, h.vector, startNs);
  if (h.mode === 'intx') {
    h.masked = true;
    yield spend(3 * costs.mmioWriteNs + costs.mmioReadNs); // RTE read-modify-write, IOAPIC EOI
    const gsi = d.functions[h.fn]!.intxGsi;
    d.writeRteLo(gsi, (d.readRteLo(gsi) | RTE_MASK) >>> 0);
    d.ioapicEoi(gsi, h.vector);
  }
  const countLock = d.countLock(cpu.id);
  yield lock(countLock);
  yield spend(costs.irqCountUpdateNs);
  d.counts.count(cpu.id, h.irq);
  yield unlock(countLock);
  yield spend(costs.deviceIrqNs);
  h.count++;
  const waiters = h.waiters.splice(0);
  for (const t of waiters) yield* k.wakeThread(cpu, t);
  if (h.pollers !== undefined && h.pollers.size > 0) yield* h.pollers.wakeAll(k, cpu);
  d.stats.noteHandlerEnd(cpu.id, k.nowNs - startNs);
}
