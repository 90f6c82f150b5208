/**
 * The e1000 transmit unit (issue 18; 8254x manual §3.3 "Packet Transmission", §3.4 "Transmit
 * Descriptor Ring Structure"; register offsets and bits as Linux drivers/net/ethernet/intel/
 * e1000/e1000_hw.h): a ring of legacy transmit descriptors in memory, base TDBAL/TDBAH, TDLEN
 * bytes, the hardware's head TDH and the software's tail TDT. With TCTL.EN set and TDH != TDT the
 * unit fetches the descriptor at TDH by DMA (through the IOMMU when the port is one), reads the
 * frame's first 8 bytes from its buffer (the rest of the frame is not fetched: the model keeps no
 * payload, as the receive side writes only a stamp), and puts the frame on the wire for
 * (length + 20 bytes of preamble, delimiter and inter-frame gap) × 8 bits at `wireMbps`: 12 112
 * ns for a 1494-byte frame at 1 Gb/s. When the frame has left, a descriptor with CMD.RS gets
 * STA.DD written back and raises ICR.TXDW, TDH advances, GPTC/TPT count it and GOTC its bytes;
 * the next descriptor starts at once (frames go back to back). Not modelled: the transmit FIFO
 * (real hardware fetches ahead and writes DD once the data is in the FIFO, here when it has left
 * the wire), TIDV/TADV interrupt delays (CMD.IDE is ignored), checksum offload (CSO, CSS), TSO
 * and context descriptors.
 */
import {
  E1000_GOTCH,
  E1000_GOTCL,
  E1000_GPTC,
  E1000_TCTL,
  E1000_TDBAH,
  E1000_TDBAL,
  E1000_TDH,
  E1000_TDLEN,
  E1000_TDT,
  E1000_TPT,
  ICR_TXDW,
  TCTL_EN,
  TX_DESC_BYTES,
  TXD_CMD_RS,
  TXD_STAT_DD,
  WIRE_OVERHEAD_BYTES,
} from '../../abi/e1000-regs.ts';
import type { DmaPort } from '../dma-port.ts';

const TX_REGS = [E1000_TCTL, E1000_TDBAL, E1000_TDBAH, E1000_TDLEN, E1000_TDH, E1000_TDT] as const;
const TX_STATS = [E1000_GPTC, E1000_GOTCL, E1000_GOTCH, E1000_TPT] as const;

/** The wire's time for a frame of `lengthBytes`, in ns (integer, rounded up). */
export function wireTimeNs(lengthBytes: number, wireMbps: number): number {
  return Math.ceil(((lengthBytes + WIRE_OVERHEAD_BYTES) * 8 * 1000) / wireMbps);
}

interface InFlight {
  readonly descAddr: number;
  readonly lengthBytes: number;
  readonly reportStatus: boolean;
}

export class E1000Transmit {
  readonly wireMbps: number;
  /** Lifetime counts (the statistics registers clear on read; these do not). */
  frames = 0;
  bytes = 0;
  /** The sum (mod 2^32) of every sent frame's first 32-bit word: what reached the wire. */
  headerSum = 0;
  readonly #dma: DmaPort;
  readonly #cause: (bits: number) => void;
  readonly #regs = new Map<number, number>();
  #gptc = 0;
  #tpt = 0;
  #gotc = 0;
  #current: InFlight | null = null;
  #doneAtNs = Number.POSITIVE_INFINITY;

  constructor(dma: DmaPort, wireMbps: number, cause: (bits: number) => void) {
    this.#dma = dma;
    this.wireMbps = wireMbps;
    this.#cause = cause;
  }

  /** Whether `offset` is one of the transmit unit's registers. */
  owns(offset: number): boolean {
    return (
      (TX_REGS as readonly number[]).includes(offset) || (TX_STATS as readonly number[]).includes(offset)
    );
  }

  read(offset: number): number {
    if (offset === E1000_GPTC)
      return this.#takeStat(
        () => this.#gptc,
        () => (this.#gptc = 0),
      );
    if (offset === E1000_TPT)
      return this.#takeStat(
        () => this.#tpt,
        () => (this.#tpt = 0),
      );
    if (offset === E1000_GOTCL) return this.#gotc >>> 0;
    if (offset === E1000_GOTCH) {
      const high = Math.floor(this.#gotc / 2 ** 32) >>> 0;
      this.#gotc = 0; // the pair clears once the high half is read (8254x §13.7)
      return high;
    }
    return this.#regs.get(offset) ?? 0;
  }

  #takeStat(get: () => number, clear: () => void): number {
    const v = get() >>> 0;
    clear();
    return v;
  }

  /** A register write at `nowNs`; a new tail (or TCTL.EN) may start the unit. */
  write(offset: number, value: number, nowNs: number): void {
    if ((TX_STATS as readonly number[]).includes(offset)) return; // read-only
    const count = this.#count();
    const v = offset === E1000_TDH || offset === E1000_TDT ? (count === 0 ? 0 : value % count) : value;
    this.#regs.set(offset, v >>> 0);
    if (this.#current === null) this.#start(nowNs);
  }

  /** Completes what left the wire by `nowNs`; returns when the frame on the wire will have left. */
  timer(nowNs: number): number {
    while (this.#current !== null && this.#doneAtNs <= nowNs) {
      const endNs = this.#doneAtNs;
      this.#complete(this.#current);
      this.#current = null;
      this.#doneAtNs = Number.POSITIVE_INFINITY;
      this.#start(endNs);
    }
    return this.#doneAtNs;
  }

  #count(): number {
    return Math.floor((this.#regs.get(E1000_TDLEN) ?? 0) / TX_DESC_BYTES);
  }

  /** Fetches the descriptor at TDH and puts its frame on the wire from `atNs`, if there is one. */
  #start(atNs: number): void {
    const r = (off: number) => this.#regs.get(off) ?? 0;
    if ((r(E1000_TCTL) & TCTL_EN) === 0 || this.#count() === 0 || r(E1000_TDH) === r(E1000_TDT)) return;
    const descAddr = r(E1000_TDBAL) + r(E1000_TDBAH) * 2 ** 32 + r(E1000_TDH) * TX_DESC_BYTES;
    const buffer = this.#dma.read32(descAddr) + this.#dma.read32(descAddr + 4) * 2 ** 32;
    const word2 = this.#dma.read32(descAddr + 8) >>> 0; // length 0-15, CSO 16-23, CMD 24-31
    const lengthBytes = word2 & 0xffff;
    const cmd = word2 >>> 24;
    this.headerSum = (this.headerSum + (this.#dma.read32(buffer) >>> 0)) >>> 0;
    this.#dma.read32(buffer + 4);
    this.#current = { descAddr, lengthBytes, reportStatus: (cmd & TXD_CMD_RS) !== 0 };
    this.#doneAtNs = atNs + wireTimeNs(lengthBytes, this.wireMbps);
  }

  #complete(f: InFlight): void {
    if (f.reportStatus) {
      const word3 = this.#dma.read32(f.descAddr + 12) >>> 0; // STA 0-7 (bits 4-7 reserved), CSS, special
      this.#dma.write32(f.descAddr + 12, (word3 | TXD_STAT_DD) >>> 0);
    }
    const count = this.#count(); // 0 once the driver took the ring away mid-frame
    this.#regs.set(E1000_TDH, count === 0 ? 0 : ((this.#regs.get(E1000_TDH) ?? 0) + 1) % count);
    this.frames++;
    this.bytes += f.lengthBytes;
    this.#gptc++;
    this.#tpt++;
    this.#gotc += f.lengthBytes;
    if (f.reportStatus) this.#cause(ICR_TXDW);
  }
}
