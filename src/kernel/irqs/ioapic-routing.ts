/**
 * The kernel's IOAPIC routing of legacy IRQs, programmed through the IOAPICs' IOREGSEL/IOWIN
 * window (hw/ioapic.ts), in two selectable modes (issue 18, HW-10, K11, K21):
 * - `redox` (src/arch/x86_shared/device/ioapic.rs, interrupt/irq.rs; models-2.md §7.3): IRQ k
 *   goes to vector 32+k, fixed, physical, on the BSP's APIC id, unmasked, for every k (K21). The
 *   pin count is the raw VER field, entries - 1, so the last pin of each IOAPIC is never found;
 *   an IOAPIC whose ID register disagrees with the MADT is a kernel panic (`assert_eq!`).
 *   Affinity takes any APIC id and writes it, online or not (K11).
 * - `improved` (Linux arch/x86/kernel/apic/io_apic.c and vector.c): IRQ 0, the timer, keeps its
 *   vector on the BSP; every other line gets a vector from the matrix on the online CPU with the
 *   most free vectors, so lines spread; affinity goes through the domain (EINVAL for a mask with
 *   no online CPU, EIO for managed IRQs) and the entry is reprogrammed; an ID mismatch is a
 *   warning (Linux trusts the MADT).
 * Routes are keyed by ISA IRQ; `irqFor(cpu, vector)` is the reverse lookup an interrupt entry
 * needs, since with per-CPU vectors the same vector can mean different IRQs on different CPUs.
 */
import { VEC_PIT } from '../../hw/vectors.ts';
import { encodeRte } from '../../hw/ioapic-rte.ts';
import type { FirmwareIoApic } from '../acpi/types.ts';
import { type LegacyRoute, legacyRoutes, type RoutingMode } from './legacy-routes.ts';
import type { InterruptOverride } from '../acpi/types.ts';
import type { DomainError, VectorDomain } from './vector-domain.ts';

/** Register access to an IOAPIC at its MMIO address (index, then the 32-bit window). */
export interface IoApicAccess {
  read(address: number, index: number): number;
  write(address: number, index: number, value: number): void;
}

export interface ProgrammedRoute extends LegacyRoute {
  readonly ioApic: number;
  readonly pin: number;
  cpu: number;
  vector: number;
}

export interface RoutingSetup {
  readonly mode: RoutingMode;
  readonly ioApics: readonly FirmwareIoApic[];
  readonly overrides: readonly InterruptOverride[];
  /** APIC id per logical CPU; CPU 0 is the BSP. */
  readonly apicIds: readonly number[];
  readonly access: IoApicAccess;
  /** The improved mode's vector domain (unused by `redox`). */
  readonly domain: VectorDomain;
}

export class IoApicRouting {
  readonly mode: RoutingMode;
  readonly routes = new Map<number, ProgrammedRoute>();
  readonly unrouted: number[] = [];
  readonly warnings: string[] = [];
  panic: string | null = null;
  readonly #s: RoutingSetup;

  constructor(setup: RoutingSetup) {
    this.mode = setup.mode;
    this.#s = setup;
  }

  /** Programs every legacy line; returns false on a (Redox) panic. */
  init(): boolean {
    const { ioApics, access } = this.#s;
    const pins = ioApics.map((io) => {
      const id = access.read(io.address, 0) >>> 24;
      const mask = this.mode === 'redox' ? 0x0f : 0xff;
      if ((id & mask) !== io.id) {
        const msg = `IOAPIC at 0x${io.address.toString(16)}: ID register ${id} but MADT says ${io.id}`;
        if (this.mode === 'redox') this.panic = msg;
        else this.warnings.push(msg);
      }
      const field = (access.read(io.address, 1) >>> 16) & 0xff;
      return this.mode === 'redox' ? field : field + 1;
    });
    if (this.panic) return false;
    const legacy = legacyRoutes(this.mode, this.#s.overrides);
    this.warnings.push(...legacy.warnings);
    for (const r of legacy.routes) if (r) this.#route(r, pins);
    return true;
  }

  #route(r: LegacyRoute, pins: readonly number[]): void {
    const at = this.#s.ioApics.findIndex((io, i) => r.gsi >= io.gsiBase && r.gsi < io.gsiBase + pins[i]!);
    if (at < 0) {
      this.unrouted.push(r.irq);
      return;
    }
    let cpu = 0;
    let vector = 32 + r.irq;
    if (this.mode === 'improved' && r.irq !== 0) {
      const p = this.#s.domain.allocate(r.irq, this.#s.domain.onlineCpus());
      if (typeof p === 'string') {
        this.unrouted.push(r.irq);
        return;
      }
      ({ cpu, vector } = p);
    } else if (this.mode === 'improved') vector = VEC_PIT;
    const route: ProgrammedRoute = {
      ...r,
      ioApic: at,
      pin: r.gsi - this.#s.ioApics[at]!.gsiBase,
      cpu,
      vector,
    };
    this.routes.set(r.irq, route);
    this.#program(route, this.#s.apicIds[cpu]!);
  }

  #program(route: ProgrammedRoute, destination: number): void {
    const words = encodeRte({
      vector: route.vector,
      deliveryMode: 0,
      logical: false,
      activeLow: route.activeLow,
      level: route.level,
      masked: false,
      destination,
    });
    const address = this.#s.ioApics[route.ioApic]!.address;
    this.#s.access.write(address, 0x11 + 2 * route.pin, words.hi);
    this.#s.access.write(address, 0x10 + 2 * route.pin, words.lo);
  }

  /**
   * Redox: `target` is one APIC id, written as is (K11). Improved: `target` is a CPU mask.
   * Returns the CPU the line now reaches, or the error.
   */
  setAffinity(irq: number, target: readonly number[]): number | DomainError {
    const route = this.routes.get(irq);
    if (!route) return 'ENOENT';
    if (this.mode === 'redox') {
      const apicId = target[0]!;
      this.#program(route, apicId);
      const cpu = this.#s.apicIds.indexOf(apicId);
      route.cpu = cpu; // -1: an APIC id no CPU has; the line now goes nowhere
      return cpu;
    }
    const p = this.#s.domain.setAffinity(irq, target);
    if (typeof p === 'string') return p;
    this.#move(route, p.cpu, p.vector);
    return p.cpu;
  }

  /** Reprograms routes the domain moved (CPU offline); lines shut down are masked. */
  applyMoves(moves: readonly { irq: number; to: { cpu: number; vector: number } | null }[]): void {
    for (const m of moves) {
      const route = this.routes.get(m.irq);
      if (route && m.to) this.#move(route, m.to.cpu, m.to.vector);
    }
  }

  #move(route: ProgrammedRoute, cpu: number, vector: number): void {
    route.cpu = cpu;
    route.vector = vector;
    this.#program(route, this.#s.apicIds[cpu]!);
  }

  /** The legacy IRQ behind `vector` on `cpu`, or -1. */
  irqFor(cpu: number, vector: number): number {
    for (const r of this.routes.values()) if (r.cpu === cpu && r.vector === vector) return r.irq;
    return -1;
  }
}
