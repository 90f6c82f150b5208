// The IOAPIC (hw/ioapic-rte.ts, hw/ioapic.ts): redirection entries against the bit layout of
// models-2.md §7.1 (exact words), the IOREGSEL/IOWIN window, and the pin behaviour of the
// 82093AA: edges while masked are dropped, level entries hold remote IRR until EOI.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Device, DeviceHost } from '../../src/hw/device.ts';
import { DeviceBus } from '../../src/hw/device-bus.ts';
import { IOAPIC_EOI, IoApic, IOREGSEL, IOWIN, REG_RTE0 } from '../../src/hw/ioapic.ts';
import { DeliveryMode, decodeRte, encodeRte, type Rte } from '../../src/hw/ioapic-rte.ts';
import { Engine } from '../../src/engine/engine.ts';
import { PrngDecider } from '../../src/engine/decider.ts';
import { Prng } from '../../src/engine/prng.ts';

const BASE = 0xfec0_0000;
const EDGE: Rte = {
  vector: 0x31,
  deliveryMode: DeliveryMode.Fixed,
  logical: false,
  activeLow: false,
  level: false,
  masked: false,
  destination: 3,
};

test('RTE encodings are the bits of IO_APIC_route_entry', () => {
  // vector 0x31 in bits 0-7, all else zero, destination 3 in bits 56-63 (hi bits 24-31).
  assert.deepEqual(encodeRte(EDGE), { lo: 0x31, hi: 0x0300_0000 });
  // level (bit 15) + active-low (bit 13) + masked (bit 16): 0x31 | 0x8000 | 0x2000 | 0x10000.
  const pci = { ...EDGE, level: true, activeLow: true, masked: true };
  assert.deepEqual(encodeRte(pci), { lo: 0x1_a031, hi: 0x0300_0000 });
  // lowest priority (001 << 8) + logical (bit 11), destination mask 0xff.
  const lp = { ...EDGE, deliveryMode: DeliveryMode.LowestPriority, logical: true, destination: 0xff };
  assert.deepEqual(encodeRte(lp), { lo: 0x931, hi: 0xff00_0000 });
  // NMI is 100, ExtINT 111.
  assert.equal(encodeRte({ ...EDGE, deliveryMode: DeliveryMode.Nmi }).lo, 0x431);
  assert.equal(encodeRte({ ...EDGE, deliveryMode: DeliveryMode.ExtInt }).lo, 0x731);
  assert.deepEqual(decodeRte({ lo: 0x331, hi: 0 }), { error: 'reserved delivery mode 3' });
  assert.deepEqual(decodeRte({ lo: 0x631, hi: 0 }), { error: 'reserved delivery mode 6' });
  assert.throws(() => encodeRte({ ...EDGE, destination: 256 }), /destination 256/);
});

test('decode(encode(rte)) is the identity on every valid entry', () => {
  const modes = Object.values(DeliveryMode);
  const rte = fc.record({
    vector: fc.integer({ min: 0, max: 255 }),
    deliveryMode: fc.constantFrom(...modes),
    logical: fc.boolean(),
    activeLow: fc.boolean(),
    level: fc.boolean(),
    masked: fc.boolean(),
    destination: fc.integer({ min: 0, max: 255 }),
  });
  fc.assert(fc.property(rte, (e) => assert.deepEqual(decodeRte(encodeRte(e)), { ...e })));
});

function ioapic(pins = 24) {
  const bus = new DeviceBus(new Engine(new PrngDecider(new Prng(1))));
  const sent: [number, number][] = [];
  const io = new IoApic({ name: 'ioapic0', id: 2, baseAddr: BASE, gsiBase: 0, pins }, (d, v) =>
    sent.push([d, v]),
  );
  bus.register(io);
  io.connect(bus);
  // A device driving all 24 GSIs stands in for the board's devices.
  let host: DeviceHost | null = null;
  const lines = Array.from({ length: pins }, (_, i) => i);
  const wires: Device = {
    name: 'wires',
    mmio: [],
    ports: [],
    lines,
    attach: (h) => {
      host = h;
    },
    timer: () => Number.POSITIVE_INFINITY,
  };
  bus.register(wires);
  const line = { setLine: (gsi: number, high: boolean) => host!.setLine(gsi, high) };
  const write = (index: number, value: number) => {
    bus.mmioWrite(BASE + IOREGSEL, 4, index);
    bus.mmioWrite(BASE + IOWIN, 4, value);
  };
  const read = (index: number) => {
    bus.mmioWrite(BASE + IOREGSEL, 4, index);
    return bus.mmioRead(BASE + IOWIN, 4);
  };
  const program = (pin: number, e: Rte) => {
    const w = encodeRte(e);
    write(REG_RTE0 + 2 * pin + 1, w.hi);
    write(REG_RTE0 + 2 * pin, w.lo);
  };
  return { bus: line, io, sent, write, read, program, mmio: bus };
}

test('ID, VER and entries through IOREGSEL/IOWIN; entries reset masked', () => {
  const { read, write, program } = ioapic(24);
  assert.equal(read(0x00), 0x0200_0000); // id 2 in bits 24-27
  assert.equal(read(0x01), 0x0017_0020); // entries-1 = 23 in bits 16-23, version 0x20
  assert.equal(read(0x10), 0x1_0000); // masked at reset
  program(5, { ...EDGE, level: true });
  assert.equal(read(0x10 + 10), 0x8031);
  assert.equal(read(0x11 + 10), 0x0300_0000);
  write(0x10 + 10, 0xffff_ffff); // read-only delivery status (12) and remote IRR (14) stay 0
  assert.equal(read(0x10 + 10), 0x1_afff);
  write(0x11 + 10, 0xffff_ffff); // only bits 24-31 of the high half are writable
  assert.equal(read(0x11 + 10), 0xff00_0000);
  assert.equal(read(0x10 + 2 * 24), 0); // no entry 24
});

test('edge pins send on rising edges; an edge arriving while masked is dropped', () => {
  const { bus, sent, program, io } = ioapic();
  program(1, { ...EDGE, masked: true });
  bus.setLine(1, true);
  bus.setLine(1, false);
  assert.deepEqual(sent, []);
  program(1, EDGE);
  assert.deepEqual(sent, []); // the edge is gone, not held
  bus.setLine(1, true);
  bus.setLine(1, true); // no new edge
  assert.deepEqual(sent, [[3, 0x31]]);
  assert.equal(io.sent[1], 1);
});

test('level pins hold remote IRR until EOI and resend while still asserted; active-low inverts', () => {
  const { bus, sent, program, read, mmio } = ioapic();
  bus.setLine(16, true); // deasserted (active low): a low idle line would be asserted at once
  program(16, { ...EDGE, vector: 0x41, level: true, activeLow: true, destination: 1 });
  assert.deepEqual(sent, []);
  bus.setLine(16, false); // asserted
  assert.deepEqual(sent, [[1, 0x41]]);
  assert.equal(read(0x10 + 32) & (1 << 14), 1 << 14); // remote IRR
  mmio.mmioWrite(BASE + IOAPIC_EOI, 4, 0x41);
  assert.deepEqual(sent, [
    [1, 0x41],
    [1, 0x41],
  ]); // still asserted: sent again
  bus.setLine(16, true);
  mmio.mmioWrite(BASE + IOAPIC_EOI, 4, 0x41);
  assert.equal(sent.length, 2);
  assert.equal(read(0x10 + 32) & (1 << 14), 0);
});

test('logical flat destinations: fixed reaches every set bit, lowest priority the lowest id', () => {
  const { bus, sent, program } = ioapic();
  program(2, { ...EDGE, logical: true, destination: 0b1010 });
  program(3, { ...EDGE, vector: 0x33, logical: true, destination: 0b1100, deliveryMode: 1 });
  bus.setLine(2, true);
  bus.setLine(3, true);
  assert.deepEqual(sent, [
    [1, 0x31],
    [3, 0x31],
    [2, 0x33],
  ]);
});
