/**
 * An NVMe-shaped multi-queue block device on the device seam (issue 18, HW-11; register and
 * entry layouts in nvme-regs.ts). Queues live in guest memory and are reached through the
 * device's DMA port; the driver rings doorbells by MMIO. The admin queue (qid 0) comes from
 * AQA/ASQ/ACQ when CC.EN goes to 1; Create I/O CQ (IV, IEN) and Create I/O SQ (bound to a CQ)
 * add queue pairs, so a driver can give each CPU its own CQ and MSI-X vector, or put every queue
 * on vector 0 / the INTx line. Reads and writes move 512-byte blocks between the namespace (a
 * sparse map) and one PRP page.
 *
 * Timing: a tail doorbell fetches the new entries at once; each command takes its service time
 * (`readNs`, `writeNs`, `adminNs`) with at most `parallelism` in service, the rest waiting in
 * arrival order; at its end the completion is posted (phase tag flips at each wrap; a full CQ
 * holds completions until the head doorbell frees room) and its CQ's vector is signalled, one
 * message per completion under MSI/MSI-X; under INTx the line is high while any IEN queue has
 * entries the host has not consumed (PciInterrupts picks the mode software enabled).
 */
import type { AccessSize, Device, DeviceHost, IoRange } from '../device.ts';
import type { DmaPort } from '../dma-port.ts';
import { PciConfigSpace } from '../pci/config-space.ts';
import { addMsiCapability, addMsixCapability } from '../pci/msi-caps.ts';
import type { MsiMessage } from '../pci/msi-message.ts';
import { MsixTable } from '../pci/msix-table.ts';
import { PciInterrupts } from '../pci/pci-interrupts.ts';
import * as R from './nvme-regs.ts';

export interface NvmeParams {
  readonly name: string;
  /** BAR0 base (16 KiB, 16 KiB-aligned): registers, doorbells, MSI-X table 0x2000, PBA 0x3000. */
  readonly bar0: number;
  /** The board line (GSI) of INTA. */
  readonly intxLine: number;
  /** I/O queue pairs the device supports; the MSI-X table has one more entry (admin). */
  readonly ioQueues: number;
  /** Entries per queue at most (CAP.MQES + 1). */
  readonly queueEntries: number;
  readonly readNs: number;
  readonly writeNs: number;
  readonly adminNs: number;
  /** Commands in service at once (the device's internal channels). */
  readonly parallelism: number;
  /** Namespace 1 size in 512-byte blocks. */
  readonly blocks: number;
}

/**
 * Defaults: 16 queue pairs; 1024-entry queues; a 4 KiB read in 80 us and a write in 20 us
 * (a datacenter TLC drive's QD1 figures, the write landing in its cache); 1 us per admin command;
 * 32 channels; a 1 GiB namespace.
 */
export const NVME_DEFAULTS: Omit<NvmeParams, 'name' | 'bar0' | 'intxLine'> = {
  ioQueues: 16,
  queueEntries: 1024,
  readNs: 80_000,
  writeNs: 20_000,
  adminNs: 1_000,
  parallelism: 32,
  blocks: 1 << 21,
};

const BAR_BYTES = 0x4000;
const MSIX_TABLE = 0x2000;
const MSIX_PBA = 0x3000;

interface Sq {
  base: number;
  size: number;
  head: number;
  cqid: number;
}
interface Cq {
  base: number;
  size: number;
  tail: number;
  head: number;
  phase: boolean;
  iv: number;
  ien: boolean;
  /** Completions waiting for room: [dw0, dw2, cid, status]. */
  backlog: [number, number, number, number][];
}
interface Job {
  readonly seq: number;
  doneNs: number;
  readonly sqid: number;
  readonly sqe: R.Sqe;
  readonly submitNs: number;
}

export class NvmeDevice implements Device {
  readonly name: string;
  readonly mmio: readonly IoRange[];
  readonly ports: readonly IoRange[] = [];
  readonly lines: readonly number[];
  readonly cfg: PciConfigSpace;
  readonly msix: MsixTable;
  readonly irq: PciInterrupts;
  readonly params: NvmeParams;
  /** Per completion: ns from the doorbell that submitted it to its post. */
  readonly latenciesNs: number[] = [];
  readonly #dma: DmaPort;
  readonly #sqs = new Map<number, Sq>();
  readonly #cqs = new Map<number, Cq>();
  readonly #regs = new Map<number, number>();
  readonly #blocks = new Map<number, Uint32Array>();
  readonly #running: Job[] = [];
  readonly #waiting: Job[] = [];
  #host!: DeviceHost;
  #seq = 0;

  constructor(params: NvmeParams, dma: DmaPort, msiWrite: (m: MsiMessage) => void) {
    this.params = params;
    this.name = params.name;
    this.mmio = [{ base: params.bar0, size: BAR_BYTES }];
    this.lines = [params.intxLine];
    this.#dma = dma;
    this.cfg = new PciConfigSpace({
      vendorId: 0x8086,
      deviceId: 0x0953,
      classCode: [0x01, 0x08, 0x02],
      intPin: 1,
    });
    this.cfg.setBar(0, params.bar0, BAR_BYTES);
    const msi = addMsiCapability(this.cfg, { vectorsLog2: 5, is64: true, perVectorMask: true });
    const entries = params.ioQueues + 1;
    const at = addMsixCapability(this.cfg, {
      tableSize: entries,
      tableBir: 0,
      tableOffset: MSIX_TABLE,
      pbaBir: 0,
      pbaOffset: MSIX_PBA,
    });
    this.msix = new MsixTable(entries, MSIX_TABLE, MSIX_PBA);
    this.irq = new PciInterrupts({
      cfg: this.cfg,
      msi,
      msix: { at, table: this.msix },
      send: msiWrite,
      setLine: (high) => this.#host.setLine(0, high),
    });
  }

  attach(host: DeviceHost): void {
    this.#host = host;
  }

  mmioRead(addr: number, _size: AccessSize): number {
    const off = addr - this.params.bar0;
    if (off >= MSIX_TABLE) return this.msix.read(off & ~3);
    if (off === R.REG_CAP) return ((this.params.queueEntries - 1) | (1 << 16) | (20 << 24)) >>> 0;
    if (off === R.REG_CAP + 4) return 1 << 5; // CSS: the NVM command set (CAP bit 37)
    if (off === R.REG_VS) return R.NVME_VERSION;
    if (off === R.REG_CSTS) return this.#regs.get(R.REG_CC)! & 1 ? 1 : 0;
    return this.#regs.get(off) ?? 0;
  }

  mmioWrite(addr: number, _size: AccessSize, value: number): void {
    const off = addr - this.params.bar0;
    if (off >= MSIX_TABLE) this.msix.write(off & ~3, value);
    else if (off >= R.DOORBELL_BASE) this.#doorbell((off - R.DOORBELL_BASE) >> 2, value >>> 0);
    else if (off === R.REG_CC) this.#setCc(value >>> 0);
    else this.#regs.set(off, value >>> 0);
  }

  timer(nowNs: number): number {
    while (this.#running.length > 0 && this.#running[0]!.doneNs <= nowNs) {
      const job = this.#running.shift()!;
      this.#finish(job);
      const next = this.#waiting.shift();
      if (next) this.#start(next, nowNs);
    }
    return this.#running[0]?.doneNs ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Commands fetched and not yet posted whose completion queue signals interrupt vector `iv`,
   * and posted completions held back for want of CQ room (what the kernel's drain before a
   * managed vector's shutdown waits out: kernel/devio/hotplug-vectors.ts).
   */
  commandsOnVector(iv: number): number {
    const onIv = (job: Job) => this.#cqs.get(this.#sqs.get(job.sqid)?.cqid ?? -1)?.iv === iv;
    let n = this.#running.filter(onIv).length + this.#waiting.filter(onIv).length;
    for (const cq of this.#cqs.values()) if (cq.iv === iv) n += cq.backlog.length;
    return n;
  }

  #setCc(value: number): void {
    const was = (this.#regs.get(R.REG_CC) ?? 0) & 1;
    this.#regs.set(R.REG_CC, value);
    if ((value & 1) === was) return;
    this.#sqs.clear();
    this.#cqs.clear();
    this.#running.length = 0;
    this.#waiting.length = 0;
    if ((value & 1) === 0) return;
    const aqa = this.#regs.get(R.REG_AQA) ?? 0;
    const q = (reg: number) => (this.#regs.get(reg) ?? 0) + (this.#regs.get(reg + 4) ?? 0) * 2 ** 32;
    this.#cqs.set(0, newCq(q(R.REG_ACQ), ((aqa >>> 16) & 0xfff) + 1, 0, true));
    this.#sqs.set(0, { base: q(R.REG_ASQ), size: (aqa & 0xfff) + 1, head: 0, cqid: 0 });
  }

  #doorbell(index: number, value: number): void {
    const qid = index >> 1;
    if ((index & 1) === 1) {
      const cq = this.#cqs.get(qid);
      if (!cq) return;
      cq.head = value % cq.size;
      while (cq.backlog.length > 0 && (cq.tail + 1) % cq.size !== cq.head)
        this.#post(cq, ...cq.backlog.shift()!);
      this.#updateIntx();
      return;
    }
    const sq = this.#sqs.get(qid);
    if (!sq) return;
    const now = this.#host.nowNs;
    for (let i = sq.head; i !== value % sq.size; i = (i + 1) % sq.size) {
      const sqe = this.#readSqe(sq.base + i * R.SQE_BYTES);
      sq.head = (i + 1) % sq.size;
      const job: Job = { seq: this.#seq++, doneNs: 0, sqid: qid, sqe, submitNs: now };
      if (this.#running.length < this.params.parallelism) this.#start(job, now);
      else this.#waiting.push(job);
    }
  }

  #readSqe(addr: number): R.Sqe {
    const w = (i: number) => this.#dma.read32(addr + 4 * i);
    const dw0 = w(0);
    return {
      opcode: dw0 & 0xff,
      cid: dw0 >>> 16,
      nsid: w(1),
      prp1: w(6) + w(7) * 2 ** 32,
      cdw10: w(10),
      cdw11: w(11),
      cdw12: w(12),
    };
  }

  #start(job: Job, nowNs: number): void {
    const p = this.params;
    const op = job.sqe.opcode;
    job.doneNs = nowNs + (job.sqid === 0 ? p.adminNs : op === R.IO_READ ? p.readNs : p.writeNs);
    let i = this.#running.length;
    while (i > 0 && this.#running[i - 1]!.doneNs > job.doneNs) i--; // by end time, then arrival
    this.#running.splice(i, 0, job);
  }

  #finish(job: Job): void {
    const sq = this.#sqs.get(job.sqid);
    if (!sq) return; // deleted by a reset
    const [status, dw0] = job.sqid === 0 ? this.#admin(job.sqe) : [this.#io(job.sqe), 0];
    const cq = this.#cqs.get(sq.cqid)!;
    const dw2 = (sq.head | (job.sqid << 16)) >>> 0;
    this.latenciesNs.push(this.#host.nowNs - job.submitNs);
    if ((cq.tail + 1) % cq.size === cq.head) cq.backlog.push([dw0, dw2, job.sqe.cid, status]);
    else this.#post(cq, dw0, dw2, job.sqe.cid, status);
  }

  #post(cq: Cq, dw0: number, dw2: number, cid: number, status: number): void {
    const at = cq.base + cq.tail * R.CQE_BYTES;
    this.#dma.write32(at, dw0);
    this.#dma.write32(at + 4, 0);
    this.#dma.write32(at + 8, dw2);
    this.#dma.write32(at + 12, R.cqeDw3(cid, cq.phase, status));
    cq.tail = (cq.tail + 1) % cq.size;
    if (cq.tail === 0) cq.phase = !cq.phase;
    if (!cq.ien) return;
    if (this.irq.mode === 'intx') this.#updateIntx();
    else this.irq.raise(cq.iv);
  }

  #updateIntx(): void {
    if (this.irq.mode !== 'intx') return;
    let level = false;
    for (const cq of this.#cqs.values()) if (cq.ien && cq.head !== cq.tail) level = true;
    this.irq.setIntx(level);
  }

  /** An admin command's status and completion DW0. */
  #admin(sqe: R.Sqe): [number, number] {
    if (sqe.opcode === R.ADMIN_SET_FEATURES) return this.#setFeatures(sqe);
    return [this.#createQueue(sqe), 0];
  }

  /**
   * Set Features, Number of Queues (NVMe base spec 5.27.1.5): CDW11 asks for NSQR | NCQR << 16
   * (0's based); DW0 answers what is allocated, at most the controller's queue pairs. Other
   * features are not modelled (invalid field).
   */
  #setFeatures(sqe: R.Sqe): [number, number] {
    if ((sqe.cdw10 & 0xff) !== R.FEAT_NUM_QUEUES) return [R.SC_INVALID_FIELD, 0];
    const max = this.params.ioQueues - 1;
    const sq = Math.min(sqe.cdw11 & 0xffff, max);
    const cq = Math.min(sqe.cdw11 >>> 16, max);
    return [R.SC_SUCCESS, (sq | (cq << 16)) >>> 0];
  }

  #createQueue(sqe: R.Sqe): number {
    const qid = sqe.cdw10 & 0xffff;
    const size = (sqe.cdw10 >>> 16) + 1;
    if (sqe.opcode !== R.ADMIN_CREATE_CQ && sqe.opcode !== R.ADMIN_CREATE_SQ) return R.SC_INVALID_OPCODE;
    if (qid === 0 || qid > this.params.ioQueues) return R.SC_QID_INVALID;
    if (size < 2 || size > this.params.queueEntries) return R.SC_INVALID_FIELD;
    if (sqe.opcode === R.ADMIN_CREATE_CQ) {
      const iv = sqe.cdw11 >>> 16;
      if (this.#cqs.has(qid) || iv > this.params.ioQueues) return R.SC_QID_INVALID;
      this.#cqs.set(qid, newCq(sqe.prp1, size, iv, (sqe.cdw11 & 2) !== 0));
      return R.SC_SUCCESS;
    }
    const cqid = sqe.cdw11 >>> 16;
    if (this.#sqs.has(qid) || !this.#cqs.has(cqid) || cqid === 0) return R.SC_QID_INVALID;
    this.#sqs.set(qid, { base: sqe.prp1, size, head: 0, cqid });
    return R.SC_SUCCESS;
  }

  #io(sqe: R.Sqe): number {
    if (sqe.opcode !== R.IO_READ && sqe.opcode !== R.IO_WRITE) return R.SC_INVALID_OPCODE;
    const slba = sqe.cdw10;
    const count = (sqe.cdw12 & 0xffff) + 1;
    if (sqe.nsid !== 1 || count > 4096 / R.BLOCK_BYTES) return R.SC_INVALID_FIELD;
    if (slba + count > this.params.blocks) return R.SC_LBA_RANGE;
    const words = R.BLOCK_BYTES / 4;
    for (let b = 0; b < count; b++) {
      const at = sqe.prp1 + b * R.BLOCK_BYTES;
      if (sqe.opcode === R.IO_WRITE) {
        const block = new Uint32Array(words);
        for (let i = 0; i < words; i++) block[i] = this.#dma.read32(at + 4 * i);
        this.#blocks.set(slba + b, block);
      } else {
        const block = this.#blocks.get(slba + b);
        for (let i = 0; i < words; i++) this.#dma.write32(at + 4 * i, block?.[i] ?? 0);
      }
    }
    return R.SC_SUCCESS;
  }
}

function newCq(base: number, size: number, iv: number, ien: boolean): Cq {
  return { base, size, tail: 0, head: 0, phase: true, iv, ien, backlog: [] };
}
