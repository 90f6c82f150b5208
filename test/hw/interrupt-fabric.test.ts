// The interrupt fabric (hw/interrupt-fabric.ts): an IOAPIC pin and an MSI write both reach the
// APIC bus as (APIC id, vector, flight time); messages to an APIC id without a LAPIC, and writes
// outside 0xFEE00000-0xFEEFFFFF, are dropped and counted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrngDecider } from '../../src/engine/decider.ts';
import { Engine } from '../../src/engine/engine.ts';
import { Prng } from '../../src/engine/prng.ts';
import type { DeviceHost } from '../../src/hw/device.ts';
import { DeviceBus } from '../../src/hw/device-bus.ts';
import { InterruptFabric } from '../../src/hw/interrupt-fabric.ts';
import { IOREGSEL, IOWIN } from '../../src/hw/ioapic.ts';
import { encodeRte } from '../../src/hw/ioapic-rte.ts';
import { composeMsi, fixedTarget } from '../../src/hw/pci/msi-message.ts';

test('IOAPIC pins and MSI writes reach the APIC bus; unclaimed messages are dropped', () => {
  const devices = new DeviceBus(new Engine(new PrngDecider(new Prng(1))));
  const got: [number, number, number][] = [];
  const apic = {
    lapics: { length: 4 },
    deliver: (d: number, v: number, l: number) => got.push([d, v, l]),
    ipiLatencyNs: (_f: number, to: number) => (to === 0 ? 0 : 100 * to), // a stand-in flight time
  };
  const fabric = new InterruptFabric(apic, devices);
  fabric.addIoApic({ name: 'ioapic0', id: 0, baseAddr: 0xfec0_0000, gsiBase: 0, pins: 24 });
  let host: DeviceHost | null = null;
  devices.register({
    name: 'nic',
    mmio: [],
    ports: [],
    lines: [11],
    attach: (h) => {
      host = h;
    },
    timer: () => Number.POSITIVE_INFINITY,
  });
  const program = (pin: number, dest: number) => {
    const w = encodeRte({
      vector: 0x2b,
      deliveryMode: 0,
      logical: false,
      activeLow: false,
      level: false,
      masked: false,
      destination: dest,
    });
    devices.mmioWrite(0xfec0_0000 + IOREGSEL, 4, 0x11 + 2 * pin);
    devices.mmioWrite(0xfec0_0000 + IOWIN, 4, w.hi);
    devices.mmioWrite(0xfec0_0000 + IOREGSEL, 4, 0x10 + 2 * pin);
    devices.mmioWrite(0xfec0_0000 + IOWIN, 4, w.lo);
  };
  program(11, 2);
  host!.setLine(0, true);
  host!.setLine(0, false);
  fabric.msiWrite(composeMsi(fixedTarget(3, 0x61)));
  assert.deepEqual(got, [
    [2, 0x2b, 200],
    [3, 0x61, 300],
  ]);
  program(11, 9); // an APIC id with no LAPIC
  host!.setLine(0, true);
  fabric.msiWrite({ addressLo: 0xfed0_0000, addressHi: 0, data: 0x61 });
  assert.equal(got.length, 2);
  assert.equal(fabric.dropped, 2);
});
