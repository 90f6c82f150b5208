/**
 * Device interrupt quirks (models-2.md §8.6) and the mode a driver ends up with. The names are the
 * project's switches, not Linux flags: FORCE_LEGACY is Linux's `pci=nomsi` / `pci_no_msi()` for
 * one device (and NVMe's NVME_QUIRK_BROKEN_MSI), NO_MSI is `pci_dev.no_msi` for MSI only (a
 * broken MSI block), NO_MSIX forbids MSI-X only. `interruptModeFor` is the preference of both
 * Redox's pcid (`pci_allocate_interrupt_vector`: MSI-X, then MSI, then INTx) and Linux's
 * `pci_alloc_irq_vectors` with PCI_IRQ_ALL_TYPES (drivers/pci/msi/api.c), skipping what a quirk
 * or a missing capability rules out.
 */
import type { InterruptMode } from './pci-interrupts.ts';

export const PCI_QUIRKS = ['FORCE_LEGACY', 'NO_MSI', 'NO_MSIX'] as const;
export type PciQuirk = (typeof PCI_QUIRKS)[number];

export function isPciQuirk(name: string): name is PciQuirk {
  return (PCI_QUIRKS as readonly string[]).includes(name);
}

export function interruptModeFor(
  has: { readonly msi: boolean; readonly msix: boolean },
  quirks: ReadonlySet<PciQuirk>,
): InterruptMode {
  if (quirks.has('FORCE_LEGACY')) return 'intx';
  if (has.msix && !quirks.has('NO_MSIX')) return 'msix';
  if (has.msi && !quirks.has('NO_MSI')) return 'msi';
  return 'intx';
}
