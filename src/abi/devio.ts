/**
 * What a userspace driver and the kernel's device calls share (issue 18; abi/syscalls.ts
 * SYS_PCI_OPEN..SYS_IRQ_CLOSE): the keys `pci_info` answers and the DMA directions, numbered as
 * Linux's enum dma_data_direction. Constants only.
 */

/** `pci_info(dev, key)` keys. */
export const PciInfo = {
  /** 1 for an NVMe controller, 2 for an e1000 NIC. */
  Kind: 0,
  /** I/O queue pairs the function supports (NVMe). */
  IoQueues: 1,
  /** The interrupt mode the kernel will give the driver: 0 INTx, 1 MSI, 2 MSI-X. */
  InterruptMode: 2,
  /** Interrupt sources the function can signal separately (MSI-X table entries; 1 otherwise). */
  Vectors: 3,
  /** Online CPUs (what a driver spreads its queues over). */
  OnlineCpus: 4,
  /** BAR0's physical address (what the driver maps through memory:physical). */
  Bar0: 5,
  /** BAR0's size in bytes. */
  Bar0Bytes: 6,
} as const;

export const DEVICE_KIND_NVME = 1;
export const DEVICE_KIND_E1000 = 2;
export const IRQ_MODE_INTX = 0;
export const IRQ_MODE_MSI = 1;
export const IRQ_MODE_MSIX = 2;

/** Linux's enum dma_data_direction, as kernel/dma/swiotlb.ts DmaDirection. */
export const DMA_BIDIRECTIONAL = 0;
export const DMA_TO_DEVICE = 1;
export const DMA_FROM_DEVICE = 2;
