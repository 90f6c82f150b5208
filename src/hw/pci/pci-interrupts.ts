/**
 * How a PCI function signals an interrupt, in whichever mode software enabled in its
 * configuration space (PCI spec 6.8; Linux drivers/pci/msi/msi.c is the software side):
 * - MSI-X enabled (control bit 15): entry `index` of the table; if the function mask (bit 14) or
 *   the entry's mask is set, its PBA bit is set instead and the message goes when both clear.
 * - else MSI enabled (control bit 0): the data word with the vector index ORed into its low
 *   log2(MME) bits (a function with fewer messages granted than it has sources folds the index,
 *   as real devices alias; Redox grants one, so every source shares vector 0); a per-vector
 *   mask bit set holds the message in the pending bits.
 * - else INTx: the level of the function's pin line, unless command bit 10 disables it; status
 *   bit 3 shows the pending level either way.
 * Messages go to `send` (the board routes 0xFEEx_xxxx writes to the APIC bus); INTx to `setLine`.
 */
import {
  COMMAND_INTX_DISABLE,
  CFG_COMMAND,
  CFG_STATUS,
  type PciConfigSpace,
  STATUS_INTERRUPT,
} from './config-space.ts';
import { MSI_CTRL_ENABLE, MSIX_CTRL_ENABLE, MSIX_CTRL_MASKALL, type MsiLayout } from './msi-caps.ts';
import type { MsiMessage } from './msi-message.ts';
import type { MsixTable } from './msix-table.ts';

export type MsiSend = (message: MsiMessage) => void;

export interface PciInterruptParts {
  readonly cfg: PciConfigSpace;
  readonly msi: MsiLayout | null;
  /** Offset of the MSI-X capability and its table, when the function has them. */
  readonly msix: { readonly at: number; readonly table: MsixTable } | null;
  readonly send: MsiSend;
  readonly setLine: (high: boolean) => void;
}

export type InterruptMode = 'msix' | 'msi' | 'intx';

export class PciInterrupts {
  readonly #p: PciInterruptParts;
  #intxLevel = false;
  #msiPending = 0;
  /** Messages sent and INTx assertions, for tests and metrics. */
  messages = 0;

  constructor(parts: PciInterruptParts) {
    this.#p = parts;
    parts.cfg.onWrite = () => this.#recheck();
    if (parts.msix) parts.msix.table.onUnmask = (e) => this.#recheckMsix(e);
  }

  get mode(): InterruptMode {
    const { cfg, msi, msix } = this.#p;
    if (msix && (cfg.read(msix.at + 2, 2) & MSIX_CTRL_ENABLE) !== 0) return 'msix';
    if (msi && (cfg.read(msi.control, 2) & MSI_CTRL_ENABLE) !== 0) return 'msi';
    return 'intx';
  }

  /** Signals source `index` (an MSI-X entry or MSI message number; INTx ignores it). */
  raise(index: number): void {
    const mode = this.mode;
    if (mode === 'msix') this.#raiseMsix(index);
    else if (mode === 'msi') this.#raiseMsi(index);
    else this.setIntx(true);
  }

  /** The INTx level the device wants (it drops it when its cause is acknowledged). */
  setIntx(high: boolean): void {
    const { cfg } = this.#p;
    this.#intxLevel = high;
    const status = cfg.read(CFG_STATUS, 2);
    cfg.deviceSet(CFG_STATUS, 2, high ? status | STATUS_INTERRUPT : status & ~STATUS_INTERRUPT);
    this.#driveIntx();
  }

  #driveIntx(): void {
    const disabled = (this.#p.cfg.read(CFG_COMMAND, 2) & COMMAND_INTX_DISABLE) !== 0;
    this.#p.setLine(this.#intxLevel && !disabled && this.mode === 'intx');
  }

  #raiseMsix(index: number): void {
    const { cfg, msix } = this.#p;
    const table = msix!.table;
    if (!(index >= 0 && index < table.size)) throw new RangeError(`msix: entry ${index} of ${table.size}`);
    const maskAll = (cfg.read(msix!.at + 2, 2) & MSIX_CTRL_MASKALL) !== 0;
    if (maskAll || table.masked(index)) table.setPending(index, true);
    else this.#send(table.message(index));
  }

  #raiseMsi(index: number): void {
    const { cfg } = this.#p;
    const msi = this.#p.msi!;
    const granted = 1 << ((cfg.read(msi.control, 2) >> 4) & 7);
    const n = index & (granted - 1);
    if (msi.mask !== null && (cfg.read(msi.mask, 4) & (1 << n)) !== 0) {
      this.#msiPending |= 1 << n;
      cfg.deviceSet(msi.pending!, 4, this.#msiPending >>> 0);
      return;
    }
    this.#send(this.#msiMessage(n));
  }

  #msiMessage(n: number): MsiMessage {
    const { cfg } = this.#p;
    const msi = this.#p.msi!;
    const data = cfg.read(msi.data, 2);
    const granted = 1 << ((cfg.read(msi.control, 2) >> 4) & 7);
    return {
      addressLo: cfg.read(msi.addressLo, 4),
      addressHi: msi.addressHi === null ? 0 : cfg.read(msi.addressHi, 4),
      data: ((data & ~(granted - 1)) | n) >>> 0,
    };
  }

  #send(message: MsiMessage): void {
    this.messages++;
    this.#p.send(message);
  }

  /** After a config write: INTx enable may have changed, masks may have cleared. */
  #recheck(): void {
    this.#driveIntx();
    const mode = this.mode;
    if (mode === 'msix') for (let e = 0; e < this.#p.msix!.table.size; e++) this.#recheckMsix(e);
    if (mode === 'msi' && this.#msiPending !== 0) {
      const msi = this.#p.msi!;
      const mask = msi.mask === null ? 0 : this.#p.cfg.read(msi.mask, 4);
      for (let n = 0; n < 32; n++) {
        if ((this.#msiPending & (1 << n)) === 0 || (mask & (1 << n)) !== 0) continue;
        this.#msiPending &= ~(1 << n);
        this.#send(this.#msiMessage(n));
      }
      if (msi.pending !== null) this.#p.cfg.deviceSet(msi.pending, 4, this.#msiPending >>> 0);
    }
  }

  #recheckMsix(entry: number): void {
    const { cfg, msix } = this.#p;
    const table = msix!.table;
    if (!table.pending(entry) || table.masked(entry) || this.mode !== 'msix') return;
    if ((cfg.read(msix!.at + 2, 2) & MSIX_CTRL_MASKALL) !== 0) return;
    table.setPending(entry, false);
    this.#send(table.message(entry));
  }
}
