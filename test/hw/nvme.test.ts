// The NVMe-shaped device (hw/devices/nvme.ts) driven from the test as a driver would: admin
// queues from AQA/ASQ/ACQ, Create I/O CQ/SQ, a write and a read through guest memory, the
// completions' phase tags and status words, and the interrupt of each CQ: its own MSI-X entry,
// or the shared INTx line that stays high until the host consumes every completion. Times are
// the service parameters exactly (commands run in parallel, so they do not add).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrngDecider } from '../../src/engine/decider.ts';
import { Prng } from '../../src/engine/prng.ts';
import { Board } from '../../src/hw/board.ts';
import { resolveCostModel } from '../../src/hw/cost-model.ts';
import * as R from '../../src/hw/devices/nvme-regs.ts';
import { NVME_DEFAULTS, NvmeDevice } from '../../src/hw/devices/nvme.ts';
import { DirectDma } from '../../src/hw/dma-port.ts';
import { findCapability, CAP_ID_MSIX } from '../../src/hw/pci/config-space.ts';
import { composeMsi, fixedTarget, type MsiMessage } from '../../src/hw/pci/msi-message.ts';

const BAR = 0xfe00_0000;
const GSI = 16;

function rig() {
  const board = new Board({
    topology: { cpus: 2, smt: 1, packages: 1, numaNodes: 1, numaRemoteDistance: 20 },
    cpuMhz: 3000,
    memoryBytes: 1 << 24,
    costs: resolveCostModel({}),
    decider: new PrngDecider(new Prng(1)),
  });
  const msis: [number, MsiMessage][] = [];
  const levels: [number, boolean][] = [];
  const dma = new DirectDma(board.memory);
  const params = { ...NVME_DEFAULTS, name: 'nvme0', bar0: BAR, intxLine: GSI, ioQueues: 4 };
  const nvme = new NvmeDevice(params, dma, (m) => msis.push([board.engine.nowNs, m]));
  board.devices.connect(GSI, (_l, high) => levels.push([board.engine.nowNs, high]));
  board.devices.register(nvme);
  const page = () => board.memory.allocFrame() * 4096;
  const w32 = (addr: number, v: number) => dma.write32(addr, v);
  const r32 = (addr: number) => dma.read32(addr);
  const reg = (off: number, v: number) => board.devices.mmioWrite(BAR + off, 4, v);
  const run = () => board.engine.run({ simNsMax: 10_000_000, eventsMax: 10_000 });
  const asq = page();
  const acq = page();
  reg(R.REG_AQA, (7 << 16) | 7);
  reg(R.REG_ASQ, asq);
  reg(R.REG_ACQ, acq);
  reg(R.REG_CC, 1);
  return { board, nvme, msis, levels, page, w32, r32, reg, run, asq, acq };
}

type Rig = ReturnType<typeof rig>;

function submit(r: Rig, sqBase: number, slot: number, e: R.Sqe): void {
  const words = R.encodeSqe(e);
  for (let i = 0; i < words.length; i++) r.w32(sqBase + slot * R.SQE_BYTES + 4 * i, words[i]!);
}

/** Two I/O queue pairs, CQ y on interrupt vector y. */
function createQueues(r: Rig) {
  const cq1 = r.page();
  const cq2 = r.page();
  const sq1 = r.page();
  const sq2 = r.page();
  const size = 15 << 16; // 16 entries
  submit(r, r.asq, 0, {
    opcode: R.ADMIN_CREATE_CQ,
    cid: 1,
    nsid: 0,
    prp1: cq1,
    cdw10: size | 1,
    cdw11: (1 << 16) | 3,
    cdw12: 0,
  });
  submit(r, r.asq, 1, {
    opcode: R.ADMIN_CREATE_CQ,
    cid: 2,
    nsid: 0,
    prp1: cq2,
    cdw10: size | 2,
    cdw11: (2 << 16) | 3,
    cdw12: 0,
  });
  submit(r, r.asq, 2, {
    opcode: R.ADMIN_CREATE_SQ,
    cid: 3,
    nsid: 0,
    prp1: sq1,
    cdw10: size | 1,
    cdw11: 1 << 16,
    cdw12: 0,
  });
  submit(r, r.asq, 3, {
    opcode: R.ADMIN_CREATE_SQ,
    cid: 4,
    nsid: 0,
    prp1: sq2,
    cdw10: size | 2,
    cdw11: 2 << 16,
    cdw12: 0,
  });
  submit(r, r.asq, 4, {
    opcode: R.ADMIN_CREATE_SQ,
    cid: 5,
    nsid: 0,
    prp1: sq2,
    cdw10: size | 3,
    cdw11: 7 << 16,
    cdw12: 0,
  });
  r.reg(R.DOORBELL_BASE, 5);
  return { cq1, cq2, sq1, sq2 };
}

test('MSI-X: admin and I/O completions post with phase 1 and signal their own CQ vector', () => {
  const r = rig();
  const at = findCapability(r.nvme.cfg, CAP_ID_MSIX);
  r.nvme.cfg.write(at + 2, 2, 0x8000);
  for (let e = 0; e < 3; e++) {
    const m = composeMsi(fixedTarget(e % 2, 0x50 + e));
    r.reg(0x2000 + 16 * e, m.addressLo);
    r.reg(0x2000 + 16 * e + 8, m.data);
    r.reg(0x2000 + 16 * e + 12, 0);
  }
  const q = createQueues(r);
  r.run();
  // Five admin commands in parallel, each 1 us: all post at 1000 ns on vector 0x50 (entry 0).
  assert.deepEqual(
    r.msis.map(([t, m]) => [t, m.data]),
    new Array(5).fill([1000, 0x50]),
  );
  const dw3 = (cq: number, i: number) => r.r32(cq + 16 * i + 12);
  // cid | phase 1 << 16 | status << 17; the fifth names CQ 7, which does not exist: 0x101.
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((i) => dw3(r.acq, i)),
    [0x1_0001, 0x1_0002, 0x1_0003, 0x1_0004, (0x101 << 17) | 0x1_0005],
  );
  assert.equal(r.r32(r.acq + 8), 5); // SQ head 5 at the time, SQ id 0
  const data = r.page();
  for (let i = 0; i < 128; i++) r.w32(data + 4 * i, 0xa500_0000 + i);
  submit(r, q.sq1, 0, { opcode: R.IO_WRITE, cid: 7, nsid: 1, prp1: data, cdw10: 10, cdw11: 0, cdw12: 0 });
  r.reg(R.DOORBELL_BASE + 8, 1);
  r.run();
  const back = r.page();
  submit(r, q.sq2, 0, { opcode: R.IO_READ, cid: 8, nsid: 1, prp1: back, cdw10: 10, cdw11: 0, cdw12: 0 });
  r.reg(R.DOORBELL_BASE + 16, 1);
  r.run();
  assert.equal(r.r32(back + 4 * 127), 0xa500_007f);
  assert.deepEqual(
    r.msis.slice(5).map(([t, m]) => [t, m.addressLo, m.data]),
    [
      [1000 + 20_000, 0xfee0_1000, 0x51], // the write: CQ 1, entry 1, CPU 1
      [21_000 + 80_000, 0xfee0_0000, 0x52], // the read: CQ 2, entry 2, CPU 0
    ],
  );
  assert.deepEqual([dw3(q.cq1, 0), dw3(q.cq2, 0)], [0x1_0007, 0x1_0008]);
  assert.deepEqual(r.nvme.latenciesNs, [1000, 1000, 1000, 1000, 1000, 20_000, 80_000]);
});

test('INTx: every queue on one line, high until the host has consumed every completion', () => {
  const r = rig();
  const q = createQueues(r);
  r.run();
  assert.deepEqual(r.msis, []);
  // The admin CQ has IEN: its five completions raise the line at 1000 ns until its head moves.
  assert.deepEqual(r.levels, [[1000, true]]);
  r.reg(R.DOORBELL_BASE + 4, 5);
  assert.deepEqual(r.levels, [
    [1000, true],
    [1000, false],
  ]);
  const data = r.page();
  submit(r, q.sq1, 0, { opcode: R.IO_READ, cid: 1, nsid: 1, prp1: data, cdw10: 0, cdw11: 0, cdw12: 0 });
  submit(r, q.sq2, 0, { opcode: R.IO_READ, cid: 2, nsid: 1, prp1: data, cdw10: 1 << 21, cdw11: 0, cdw12: 0 });
  r.reg(R.DOORBELL_BASE + 8, 1);
  r.reg(R.DOORBELL_BASE + 16, 1);
  r.run();
  assert.equal(r.r32(q.cq2 + 12), (R.SC_LBA_RANGE << 17) | 0x1_0002); // LBA 2^21 is past the end
  r.reg(R.DOORBELL_BASE + 12, 1); // CQ 1 head: CQ 2 still has one
  // Both reads end at 1000 + 80 000 ns: the line rises once (the bus carries changes only) and
  // falls when the second CQ's head catches up, not the first's.
  assert.deepEqual(r.levels.slice(2), [[81_000, true]]);
  r.reg(R.DOORBELL_BASE + 20, 1);
  assert.deepEqual(r.levels.slice(2), [
    [81_000, true],
    [81_000, false],
  ]);
});

test('Set Features, Number of Queues: DW0 grants at most the queue pairs the controller has (0s based)', () => {
  const r = rig();
  const ask = (slot: number, cid: number, fid: number, count: number) =>
    submit(r, r.asq, slot, {
      opcode: R.ADMIN_SET_FEATURES,
      cid,
      nsid: 0,
      prp1: 0,
      cdw10: fid,
      cdw11: ((count - 1) | ((count - 1) << 16)) >>> 0,
      cdw12: 0,
    });
  ask(0, 1, R.FEAT_NUM_QUEUES, 16);
  ask(1, 2, R.FEAT_NUM_QUEUES, 2);
  ask(2, 3, 0x08, 2); // interrupt coalescing: not modelled
  r.reg(R.DOORBELL_BASE, 3);
  r.run();
  const cqe = (i: number) => [r.r32(r.acq + 16 * i), r.r32(r.acq + 16 * i + 12) >>> 17];
  assert.deepEqual(cqe(0), [3 | (3 << 16), R.SC_SUCCESS]); // 4 pairs: NSQA = NCQA = 3
  assert.deepEqual(cqe(1), [1 | (1 << 16), R.SC_SUCCESS]);
  assert.deepEqual(cqe(2), [0, R.SC_INVALID_FIELD]);
});
