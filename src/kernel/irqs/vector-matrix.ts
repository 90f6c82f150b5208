/**
 * The per-CPU interrupt vector matrix, after Linux's kernel/irq/matrix.c (models-2.md §8.4): each
 * CPU has a bitmap of allocated vectors and one of managed reservations inside the window
 * [allocStart, allocEnd) ([0x20, 0xEC) on x86, below LOCAL_TIMER_VECTOR); system vectors (the
 * kernel's own: timer, IPIs) are one global bitmap no CPU ever hands out.
 * - `alloc(mask)` (irq_matrix_alloc): the online CPU in `mask` with the most available vectors
 *   (strictly more than the best so far, so ties go to the first in mask order), its first
 *   free bit from allocStart. EINVAL for an empty mask, ENOSPC when no online CPU or bit fits.
 * - `reserveManaged(mask)` (irq_matrix_reserve_managed): one bit on every CPU of the mask,
 *   offline ones too, rolled back on the first failure (ENOSPC); `allocManaged(mask)`
 *   (irq_matrix_alloc_managed): the online CPU with the fewest managed allocations (ties to the
 *   last in mask order), using one of its reserved bits. Freeing a managed vector keeps the
 *   reservation: `available` does not grow (irq_matrix_free).
 * - `online`/`offline` (irq_matrix_online/offline) change only what counts as available; the
 *   vectors of an offline CPU stay allocated until their owners move them (vector-domain.ts).
 */

export type MatrixError = 'EINVAL' | 'ENOSPC';
export interface Placement {
  readonly cpu: number;
  readonly vector: number;
}

interface CpuMap {
  online: boolean;
  available: number;
  allocated: number;
  managed: number;
  managedAllocated: number;
  readonly allocMap: Uint8Array;
  readonly managedMap: Uint8Array;
}

export interface MatrixConfig {
  readonly cpus: number;
  readonly allocStart: number;
  readonly allocEnd: number;
  /** Vectors the kernel uses itself; those inside the window are never handed out. */
  readonly systemVectors: readonly number[];
}

export class VectorMatrix {
  readonly allocStart: number;
  readonly allocEnd: number;
  readonly #system = new Uint8Array(256);
  readonly #maps: CpuMap[];
  #systemInWindow = 0;

  constructor(config: MatrixConfig) {
    this.allocStart = config.allocStart;
    this.allocEnd = config.allocEnd;
    for (const v of config.systemVectors) {
      if (this.#system[v] === 1) continue;
      this.#system[v] = 1;
      if (v >= this.allocStart && v < this.allocEnd) this.#systemInWindow++;
    }
    this.#maps = Array.from({ length: config.cpus }, () => ({
      online: false,
      available: 0,
      allocated: 0,
      managed: 0,
      managedAllocated: 0,
      allocMap: new Uint8Array(256),
      managedMap: new Uint8Array(256),
    }));
  }

  get cpus(): number {
    return this.#maps.length;
  }

  isSystem(vector: number): boolean {
    return this.#system[vector] === 1;
  }

  isOnline(cpu: number): boolean {
    return this.#maps[cpu]!.online;
  }

  available(cpu: number): number {
    return this.#maps[cpu]!.available;
  }

  allocated(cpu: number): number {
    return this.#maps[cpu]!.allocated;
  }

  isAllocated(cpu: number, vector: number): boolean {
    return this.#maps[cpu]!.allocMap[vector] === 1;
  }

  online(cpu: number): void {
    const cm = this.#maps[cpu]!;
    if (cm.online) return;
    const window = this.allocEnd - this.allocStart;
    cm.available = window - cm.managed - this.#systemInWindow - (cm.allocated - cm.managedAllocated);
    cm.online = true;
  }

  offline(cpu: number): void {
    this.#maps[cpu]!.online = false;
  }

  alloc(mask: readonly number[]): Placement | MatrixError {
    if (mask.length === 0) return 'EINVAL';
    let best = -1;
    let maxAvailable = 0;
    for (const cpu of mask) {
      const cm = this.#maps[cpu];
      if (!cm?.online || cm.available <= maxAvailable) continue;
      best = cpu;
      maxAvailable = cm.available;
    }
    if (best < 0) return 'ENOSPC';
    const cm = this.#maps[best]!;
    const vector = this.#firstFree(cm);
    if (vector < 0) return 'ENOSPC';
    cm.allocMap[vector] = 1;
    cm.allocated++;
    cm.available--;
    return { cpu: best, vector };
  }

  reserveManaged(mask: readonly number[]): 'ok' | MatrixError {
    if (mask.length === 0) return 'EINVAL';
    const done: Placement[] = [];
    for (const cpu of mask) {
      const cm = this.#maps[cpu]!;
      const vector = this.#firstFree(cm);
      if (vector < 0) {
        for (const p of done) this.#unreserve(p.cpu, p.vector);
        return 'ENOSPC';
      }
      cm.managedMap[vector] = 1;
      cm.managed++;
      if (cm.online) cm.available--;
      done.push({ cpu, vector });
    }
    return 'ok';
  }

  /** Gives back one unallocated managed reservation on each CPU of `mask` (irq_matrix_remove_managed). */
  removeManaged(mask: readonly number[]): void {
    for (const cpu of mask) {
      const cm = this.#maps[cpu]!;
      for (let v = this.allocStart; v < this.allocEnd; v++) {
        if (cm.managedMap[v] === 1 && cm.allocMap[v] === 0) {
          this.#unreserve(cpu, v);
          break;
        }
      }
    }
  }

  allocManaged(mask: readonly number[]): Placement | MatrixError {
    if (mask.length === 0) return 'EINVAL';
    let best = -1;
    let fewest = Number.POSITIVE_INFINITY;
    for (const cpu of mask) {
      const cm = this.#maps[cpu];
      if (!cm?.online || cm.managedAllocated > fewest) continue;
      best = cpu;
      fewest = cm.managedAllocated;
    }
    if (best < 0) return 'ENOSPC';
    const cm = this.#maps[best]!;
    let vector = -1;
    for (let v = this.allocStart; v < this.allocEnd && vector < 0; v++)
      if (cm.managedMap[v] === 1 && cm.allocMap[v] === 0) vector = v;
    if (vector < 0) return 'ENOSPC';
    cm.allocMap[vector] = 1;
    cm.allocated++;
    cm.managedAllocated++;
    return { cpu: best, vector };
  }

  free(cpu: number, vector: number, managed: boolean): void {
    const cm = this.#maps[cpu]!;
    if (!(vector >= this.allocStart && vector < this.allocEnd) || cm.allocMap[vector] !== 1)
      throw new RangeError(`matrix: vector 0x${vector.toString(16)} is not allocated on CPU ${cpu}`);
    cm.allocMap[vector] = 0;
    cm.allocated--;
    if (managed) cm.managedAllocated--;
    else cm.available++;
  }

  #firstFree(cm: CpuMap): number {
    for (let v = this.allocStart; v < this.allocEnd; v++)
      if (cm.allocMap[v] === 0 && cm.managedMap[v] === 0 && this.#system[v] === 0) return v;
    return -1;
  }

  #unreserve(cpu: number, vector: number): void {
    const cm = this.#maps[cpu]!;
    cm.managedMap[vector] = 0;
    cm.managed--;
    if (cm.online) cm.available++;
  }
}
