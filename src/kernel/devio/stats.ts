/**
 * The device-interrupt figures (issue 18), gathered as interrupts happen: interrupts per CPU and
 * per (CPU, vector), the latency from the device's raise (the fabric's send of an MSI or an
 * IOAPIC message) to the handler's start on the CPU, the handler time per CPU, and the DMA
 * costs the drivers' calls charged (SWIOTLB copy time). A LAPIC that takes two raises of one
 * vector as one interrupt (the IRR bit was already set) counts one handler start for both: each
 * raise's latency is measured to that start.
 */

export class DevioStats {
  readonly interruptsPerCpu: number[];
  readonly handlerNsPerCpu: number[];
  /** Interrupts per `cpu * 256 + vector`. */
  readonly perVector = new Map<number, number>();
  readonly latenciesNs: number[] = [];
  /** Raise times waiting for their handler, per `cpu * 256 + vector`. */
  readonly #raised = new Map<number, number[]>();
  /** Time the drivers' DMA calls spent copying bounce buffers. */
  bounceNs = 0;
  /** Raises to an APIC id no CPU has (K11: an affinity Redox accepted), dropped by the fabric. */
  lostRaises = 0;

  constructor(cpus: number) {
    this.interruptsPerCpu = new Array<number>(cpus).fill(0);
    this.handlerNsPerCpu = new Array<number>(cpus).fill(0);
  }

  noteRaise(cpu: number, vector: number, nowNs: number): void {
    if (cpu < 0) {
      this.lostRaises++;
      return;
    }
    const key = cpu * 256 + vector;
    const list = this.#raised.get(key);
    if (list) list.push(nowNs);
    else this.#raised.set(key, [nowNs]);
  }

  /** Raises whose handler has not started yet (an interrupt in flight can still wake a driver). */
  pendingRaises(): number {
    let n = 0;
    for (const list of this.#raised.values()) n += list.length;
    return n;
  }

  /** Raises to (`cpu`, `vector`) whose handler has not started. */
  pendingAt(cpu: number, vector: number): number {
    return this.#raised.get(cpu * 256 + vector)?.length ?? 0;
  }

  /** An interrupt sent on from a moved vector: its raises wait for the new pair's handler. */
  moveRaises(fromCpu: number, fromVector: number, toCpu: number, toVector: number): void {
    const from = this.#raised.get(fromCpu * 256 + fromVector);
    if (!from || from.length === 0) return;
    const key = toCpu * 256 + toVector;
    this.#raised.set(key, [...(this.#raised.get(key) ?? []), ...from.splice(0)]);
  }

  /** Raises that reached a vector shut down with no CPU left: lost, and counted as such. */
  dropRaises(cpu: number, vector: number): void {
    const list = this.#raised.get(cpu * 256 + vector);
    this.lostRaises += Math.max(1, list?.length ?? 0);
    if (list) list.length = 0;
  }

  noteHandlerStart(cpu: number, vector: number, nowNs: number): void {
    const key = cpu * 256 + vector;
    this.interruptsPerCpu[cpu]!++;
    this.perVector.set(key, (this.perVector.get(key) ?? 0) + 1);
    const list = this.#raised.get(key);
    if (!list) return;
    for (const at of list) this.latenciesNs.push(nowNs - at);
    list.length = 0;
  }

  noteHandlerEnd(cpu: number, ns: number): void {
    this.handlerNsPerCpu[cpu]! += ns;
  }
}
