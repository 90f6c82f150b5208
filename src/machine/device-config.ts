/**
 * The devices a machine is built with (issue 18): the `[[device]]` tables (scenario/devices.ts
 * reads them), the kernel's IOAPIC/MSI routing mode and whether DMA goes through an IOMMU.
 */
import type { RoutingMode } from '../kernel/irqs/legacy-routes.ts';
import type { PciQuirk } from '../hw/pci/quirks.ts';

export const DEVICE_KINDS = ['nvme', 'e1000'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

interface DeviceCommon {
  readonly name: string;
  readonly quirks: readonly PciQuirk[];
  /** Address bits the device's DMA reaches (its DMA mask); 64 unless a 32-bit device is asked for. */
  readonly dmaBits: number;
}

export interface NvmeDeviceConfig extends DeviceCommon {
  readonly kind: 'nvme';
  readonly ioQueues: number;
  readonly queueEntries: number;
  readonly readNs: number;
  readonly writeNs: number;
  readonly adminNs: number;
  readonly parallelism: number;
  readonly blocks: number;
}

export interface E1000DeviceConfig extends DeviceCommon {
  readonly kind: 'e1000';
  readonly packetsPerSec: number;
  readonly packetBytes: number;
  /** The link's rate for transmitted frames, Mb/s. */
  readonly wireMbps: number;
}

export type DeviceConfig = NvmeDeviceConfig | E1000DeviceConfig;

/**
 * `irqRouting`: `redox` (every line and MSI vector on the BSP, K21; affinity to any APIC id,
 * K11; one global count lock, K13) or `improved` (Linux: the vector matrix spreads, EINVAL for
 * an offline CPU, per-CPU counts). `iommu`: device DMA is translated through an IOMMU domain per
 * device (hw/iommu.ts) or reaches physical memory directly (the baseline).
 */
export interface DeviceSetupConfig {
  readonly devices: readonly DeviceConfig[];
  readonly irqRouting: RoutingMode;
  readonly iommu: boolean;
}
