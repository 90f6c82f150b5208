/**
 * Interrupt counts per IRQ, in the two kernels' layouts (K13). `redox`: one global array,
 * Redox's `COUNTS` in src/arch/x86_shared/interrupt/irq.rs, behind one lock every CPU takes on
 * every interrupt (`lockFor` names the same lock for all). `improved`: per-CPU counters, as
 * Linux's `kstat_irqs` (kernel/irq/irqdesc.c, `kstat_incr_irqs_this_cpu`), each CPU writing only
 * its own and a reader summing them (`/proc/interrupts`), so the hot path shares nothing.
 * The interrupt entry charges the lock `lockFor(cpu)` names through the kernel's lock model.
 */
import type { RoutingMode } from './legacy-routes.ts';

export class IrqCounts {
  readonly mode: RoutingMode;
  readonly #perCpu: Map<number, number>[];

  constructor(mode: RoutingMode, cpus: number) {
    this.mode = mode;
    this.#perCpu = Array.from({ length: mode === 'redox' ? 1 : cpus }, () => new Map<number, number>());
  }

  /** The lock the hot path on `cpu` takes to count: one global name, or one per CPU. */
  lockFor(cpu: number): string {
    return this.mode === 'redox' ? 'irq-counts' : `irq-counts/cpu${cpu}`;
  }

  count(cpu: number, irq: number): number {
    const map = this.#perCpu[this.mode === 'redox' ? 0 : cpu]!;
    const n = (map.get(irq) ?? 0) + 1;
    map.set(irq, n);
    return n;
  }

  total(irq: number): number {
    return this.#perCpu.reduce((sum, m) => sum + (m.get(irq) ?? 0), 0);
  }

  /** Per-CPU counts (improved only: the redox array does not know which CPU took the interrupt). */
  onCpu(cpu: number, irq: number): number | null {
    return this.mode === 'redox' ? null : (this.#perCpu[cpu]!.get(irq) ?? 0);
  }
}
