/**
 * An e1000-shaped NIC receive path on the device seam, with ITR interrupt moderation (issue 18;
 * models-2.md §8.7). Registers at BAR0 as the 8254x manual and Linux
 * drivers/net/ethernet/intel/e1000/e1000_hw.h: ICR 0xC0 (read clears), ITR 0xC4, ICS 0xC8, IMS
 * 0xD0 (write sets), IMC 0xD8 (write clears), RDBAL/RDBAH 0x2800/0x2804, RDLEN 0x2808, RDH
 * 0x2810, RDT 0x2818, MPC 0x4010 (missed packets), RAL0/RAH0 0x5400/0x5404 (the MAC address). A legacy receive descriptor is 16 bytes:
 * buffer address (8), length (2), checksum (2), status (1: DD bit 0, EOP bit 1), errors, special.
 *
 * Packets arrive as a Poisson process (`packetsPerSec`, exponential gaps drawn from the engine
 * PRNG stream given to the device) or not at all. An arriving packet takes the descriptor at RDH
 * if RDH != RDT: its first 8 bytes are written with the packet's sequence number and arrival
 * time in ns (the rest of the frame is not copied; its length is written), the descriptor gets
 * DD|EOP, RDH advances and ICR.RXT0 (bit 7) is set; with no free descriptor it is dropped,
 * counted in MPC, and ICR.RXO (bit 6) is set. ITR holds the minimum gap between interrupts in
 * 256 ns units (0 = none): a cause that finds the gap not yet over waits for its end. The
 * interrupt is the INTx level (high while ICR & IMS, until ICR is read) or, with MSI enabled,
 * one message per moderated interrupt. Transmit: e1000-tx.ts (TDBAL..TDT, the wire, ICR.TXDW
 * under the same ITR moderation).
 */
import type { Prng } from '../../engine/prng.ts';
import type { AccessSize, Device, DeviceHost, IoRange } from '../device.ts';
import type { DmaPort } from '../dma-port.ts';
import { PciConfigSpace } from '../pci/config-space.ts';
import { addMsiCapability } from '../pci/msi-caps.ts';
import type { MsiMessage } from '../pci/msi-message.ts';
import { PciInterrupts } from '../pci/pci-interrupts.ts';
import { E1000Transmit } from './e1000-tx.ts';
import {
  E1000_ICR,
  E1000_ICS,
  E1000_IMC,
  E1000_IMS,
  E1000_ITR,
  E1000_MPC,
  E1000_RAH0,
  E1000_RAL0,
  E1000_RDBAH,
  E1000_RDBAL,
  E1000_RDH,
  E1000_RDLEN,
  E1000_RDT,
  ICR_RXO,
  ICR_RXT0,
  ITR_UNIT_NS,
  RAH_AV,
  RX_DESC_BYTES,
} from '../../abi/e1000-regs.ts';

export * from '../../abi/e1000-regs.ts';

export interface E1000Params {
  readonly name: string;
  readonly bar0: number;
  readonly intxLine: number;
  /** Mean arrival rate of the Poisson process; 0: no arrivals. */
  readonly packetsPerSec: number;
  /** Frame length written into each descriptor (64..1518). */
  readonly packetBytes: number;
  /** The MAC address in RAL0/RAH0 (as the EEPROM loads it); default QEMU's 52:54:00:12:34:56. */
  readonly mac?: readonly number[];
  /** The link's rate for transmitted frames (e1000-tx.ts); default 1000 (1 Gb/s). */
  readonly wireMbps?: number;
}

/** QEMU's default NIC address (qemu net/net.c qemu_macaddr_default_if_unset: 52:54:00:12:34:56). */
export const E1000_DEFAULT_MAC: readonly number[] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

/** Defaults: 100 000 packets/s (a busy 1 GbE link of mid-size frames), 1514-byte frames. */
export const E1000_DEFAULTS = { packetsPerSec: 100_000, packetBytes: 1514, wireMbps: 1000 } as const;

const BAR_BYTES = 0x2_0000;

export class E1000Device implements Device {
  readonly name: string;
  readonly mmio: readonly IoRange[];
  readonly ports: readonly IoRange[] = [];
  readonly lines: readonly number[];
  readonly cfg: PciConfigSpace;
  readonly irq: PciInterrupts;
  readonly params: E1000Params;
  /** The transmit unit (TDBAL..TDT, GPTC/GOTC/TPT). */
  readonly tx: E1000Transmit;
  /** Packets delivered into descriptors, interrupts signalled. */
  received = 0;
  interrupts = 0;
  readonly #dma: DmaPort;
  readonly #prng: Prng;
  readonly #regs = new Map<number, number>();
  #host!: DeviceHost;
  #icr = 0;
  #nextArrivalNs = Number.POSITIVE_INFINITY;
  #lastInterruptNs = Number.NEGATIVE_INFINITY;
  #interruptAtNs = Number.POSITIVE_INFINITY;
  #sequence = 0;
  /** INTx: the line is up. MSI: a cause arrived since the last message. */
  #asserted = false;
  #fresh = false;

  constructor(params: E1000Params, dma: DmaPort, prng: Prng, msiWrite: (m: MsiMessage) => void) {
    this.params = params;
    this.name = params.name;
    this.mmio = [{ base: params.bar0, size: BAR_BYTES }];
    this.lines = [params.intxLine];
    this.#dma = dma;
    this.#prng = prng;
    this.tx = new E1000Transmit(dma, params.wireMbps ?? E1000_DEFAULTS.wireMbps, (bits) => this.#cause(bits));
    this.cfg = new PciConfigSpace({
      vendorId: 0x8086,
      deviceId: 0x100e,
      classCode: [0x02, 0x00, 0x00],
      intPin: 1,
    });
    this.cfg.setBar(0, params.bar0, BAR_BYTES);
    const mac = params.mac ?? E1000_DEFAULT_MAC;
    this.#regs.set(E1000_RAL0, (mac[0]! | (mac[1]! << 8) | (mac[2]! << 16) | (mac[3]! << 24)) >>> 0);
    this.#regs.set(E1000_RAH0, (mac[4]! | (mac[5]! << 8) | RAH_AV) >>> 0);
    const msi = addMsiCapability(this.cfg, { vectorsLog2: 0, is64: true, perVectorMask: false });
    const setLine = (high: boolean) => this.#host.setLine(0, high);
    this.irq = new PciInterrupts({ cfg: this.cfg, msi, msix: null, send: msiWrite, setLine });
  }

  attach(host: DeviceHost): void {
    this.#host = host;
    if (this.params.packetsPerSec > 0) this.#nextArrivalNs = host.nowNs + this.#gapNs();
  }

  /** The exponential gap of a Poisson process, from a uniform draw in (0, 1]. */
  #gapNs(): number {
    const u = (this.#prng.nextU32() + 1) / 2 ** 32;
    return Math.max(1, Math.round((-Math.log(u) * 1e9) / this.params.packetsPerSec));
  }

  mmioRead(addr: number, _size: AccessSize): number {
    const off = addr - this.params.bar0;
    if (off === E1000_ICR) {
      const icr = this.#icr;
      this.#icr = 0; // read clears, dropping the INTx level
      this.#signal();
      return icr;
    }
    if (off === E1000_IMC) return 0;
    if (this.tx.owns(off)) return this.tx.read(off);
    return this.#regs.get(off) ?? 0;
  }

  mmioWrite(addr: number, _size: AccessSize, value: number): void {
    const off = addr - this.params.bar0;
    const v = value >>> 0;
    if (off === E1000_IMS) this.#regs.set(E1000_IMS, ((this.#regs.get(E1000_IMS) ?? 0) | v) >>> 0);
    else if (off === E1000_IMC) this.#regs.set(E1000_IMS, ((this.#regs.get(E1000_IMS) ?? 0) & ~v) >>> 0);
    else if (off === E1000_ICS) this.#cause(v);
    else if (off === E1000_ITR) this.#regs.set(off, v & 0xffff);
    else if (this.tx.owns(off)) this.tx.write(off, v, this.#host.nowNs);
    else this.#regs.set(off, v);
    this.#signal();
  }

  timer(nowNs: number): number {
    while (this.#nextArrivalNs <= nowNs) {
      this.#arrive(this.#nextArrivalNs);
      this.#nextArrivalNs += this.#gapNs();
    }
    const txDoneNs = this.tx.timer(nowNs);
    this.#signal();
    return Math.min(this.#nextArrivalNs, this.#interruptAtNs, txDoneNs);
  }

  #arrive(atNs: number): void {
    const r = (off: number) => this.#regs.get(off) ?? 0;
    const count = Math.floor(r(E1000_RDLEN) / RX_DESC_BYTES);
    const head = r(E1000_RDH);
    if (count === 0 || head === r(E1000_RDT)) {
      this.#regs.set(E1000_MPC, r(E1000_MPC) + 1);
      this.#cause(ICR_RXO);
      return;
    }
    const desc = r(E1000_RDBAL) + r(E1000_RDBAH) * 2 ** 32 + head * RX_DESC_BYTES;
    const buffer = this.#dma.read32(desc) + this.#dma.read32(desc + 4) * 2 ** 32;
    this.#dma.write32(buffer, this.#sequence++);
    this.#dma.write32(buffer + 4, atNs >>> 0);
    this.#dma.write32(desc + 8, this.params.packetBytes); // length; checksum 0
    this.#dma.write32(desc + 12, 0b11); // status DD | EOP; errors and special 0
    this.#regs.set(E1000_RDH, (head + 1) % count);
    this.received++;
    this.#cause(ICR_RXT0);
  }

  #cause(bits: number): void {
    this.#icr = (this.#icr | bits) >>> 0;
    this.#fresh = true;
  }

  /**
   * Raises (or drops) the interrupt as ICR, IMS and the ITR gap allow. INTx: the line rises once
   * the gap is over and stays up until ICR is read. MSI: one message per new cause once the gap
   * is over (the driver still reads ICR to learn and clear the causes).
   */
  #signal(): void {
    const now = this.#host.nowNs;
    const active = (this.#icr & (this.#regs.get(E1000_IMS) ?? 0)) !== 0;
    const intx = this.irq.mode === 'intx';
    if (!active || (!intx && !this.#fresh)) {
      this.#interruptAtNs = Number.POSITIVE_INFINITY;
      if (intx && this.#asserted) {
        this.#asserted = false;
        this.irq.setIntx(false);
      }
      return;
    }
    if (intx && this.#asserted) return;
    const due = this.#lastInterruptNs + (this.#regs.get(E1000_ITR) ?? 0) * ITR_UNIT_NS;
    if (now < due) {
      this.#interruptAtNs = due;
      return;
    }
    this.#interruptAtNs = Number.POSITIVE_INFINITY;
    this.#lastInterruptNs = now;
    this.#fresh = false;
    this.interrupts++;
    if (intx) {
      this.#asserted = true;
      this.irq.setIntx(true);
    } else this.irq.raise(0);
  }
}
