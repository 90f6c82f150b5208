// The e1000-shaped NIC (hw/devices/e1000.ts): Poisson arrivals into the receive ring, drops when
// the ring is full, and ITR moderation. Bounds come from the model: a Poisson count over T at
// rate r has mean rT and standard deviation sqrt(rT), so 10 000 expected packets lie within
// +-500 (5 sigma); with ITR = n the interrupts over T are at most T / (256 n ns) + 1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrngDecider } from '../../src/engine/decider.ts';
import { Prng } from '../../src/engine/prng.ts';
import { Board } from '../../src/hw/board.ts';
import { resolveCostModel } from '../../src/hw/cost-model.ts';
import * as E from '../../src/hw/devices/e1000.ts';
import { DirectDma } from '../../src/hw/dma-port.ts';
import { composeMsi, fixedTarget } from '../../src/hw/pci/msi-message.ts';

const BAR = 0xfeb0_0000;
const GSI = 11;
const T_NS = 10_000_000;

function rig(packetsPerSec: number, descriptors: number, seed = 7) {
  const board = new Board({
    topology: { cpus: 1, smt: 1, packages: 1, numaNodes: 1, numaRemoteDistance: 20 },
    cpuMhz: 3000,
    memoryBytes: 1 << 24,
    costs: resolveCostModel({}),
    decider: new PrngDecider(new Prng(1)),
  });
  const dma = new DirectDma(board.memory);
  let msis = 0;
  const levels: [number, boolean][] = [];
  const nic = new E.E1000Device(
    { name: 'e1000', bar0: BAR, intxLine: GSI, packetsPerSec, packetBytes: 1514 },
    dma,
    new Prng(seed),
    () => msis++,
  );
  board.devices.connect(GSI, (_l, h) => levels.push([board.engine.nowNs, h]));
  board.devices.register(nic);
  const reg = (off: number, v: number) => board.devices.mmioWrite(BAR + off, 4, v);
  const ring = board.memory.allocFrame() * 4096; // up to 256 descriptors per page: reuse pages
  const pages = Math.ceil((descriptors * E.RX_DESC_BYTES) / 4096);
  for (let p = 1; p < pages; p++) board.memory.allocFrame();
  const buffer = board.memory.allocFrame() * 4096;
  for (let i = 0; i < descriptors; i++) dma.write32(ring + i * 16, buffer);
  reg(E.E1000_RDBAL, ring);
  reg(E.E1000_RDLEN, descriptors * E.RX_DESC_BYTES);
  reg(E.E1000_RDT, descriptors - 1);
  reg(E.E1000_IMS, E.ICR_RXT0 | E.ICR_RXO);
  const run = (untilNs: number) => board.engine.run({ simNsMax: untilNs, eventsMax: 1_000_000 });
  return { board, nic, reg, run, msis: () => msis, levels, dma, ring };
}

function enableMsi(r: ReturnType<typeof rig>) {
  const m = composeMsi(fixedTarget(0, 0x60));
  r.nic.cfg.write(0x44, 4, m.addressLo);
  r.nic.cfg.write(0x4c, 2, m.data);
  r.nic.cfg.write(0x42, 2, 1);
}

test('Poisson arrivals: 10 000 expected in 10 ms at 1 M/s land within 5 sigma; same seed, same count', () => {
  const r = rig(1_000_000, 16_384);
  enableMsi(r);
  r.run(T_NS);
  assert.ok(r.nic.received >= 9_500 && r.nic.received <= 10_500, `received ${r.nic.received}`);
  assert.equal(r.msis(), r.nic.received); // ITR 0: every packet is its own interrupt
  const again = rig(1_000_000, 16_384);
  enableMsi(again);
  again.run(T_NS);
  assert.equal(again.nic.received, r.nic.received);
  // The first descriptor: DD | EOP, length 1514; its buffer holds sequence 0.
  assert.equal(r.dma.read32(r.ring + 12), 0b11);
  assert.equal(r.dma.read32(r.ring + 8), 1514);
});

test('ITR 195 (~20 000 int/s, a 49 920 ns gap) caps the interrupts at T / gap + 1', () => {
  const r = rig(1_000_000, 16_384);
  enableMsi(r);
  r.reg(E.E1000_ITR, 195);
  r.run(T_NS);
  const cap = Math.floor(T_NS / (195 * 256)) + 1; // 201
  assert.ok(r.nic.interrupts <= cap && r.nic.interrupts >= cap - 5, `interrupts ${r.nic.interrupts}`);
  assert.equal(r.msis(), r.nic.interrupts);
});

test('a full ring drops into MPC; INTx stays up until ICR is read', () => {
  const r = rig(100_000, 8);
  r.run(1_000_000); // ~100 arrivals, 7 descriptors (RDH == RDT means none left)
  assert.equal(r.nic.received, 7);
  const missed = r.board.devices.mmioRead(BAR + E.E1000_MPC, 4);
  assert.ok(missed >= 50 && missed <= 150, `missed ${missed}`);
  assert.equal(r.levels.length, 1); // raised once, never dropped: nobody read ICR
  assert.equal(r.board.devices.mmioRead(BAR + E.E1000_ICR, 4), E.ICR_RXT0 | E.ICR_RXO);
  assert.deepEqual(r.levels.at(-1), [r.board.engine.nowNs, false]); // dropped by the read
});
