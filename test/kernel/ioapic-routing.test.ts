// Legacy IRQ routing through a real IOAPIC register window (kernel/irqs/ioapic-routing.ts over
// hw/ioapic.ts): Redox's every-line-to-the-BSP with its override and last-pin quirks and its
// unchecked affinity (K21, K11), against the improved spread over online CPUs with EINVAL for an
// offline-only mask (HW-10), and the two counter layouts (K13). Expected vectors and CPUs follow
// from the rules in models-2.md §7.2-7.4 and §8.4, worked out in the comments.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrngDecider } from '../../src/engine/decider.ts';
import { Engine } from '../../src/engine/engine.ts';
import type { Device, DeviceHost } from '../../src/hw/device.ts';
import { DeviceBus } from '../../src/hw/device-bus.ts';
import { IoApic, IOREGSEL, IOWIN } from '../../src/hw/ioapic.ts';
import { Prng } from '../../src/engine/prng.ts';
import type { InterruptOverride } from '../../src/kernel/acpi/types.ts';
import { IoApicRouting } from '../../src/kernel/irqs/ioapic-routing.ts';
import { IrqCounts } from '../../src/kernel/irqs/irq-counts.ts';
import type { RoutingMode } from '../../src/kernel/irqs/legacy-routes.ts';
import { VectorDomain } from '../../src/kernel/irqs/vector-domain.ts';
import { VectorMatrix } from '../../src/kernel/irqs/vector-matrix.ts';

const BASE = 0xfec0_0000;
const APIC_IDS = [0, 2, 4, 6, 8]; // APIC ids differ from CPU numbers, so a mix-up shows
const ONLINE = 4; // CPU 4 (APIC id 8) is offline
const ov = (
  sourceIrq: number,
  gsi: number,
  polarity: InterruptOverride['polarity'],
  trigger: InterruptOverride['trigger'],
) => ({ bus: 0, sourceIrq, gsi, polarity, trigger }) as InterruptOverride;
const OVERRIDES = [
  ov(0, 2, 'bus', 'bus'), // the usual PIT override: IRQ 0 on GSI 2, so IRQ 2 is left unmapped
  ov(9, 9, 'low', 'level'), // the ACPI SCI
  ov(5, 20, 'reserved', 'edge'), // reserved polarity: Redox drops it, Linux keeps it as low
  ov(7, 23, 'high', 'edge'), // the IOAPIC's last pin
];

function setup(mode: RoutingMode, madtId = 2) {
  const bus = new DeviceBus(new Engine(new PrngDecider(new Prng(1))));
  const sent: [number, number][] = [];
  bus.register(
    new IoApic({ name: 'ioapic0', id: 2, baseAddr: BASE, gsiBase: 0, pins: 24 }, (d, v) => sent.push([d, v])),
  );
  let host: DeviceHost | null = null;
  const wires: Device = {
    name: 'wires',
    mmio: [],
    ports: [],
    lines: Array.from({ length: 24 }, (_, i) => i),
    attach: (h) => {
      host = h;
    },
    timer: () => Number.POSITIVE_INFINITY,
  };
  (bus.devices[0] as IoApic).connect(bus);
  bus.register(wires);
  const access = {
    read: (a: number, index: number) => {
      bus.mmioWrite(a + IOREGSEL, 4, index);
      return bus.mmioRead(a + IOWIN, 4);
    },
    write: (a: number, index: number, v: number) => {
      bus.mmioWrite(a + IOREGSEL, 4, index);
      bus.mmioWrite(a + IOWIN, 4, v);
    },
  };
  const matrix = new VectorMatrix({
    cpus: 5,
    allocStart: 0x20,
    allocEnd: 0xec,
    systemVectors: [0x20, 0x30, 0x40, 0x41, 0x42, 0x43],
  });
  for (let c = 0; c < ONLINE; c++) matrix.online(c);
  host!.setLine(9, true); // the SCI is active-low: its idle line is high
  const routing = new IoApicRouting({
    mode,
    ioApics: [{ id: madtId, address: BASE, gsiBase: 0 }],
    overrides: OVERRIDES,
    apicIds: APIC_IDS,
    access,
    domain: new VectorDomain(matrix),
  });
  const rte = (pin: number) => ({
    lo: access.read(BASE, 0x10 + 2 * pin),
    hi: access.read(BASE, 0x11 + 2 * pin),
  });
  const pulse = (gsi: number) => {
    host!.setLine(gsi, true);
    host!.setLine(gsi, false);
  };
  return { routing, rte, sent, pulse, setLevel: (gsi: number, h: boolean) => host!.setLine(gsi, h) };
}

test('redox: every line on the BSP at 32+irq; reserved override dropped; the last pin never found', () => {
  const { routing, rte } = setup('redox');
  assert.equal(routing.init(), true);
  assert.deepEqual(
    [...routing.routes.keys()].sort((a, b) => a - b),
    [0, 1, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15],
  );
  assert.deepEqual(routing.unrouted, [7]); // GSI 23: the pin count read is VER's 23, not 24
  assert.ok([...routing.routes.values()].every((r) => r.cpu === 0 && r.vector === 32 + r.irq));
  assert.deepEqual(rte(2), { lo: 0x20, hi: 0 }); // IRQ 0 on pin 2, BSP APIC id 0
  assert.deepEqual(rte(5), { lo: 0x25, hi: 0 }); // IRQ 5 identity-mapped, its override dropped
  assert.deepEqual(rte(9), { lo: 0xa029, hi: 0 }); // 0x29 | active-low 0x2000 | level 0x8000
  assert.deepEqual(rte(20), { lo: 0x1_0000, hi: 0 }); // untouched: still masked from reset
});

test('improved: lines spread over online CPUs by most free vectors; Linux override semantics', () => {
  const { routing, rte, sent, pulse } = setup('improved');
  assert.equal(routing.init(), true);
  assert.deepEqual(routing.unrouted, []);
  // IRQ 0 keeps the timer vector on the BSP; IRQs 1,3,4,5,6,... take CPUs 0,1,2,3,0,... (most
  // free, ties to the first), each CPU's next free vector from 0x21.
  const where = (irq: number) => [routing.routes.get(irq)!.cpu, routing.routes.get(irq)!.vector];
  assert.deepEqual(where(0), [0, 0x20]);
  assert.deepEqual([1, 3, 4, 5, 6, 7].map(where), [
    [0, 0x21],
    [1, 0x21],
    [2, 0x21],
    [3, 0x21],
    [0, 0x22],
    [1, 0x22],
  ]);
  const perCpu = [0, 1, 2, 3, 4].map(
    (c) => [...routing.routes.values()].filter((r) => r.cpu === c && r.irq !== 0).length,
  );
  assert.deepEqual(perCpu, [4, 4, 3, 3, 0]); // 14 lines over 4 online CPUs, none on the offline one
  // IRQ 5 -> GSI 20, reserved polarity as active-low: vector 0x21 | 0x2000, to APIC id 6 (CPU 3).
  assert.deepEqual(rte(20), { lo: 0x2021, hi: 0x0600_0000 });
  assert.deepEqual(routing.warnings, ['IRQ 5: reserved override flags (polarity reserved, trigger edge)']);
  assert.deepEqual(rte(23), { lo: 0x22, hi: 0x0200_0000 }); // IRQ 7 on the last pin, CPU 1
  pulse(3); // IRQ 3 goes to CPU 1's APIC id 2, vector 0x21
  assert.deepEqual(sent, [[2, 0x21]]);
  assert.equal(routing.irqFor(1, 0x21), 3);
});

test('affinity: redox writes any APIC id unchecked (K11); improved refuses an offline-only mask', () => {
  const redox = setup('redox');
  redox.routing.init();
  assert.equal(redox.routing.setAffinity(3, [8]), 4); // CPU 4 is offline: accepted anyway
  assert.deepEqual(redox.rte(3), { lo: 0x23, hi: 0x0800_0000 });
  redox.pulse(3);
  assert.deepEqual(redox.sent, [[8, 0x23]]); // to the offline CPU's LAPIC
  assert.equal(redox.routing.setAffinity(3, [0x7e]), -1); // an APIC id nobody has, also written
  const imp = setup('improved');
  imp.routing.init();
  assert.equal(imp.routing.setAffinity(3, [4]), 'EINVAL');
  assert.deepEqual(imp.rte(3), { lo: 0x21, hi: 0x0200_0000 }); // unchanged
  // Mask {3, 4}: only CPU 3 is online; it holds IRQs 5, 9, 13 at 0x21-0x23, so the move takes 0x24.
  assert.equal(imp.routing.setAffinity(3, [3, 4]), 3);
  assert.deepEqual(imp.rte(3), { lo: 0x24, hi: 0x0600_0000 });
  assert.equal(imp.routing.setAffinity(2, [1]), 'ENOENT'); // IRQ 2 is unmapped
});

test('an IOAPIC ID that disagrees with the MADT: Redox panics, improved warns and routes', () => {
  const redox = setup('redox', 3);
  assert.equal(redox.routing.init(), false);
  assert.equal(redox.routing.panic, 'IOAPIC at 0xfec00000: ID register 2 but MADT says 3');
  const imp = setup('improved', 3);
  assert.equal(imp.routing.init(), true);
  assert.equal(imp.routing.routes.size, 15);
});

test('IRQ counts: one global array and lock (K13) against per-CPU counters', () => {
  const redox = new IrqCounts('redox', 4);
  const imp = new IrqCounts('improved', 4);
  for (const k of [redox, imp]) {
    k.count(0, 9);
    k.count(2, 9);
    k.count(2, 9);
  }
  assert.deepEqual([redox.lockFor(0), redox.lockFor(3)], ['irq-counts', 'irq-counts']);
  assert.deepEqual([imp.lockFor(0), imp.lockFor(3)], ['irq-counts/cpu0', 'irq-counts/cpu3']);
  assert.deepEqual([redox.total(9), imp.total(9), imp.onCpu(2, 9), redox.onCpu(2, 9)], [3, 3, 2, null]);
});
