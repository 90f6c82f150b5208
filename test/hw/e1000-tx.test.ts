// The e1000 transmit unit (hw/devices/e1000-tx.ts): descriptors fetched from TDH to TDT, each
// frame on the wire for (length + 20) x 8 ns at 1 Gb/s, DD written back and ICR.TXDW raised for
// CMD.RS, the statistics registers, and ITR moderating TXDW as it does RX causes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrngDecider } from '../../src/engine/decider.ts';
import { Prng } from '../../src/engine/prng.ts';
import { Board } from '../../src/hw/board.ts';
import { resolveCostModel } from '../../src/hw/cost-model.ts';
import * as E from '../../src/hw/devices/e1000.ts';
import { wireTimeNs } from '../../src/hw/devices/e1000-tx.ts';
import { DirectDma } from '../../src/hw/dma-port.ts';
import { composeMsi, fixedTarget } from '../../src/hw/pci/msi-message.ts';

const BAR = 0xfeb0_0000;
const GSI = 11;
const RS_CMD = E.TXD_CMD_EOP | E.TXD_CMD_IFCS | E.TXD_CMD_RS;

function rig(descriptors: number, wireMbps?: number) {
  const board = new Board({
    topology: { cpus: 1, smt: 1, packages: 1, numaNodes: 1, numaRemoteDistance: 20 },
    cpuMhz: 3000,
    memoryBytes: 1 << 24,
    costs: resolveCostModel({}),
    decider: new PrngDecider(new Prng(1)),
  });
  const dma = new DirectDma(board.memory);
  let msis = 0;
  const nic = new E.E1000Device(
    { name: 'e1000', bar0: BAR, intxLine: GSI, packetsPerSec: 0, packetBytes: 64, wireMbps },
    dma,
    new Prng(1),
    () => msis++,
  );
  board.devices.connect(GSI, () => {});
  board.devices.register(nic);
  const m = composeMsi(fixedTarget(0, 0x60));
  nic.cfg.write(0x44, 4, m.addressLo);
  nic.cfg.write(0x4c, 2, m.data);
  nic.cfg.write(0x42, 2, 1);
  const reg = (off: number, v: number) => board.devices.mmioWrite(BAR + off, 4, v);
  const rd = (off: number) => board.devices.mmioRead(BAR + off, 4);
  const ring = board.memory.allocFrame() * 4096; // frames come in order: 4 pages, 1024 descriptors
  for (let p = 1; p < 4; p++) board.memory.allocFrame();
  const buffer = board.memory.allocFrame() * 4096;
  reg(E.E1000_TDBAL, ring);
  reg(E.E1000_TDBAH, 0);
  reg(E.E1000_TDLEN, descriptors * E.TX_DESC_BYTES);
  reg(E.E1000_TDH, 0);
  reg(E.E1000_TDT, 0);
  reg(E.E1000_IMS, E.ICR_TXDW);
  /** Descriptor i: a 64-byte slot of the buffer page holding `header`, `len` bytes, CMD `cmd`. */
  const fill = (i: number, len: number, cmd: number, header: number) => {
    dma.write32(buffer + i * 64, header);
    dma.write32(ring + i * 16, buffer + i * 64);
    dma.write32(ring + i * 16 + 4, 0);
    dma.write32(ring + i * 16 + 8, (len | (cmd << 24)) >>> 0);
    dma.write32(ring + i * 16 + 12, 0);
  };
  const run = (untilNs: number) => board.engine.run({ simNsMax: untilNs, eventsMax: 1_000_000 });
  return { board, nic, reg, rd, fill, run, dma, ring, msis: () => msis };
}

test('wire time: (length + 20 bytes) x 8 bits at the link rate', () => {
  assert.equal(wireTimeNs(64, 1000), 672);
  assert.equal(wireTimeNs(1494, 1000), 12_112);
  assert.equal(wireTimeNs(64, 100), 6720);
  assert.equal(wireTimeNs(1, 3000), 56); // 168 bits at 3 Gb/s: 56 ns exactly
});

test('ten frames back to back: TDH reaches TDT at 10 x 12 112 ns, each DD written, stats counted', () => {
  const r = rig(16);
  for (let i = 0; i < 10; i++) r.fill(i, 1494, RS_CMD, 100 + i);
  r.reg(E.E1000_TCTL, E.TCTL_EN | E.TCTL_PSP);
  r.reg(E.E1000_TDT, 10);
  const t0 = r.board.engine.nowNs;
  r.run(t0 + 9 * 12_112 + 12_111);
  assert.equal(r.rd(E.E1000_TDH), 9, 'the tenth frame is still on the wire 1 ns before its end');
  r.run(t0 + 10 * 12_112);
  assert.equal(r.rd(E.E1000_TDH), 10);
  assert.equal(r.nic.tx.frames, 10);
  assert.equal(r.nic.tx.headerSum, 10 * 100 + 45);
  for (let i = 0; i < 10; i++) assert.equal(r.dma.read32(r.ring + i * 16 + 12) & 0xff, E.TXD_STAT_DD);
  assert.equal(r.dma.read32(r.ring + 10 * 16 + 12), 0);
  assert.equal(r.rd(E.E1000_GPTC), 10);
  assert.equal(r.rd(E.E1000_GPTC), 0, 'GPTC clears on read');
  assert.equal(r.rd(E.E1000_TPT), 10);
  assert.equal(r.rd(E.E1000_GOTCL), 14_940);
  assert.equal(r.rd(E.E1000_GOTCH), 0);
  assert.equal(r.rd(E.E1000_GOTCL), 0, 'reading GOTCH cleared the pair');
  assert.equal(r.msis(), 10, 'ITR 0: one TXDW message per written-back descriptor');
  assert.equal(r.rd(E.E1000_ICR) & E.ICR_TXDW, E.ICR_TXDW);
});

test('nothing is sent until TCTL.EN; a descriptor without RS gets no DD and no TXDW', () => {
  const r = rig(8);
  r.fill(0, 64, E.TXD_CMD_EOP | E.TXD_CMD_IFCS, 1);
  r.fill(1, 64, RS_CMD, 2);
  r.reg(E.E1000_TDT, 2);
  r.run(r.board.engine.nowNs + 100_000);
  assert.equal(r.nic.tx.frames, 0);
  assert.equal(r.rd(E.E1000_TDH), 0);
  r.reg(E.E1000_TCTL, E.TCTL_EN);
  const t0 = r.board.engine.nowNs;
  r.run(t0 + 672);
  assert.equal(r.nic.tx.frames, 1);
  assert.equal(r.dma.read32(r.ring + 12), 0, 'no RS: no write-back');
  assert.equal(r.msis(), 0);
  r.run(t0 + 2 * 672);
  assert.equal(r.nic.tx.frames, 2);
  assert.equal(r.dma.read32(r.ring + 16 + 12) & 1, 1);
  assert.equal(r.msis(), 1);
});

test('the tail wraps: TDT below TDH sends to the end of the ring and on from 0', () => {
  const r = rig(8);
  for (let i = 0; i < 8; i++) r.fill(i, 64, RS_CMD, i);
  r.reg(E.E1000_TCTL, E.TCTL_EN);
  r.reg(E.E1000_TDT, 6);
  r.run(r.board.engine.nowNs + 10_000);
  assert.equal(r.rd(E.E1000_TDH), 6);
  r.reg(E.E1000_TDT, 2); // descriptors 6, 7, 0, 1
  r.run(r.board.engine.nowNs + 10_000);
  assert.equal(r.rd(E.E1000_TDH), 2);
  assert.equal(r.nic.tx.frames, 10);
});

test('ITR 195 moderates TXDW: 1000 64-byte frames in 672 us give at most 672 000 / 49 920 + 1 messages', () => {
  const r = rig(1024);
  r.reg(E.E1000_ITR, 195);
  for (let i = 0; i < 1000; i++) {
    const d = r.ring + i * 16;
    r.dma.write32(d, r.ring); // any readable address: the header is not checked here
    r.dma.write32(d + 8, (64 | (RS_CMD << 24)) >>> 0);
  }
  r.reg(E.E1000_TCTL, E.TCTL_EN);
  r.reg(E.E1000_TDT, 1000);
  r.run(r.board.engine.nowNs + 1000 * 672);
  assert.equal(r.nic.tx.frames, 1000);
  const cap = Math.floor((1000 * 672) / (195 * 256)) + 1; // 14
  assert.ok(r.msis() <= cap && r.msis() >= cap - 1, `messages ${r.msis()}`);
});
