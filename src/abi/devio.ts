/**
 * What a userspace driver and the kernel's device calls share (issue 18; abi/syscalls.ts
 * SYS_PCI_OPEN..SYS_IRQ_CLOSE): the interrupt modes a driver reports and the DMA directions, numbered as
 * Linux's enum dma_data_direction. Constants only.
 */

export const DEVICE_KIND_NVME = 1;
export const DEVICE_KIND_E1000 = 2;
export const IRQ_MODE_INTX = 0;
export const IRQ_MODE_MSI = 1;
export const IRQ_MODE_MSIX = 2;

/** Linux's enum dma_data_direction, as kernel/dma/swiotlb.ts DmaDirection. */
export const DMA_BIDIRECTIONAL = 0;
export const DMA_TO_DEVICE = 1;
export const DMA_FROM_DEVICE = 2;
