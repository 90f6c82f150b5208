/**
 * Programming a function's interrupt source for an irq handle (issue 18, HW-10, HW-11), as
 * pcid's `pci_allocate_interrupt_vector` and Linux's msi.c do it, through the function's config
 * space and BAR0 (each access charged as an MMIO access):
 * - MSI-X: at the function's first open, MSI-X enabled with the function mask set, every entry
 *   masked, the function mask cleared (Linux's msix_capability_init order, models-2.md §8.6);
 *   then per handle its entry's address (0xFEE00000 | APIC id << 12) and data (vector, fixed,
 *   edge) and the entry unmasked;
 * - MSI: one message (Multiple Message Enable 0, as pcid's "TODO: up to 32 vectors"), address
 *   and data, enable; INTx disabled in the command register for both;
 * - INTx: the line's IOAPIC entry, level-triggered, active high (the board line is high while
 *   the function asserts INTA), fixed, physical, to the CPU's APIC id, unmasked.
 */
import { composeMsi, fixedTarget } from '../../hw/pci/msi-message.ts';
import {
  CAP_ID_MSI,
  CAP_ID_MSIX,
  CFG_COMMAND,
  COMMAND_BUS_MASTER,
  COMMAND_INTX_DISABLE,
  COMMAND_MEMORY,
  findCapability,
} from '../../hw/pci/config-space.ts';
import {
  MSI_CTRL_ENABLE,
  MSIX_CTRL_ENABLE,
  MSIX_CTRL_MASKALL,
  msiLayout,
  readMsixInfo,
} from '../../hw/pci/msi-caps.ts';
import { interruptModeFor } from '../../hw/pci/quirks.ts';
import { encodeRte } from '../../hw/ioapic-rte.ts';
import { MSIX_ENTRY_BYTES, MSIX_VECTOR_CTRL } from '../../hw/pci/msix-table.ts';
import type { Devio, IrqMode, PciFunction } from './devio.ts';

/** The mode the function gets: MSI-X, then MSI, then INTx, minus what its quirks rule out. */
export function modeFor(fn: PciFunction): IrqMode {
  const has = { msi: findCapability(fn.cfg, CAP_ID_MSI) > 0, msix: findCapability(fn.cfg, CAP_ID_MSIX) > 0 };
  return interruptModeFor(has, new Set(fn.quirks));
}

/** Interrupt sources the function can signal apart in `mode`. */
export function sourcesIn(fn: PciFunction, mode: IrqMode): number {
  if (mode !== 'msix') return 1;
  return readMsixInfo(fn.cfg, findCapability(fn.cfg, CAP_ID_MSIX)).tableSize;
}

/** Counts the accesses a programming step makes, for the caller to charge. */
export class Accesses {
  count = 0;
}

function cfgWrite(fn: PciFunction, offset: number, size: 2 | 4, value: number, n: Accesses): void {
  fn.cfg.write(offset, size, value);
  n.count++;
}

function barWrite(
  fn: PciFunction,
  offset: number,
  value: number,
  n: Accesses,
  mmio: (a: number, v: number) => void,
): void {
  mmio(fn.bar0 + offset, value);
  n.count++;
}

/** Enables `mode` on the function (its first handle). */
export function enableMode(
  fn: PciFunction,
  mode: IrqMode,
  mmio: (a: number, v: number) => void,
  n: Accesses,
): void {
  const command = fn.cfg.read(CFG_COMMAND, 2) | COMMAND_MEMORY | COMMAND_BUS_MASTER;
  cfgWrite(
    fn,
    CFG_COMMAND,
    2,
    mode === 'intx' ? command & ~COMMAND_INTX_DISABLE : command | COMMAND_INTX_DISABLE,
    n,
  );
  if (mode !== 'msix') return;
  const at = findCapability(fn.cfg, CAP_ID_MSIX);
  const info = readMsixInfo(fn.cfg, at);
  cfgWrite(fn, at + 2, 2, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL, n);
  for (let e = 0; e < info.tableSize; e++)
    barWrite(fn, info.tableOffset + e * MSIX_ENTRY_BYTES + MSIX_VECTOR_CTRL, 1, n, mmio);
  cfgWrite(fn, at + 2, 2, MSIX_CTRL_ENABLE, n);
}

/** Points source `source` of the function at `vector` on the CPU with APIC id `apicId`. */
export function programSource(
  d: Devio,
  fn: PciFunction,
  mode: IrqMode,
  source: number,
  target: { apicId: number; vector: number },
  mmio: (a: number, v: number) => void,
  n: Accesses,
): void {
  if (mode === 'intx') {
    const words = encodeRte({
      vector: target.vector,
      deliveryMode: 0,
      logical: false,
      activeLow: false,
      level: true,
      masked: false,
      destination: target.apicId & 0xff,
    });
    d.writeRte(fn.intxGsi, words);
    n.count += 4;
    return;
  }
  // An APIC id above 255 needs interrupt remapping; Redox panics there ("need to use the IOMMU").
  const m = composeMsi(fixedTarget(target.apicId & 0xff, target.vector));
  if (mode === 'msi') {
    const at = findCapability(fn.cfg, CAP_ID_MSI);
    const layout = msiLayout(at, fn.cfg.read(at + 2, 2));
    cfgWrite(fn, layout.addressLo, 4, m.addressLo, n);
    if (layout.addressHi !== null) cfgWrite(fn, layout.addressHi, 4, 0, n);
    cfgWrite(fn, layout.data, 2, m.data, n);
    const control = fn.cfg.read(layout.control, 2) & ~(7 << 4);
    cfgWrite(fn, layout.control, 2, control | MSI_CTRL_ENABLE, n);
    return;
  }
  const info = readMsixInfo(fn.cfg, findCapability(fn.cfg, CAP_ID_MSIX));
  const entry = info.tableOffset + source * MSIX_ENTRY_BYTES;
  barWrite(fn, entry, m.addressLo, n, mmio);
  barWrite(fn, entry + 4, 0, n, mmio);
  barWrite(fn, entry + 8, m.data, n, mmio);
  barWrite(fn, entry + MSIX_VECTOR_CTRL, 0, n, mmio);
}

/** Masks or unmasks a level line's IOAPIC entry (the legacy handshake, models-2.md §7.3). */
export function setLineMasked(d: Devio, gsi: number, masked: boolean): void {
  const lo = d.readRteLo(gsi);
  const value = masked ? lo | (1 << 16) : lo & ~(1 << 16);
  d.writeRteLo(gsi, value >>> 0);
}
