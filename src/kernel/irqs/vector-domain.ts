/**
 * The IRQs that own vectors, over the matrix (vector-matrix.ts): where each IRQ's vector is, its
 * affinity mask, whether it is managed, and what happens to it when CPUs go offline and online.
 * After Linux arch/x86/kernel/apic/vector.c and kernel/irq/cpuhotplug.c (models-2.md §7.4, §8.5):
 * - a non-managed IRQ takes the most-free online CPU of its mask, else of all online CPUs
 *   (`assign_irq_vector_any_locked`); affinity keeps the current vector while its CPU is online
 *   and in the new mask; a mask with no online CPU is EINVAL, a managed IRQ refuses with EIO;
 * - managed IRQs (one per queue) reserve a bit on every CPU of their mask and are never moved
 *   by affinity writes;
 * - offline refuses with ENOSPC when the other online CPUs have fewer free vectors than the CPU
 *   holds (`lapic_can_unplug_cpu`); it moves each non-managed IRQ to an online CPU of its mask,
 *   else to any ("affinity broken"), moves a managed one inside its mask, and shuts a managed
 *   one down when no CPU of its mask is left; online restarts those.
 * A move frees the old vector at once: the sim has no window in which an interrupt is in flight
 * to the old vector while the new one is programmed (Linux's move_in_progress/cleanup IPI).
 */
import type { MatrixError, Placement, VectorMatrix } from './vector-matrix.ts';

export interface IrqState {
  readonly irq: number;
  mask: readonly number[];
  readonly managed: boolean;
  /** Where its vector is now; null while a managed IRQ is shut down. */
  placement: Placement | null;
}

export interface IrqMove {
  readonly irq: number;
  readonly from: Placement;
  readonly to: Placement | null;
  /** The new CPU is outside the mask (Linux logs "affinity broken"). */
  readonly broken: boolean;
}

export type DomainError = MatrixError | 'EIO' | 'EEXIST' | 'ENOENT';

export class VectorDomain {
  readonly matrix: VectorMatrix;
  readonly #irqs = new Map<number, IrqState>();

  constructor(matrix: VectorMatrix) {
    this.matrix = matrix;
  }

  get irqs(): readonly IrqState[] {
    return [...this.#irqs.values()];
  }

  get(irq: number): IrqState | undefined {
    return this.#irqs.get(irq);
  }

  onlineCpus(): number[] {
    const out: number[] = [];
    for (let c = 0; c < this.matrix.cpus; c++) if (this.matrix.isOnline(c)) out.push(c);
    return out;
  }

  allocate(irq: number, mask: readonly number[]): Placement | DomainError {
    if (this.#irqs.has(irq)) return 'EEXIST';
    const p = this.#place(mask);
    if (typeof p === 'string') return p;
    this.#irqs.set(irq, { irq, mask: [...mask], managed: false, placement: p });
    return p;
  }

  allocateManaged(irq: number, mask: readonly number[]): Placement | DomainError {
    if (this.#irqs.has(irq)) return 'EEXIST';
    const r = this.matrix.reserveManaged(mask);
    if (r !== 'ok') return r;
    const p = this.matrix.allocManaged(mask);
    const placement = typeof p === 'string' ? null : p; // no online CPU yet: starts shut down
    this.#irqs.set(irq, { irq, mask: [...mask], managed: true, placement });
    return placement ?? 'ENOSPC';
  }

  release(irq: number): void {
    const s = this.#irqs.get(irq);
    if (!s) return;
    if (s.placement) this.matrix.free(s.placement.cpu, s.placement.vector, s.managed);
    if (s.managed) this.matrix.removeManaged(s.mask);
    this.#irqs.delete(irq);
  }

  setAffinity(irq: number, mask: readonly number[]): Placement | DomainError {
    const s = this.#irqs.get(irq);
    if (!s) return 'ENOENT';
    if (s.managed) return 'EIO';
    if (!mask.some((c) => this.matrix.isOnline(c))) return 'EINVAL';
    const cur = s.placement!;
    s.mask = [...mask];
    if (mask.includes(cur.cpu) && this.matrix.isOnline(cur.cpu)) return cur;
    const p = this.matrix.alloc(mask);
    if (typeof p === 'string') return p;
    this.matrix.free(cur.cpu, cur.vector, false);
    s.placement = p;
    return p;
  }

  /** lapic_can_unplug_cpu: the other online CPUs have room for every vector `cpu` holds. */
  canOffline(cpu: number): boolean {
    const others = this.onlineCpus().filter((c) => c !== cpu);
    const free = others.reduce((n, c) => n + this.matrix.available(c), 0);
    return others.length > 0 && this.matrix.allocated(cpu) <= free;
  }

  /** Takes `cpu` offline and moves its IRQs, or ENOSPC if the others cannot hold its vectors. */
  offline(cpu: number): IrqMove[] | 'ENOSPC' {
    if (!this.canOffline(cpu)) return 'ENOSPC';
    this.matrix.offline(cpu);
    const moves: IrqMove[] = [];
    for (const s of this.#irqs.values()) {
      const from = s.placement;
      if (!from || from.cpu !== cpu) continue;
      if (s.managed) {
        const p = this.matrix.allocManaged(s.mask);
        s.placement = typeof p === 'string' ? null : p;
        this.matrix.free(from.cpu, from.vector, true);
        moves.push({ irq: s.irq, from, to: s.placement, broken: false });
        continue;
      }
      const p = this.#place(s.mask);
      if (typeof p === 'string') throw new RangeError(`irq ${s.irq}: no vector after the unplug check`);
      this.matrix.free(from.cpu, from.vector, false);
      s.placement = p;
      moves.push({ irq: s.irq, from, to: p, broken: !s.mask.includes(p.cpu) });
    }
    return moves;
  }

  /** Brings `cpu` online and restarts the managed IRQs that were shut down for want of it. */
  online(cpu: number): number[] {
    this.matrix.online(cpu);
    const restarted: number[] = [];
    for (const s of this.#irqs.values()) {
      if (!s.managed || s.placement || !s.mask.includes(cpu)) continue;
      const p = this.matrix.allocManaged(s.mask);
      if (typeof p === 'string') continue;
      s.placement = p;
      restarted.push(s.irq);
    }
    return restarted;
  }

  #place(mask: readonly number[]): Placement | MatrixError {
    const p = this.matrix.alloc(mask);
    if (p !== 'ENOSPC') return p;
    return this.matrix.alloc(this.onlineCpus());
  }
}
