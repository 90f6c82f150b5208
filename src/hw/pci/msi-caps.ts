/**
 * The MSI (0x05) and MSI-X (0x11) capabilities as bytes in a configuration space (models-2.md
 * §8.1; Linux `include/uapi/linux/pci_regs.h` PCI_MSI_* and PCI_MSIX_*).
 * MSI, Message Control at +2: bit 0 enable, 1-3 Multiple Message Capable (log2), 4-6 Multiple
 *   Message Enable, 7 64-bit, 8 per-vector masking; address low +4; 32-bit: data +8, mask +12,
 *   pending +16; 64-bit: address high +8, data +12, mask +16, pending +20.
 * MSI-X, Message Control at +2: bits 0-10 table size - 1, 14 function mask, 15 enable; +4 table
 *   offset | BIR, +8 PBA offset | BIR (BIR in bits 0-2, offset 8-byte aligned). 12 bytes.
 */
import { CAP_ID_MSI, CAP_ID_MSIX, type PciConfigSpace } from './config-space.ts';

export const MSI_CTRL_ENABLE = 1 << 0;
export const MSI_CTRL_64BIT = 1 << 7;
export const MSI_CTRL_MASKBIT = 1 << 8;
export const MSIX_CTRL_MASKALL = 1 << 14;
export const MSIX_CTRL_ENABLE = 1 << 15;

export interface MsiCapSpec {
  /** log2 of the vectors the function can use (0..5: 1..32). */
  readonly vectorsLog2: number;
  readonly is64: boolean;
  readonly perVectorMask: boolean;
}

/** Where the MSI fields of a capability at `at` are. */
export interface MsiLayout {
  readonly at: number;
  readonly control: number;
  readonly addressLo: number;
  readonly addressHi: number | null;
  readonly data: number;
  readonly mask: number | null;
  readonly pending: number | null;
}

export function msiLayout(at: number, control: number): MsiLayout {
  const is64 = (control & MSI_CTRL_64BIT) !== 0;
  const masks = (control & MSI_CTRL_MASKBIT) !== 0;
  const data = at + (is64 ? 12 : 8);
  return {
    at,
    control: at + 2,
    addressLo: at + 4,
    addressHi: is64 ? at + 8 : null,
    data,
    mask: masks ? data + 4 : null,
    pending: masks ? data + 8 : null,
  };
}

/** Adds an MSI capability; software may write enable, MME, address, data and the mask bits. */
export function addMsiCapability(cfg: PciConfigSpace, spec: MsiCapSpec): MsiLayout {
  if (!(Number.isInteger(spec.vectorsLog2) && spec.vectorsLog2 >= 0 && spec.vectorsLog2 <= 5))
    throw new RangeError(`msi: vectorsLog2 ${spec.vectorsLog2} is not 0..5`);
  const control =
    (spec.vectorsLog2 << 1) | (spec.is64 ? MSI_CTRL_64BIT : 0) | (spec.perVectorMask ? MSI_CTRL_MASKBIT : 0);
  const totalBytes = (spec.is64 ? 12 : 8) + (spec.perVectorMask ? 12 : 2); // through data or pending
  const bodyBytes = totalBytes - 4; // after id, next and control
  const at = cfg.addCapability(CAP_ID_MSI, [
    control & 0xff,
    control >> 8,
    ...new Array<number>(bodyBytes).fill(0),
  ]);
  const l = msiLayout(at, control);
  cfg.setWritable(l.control, 2, MSI_CTRL_ENABLE | (7 << 4));
  cfg.setWritable(l.addressLo, 4, 0xffff_fffc);
  if (l.addressHi !== null) cfg.setWritable(l.addressHi, 4, 0xffff_ffff);
  cfg.setWritable(l.data, 2, 0xffff);
  if (l.mask !== null) cfg.setWritable(l.mask, 4, (2 ** (1 << spec.vectorsLog2) - 1) >>> 0);
  return l;
}

export interface MsixCapSpec {
  /** Table entries (1..2048). */
  readonly tableSize: number;
  readonly tableBir: number;
  readonly tableOffset: number;
  readonly pbaBir: number;
  readonly pbaOffset: number;
}

/** Adds an MSI-X capability; software may write the enable and function-mask bits only. */
export function addMsixCapability(cfg: PciConfigSpace, spec: MsixCapSpec): number {
  if (!(Number.isInteger(spec.tableSize) && spec.tableSize >= 1 && spec.tableSize <= 2048))
    throw new RangeError(`msix: table size ${spec.tableSize} is not 1..2048`);
  const ctrl = spec.tableSize - 1;
  const table = (spec.tableOffset | spec.tableBir) >>> 0;
  const pba = (spec.pbaOffset | spec.pbaBir) >>> 0;
  const word = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
  const at = cfg.addCapability(CAP_ID_MSIX, [ctrl & 0xff, ctrl >> 8, ...word(table), ...word(pba)]);
  cfg.setWritable(at + 2, 2, MSIX_CTRL_MASKALL | MSIX_CTRL_ENABLE);
  return at;
}

/** The MSI-X capability's table and PBA locations as the driver reads them. */
export interface MsixInfo {
  readonly tableSize: number;
  readonly tableBir: number;
  readonly tableOffset: number;
  readonly pbaBir: number;
  readonly pbaOffset: number;
}

export function readMsixInfo(cfg: { read(offset: number, size: 2 | 4): number }, at: number): MsixInfo {
  const table = cfg.read(at + 4, 4);
  const pba = cfg.read(at + 8, 4);
  return {
    tableSize: (cfg.read(at + 2, 2) & 0x7ff) + 1,
    tableBir: table & 7,
    tableOffset: (table & ~7) >>> 0,
    pbaBir: pba & 7,
    pbaOffset: (pba & ~7) >>> 0,
  };
}
