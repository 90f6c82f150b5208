/**
 * Builds the devices a scenario's `[[device]]` tables ask for (issue 18) onto the board: the
 * interrupt fabric with the IOAPICs the firmware describes (the same spec the MADT is built from,
 * hw/acpi/spec.ts, so the chips are where the kernel's parsed tables say), the DMA path (direct,
 * or an IOMMU with a port per requester id), and each PCI function with its BAR, INTx line and
 * config space. Only called when the scenario has devices, so a machine without them keeps every
 * engine event and PRNG draw it had (existing seeds' hashes do not move).
 *
 * Layout: function i is PCI 00:(3+i).0 (requester id (3+i) << 3), BAR0 at 0xC000_0000 + i * 128
 * KiB, INTA on GSI 16 + (i mod 8): the PC's PIRQ lines on IOAPIC 0's upper pins, level-triggered
 * as PCI INTx is (the board line is high while the function asserts it).
 */
import { Prng } from '../engine/prng.ts';
import { IOAPIC_PINS, specFromTopology } from '../hw/acpi/spec.ts';
import type { Board } from '../hw/board.ts';
import type { Device } from '../hw/device.ts';
import { E1000_DEFAULT_MAC, E1000_DEFAULTS, E1000Device } from '../hw/devices/e1000.ts';
import { NvmeDevice } from '../hw/devices/nvme.ts';
import { DirectDma, type DmaPort } from '../hw/dma-port.ts';
import { InterruptFabric } from '../hw/interrupt-fabric.ts';
import { Iommu } from '../hw/iommu.ts';
import { PAGE_SIZE } from '../hw/memory.ts';
import type { PciConfigSpace } from '../hw/pci/config-space.ts';
import type { DeviceConfig, DeviceSetupConfig } from './device-config.ts';

export const BAR_BASE = 0xc000_0000;
export const BAR_STRIDE = 0x2_0000;
export const INTX_GSI_BASE = 16;
const PCI_SLOT_BASE = 3;

/** One PCI function as the board built it, for the kernel's `pci:` view (kernel/devio/). */
export interface BuiltFunction {
  readonly config: DeviceConfig;
  readonly device: NvmeDevice | E1000Device;
  readonly cfg: PciConfigSpace;
  readonly requesterId: number;
  readonly bar0: number;
  readonly intxGsi: number;
}

export interface BuiltDevices {
  readonly setup: DeviceSetupConfig;
  readonly fabric: InterruptFabric;
  readonly direct: DirectDma;
  readonly iommu: Iommu | null;
  readonly functions: readonly BuiltFunction[];
}

export function buildDevices(board: Board, setup: DeviceSetupConfig, seed: number): BuiltDevices {
  const fabric = new InterruptFabric(board.apic, board.devices);
  const spec = specFromTopology(board.topology, { memoryBytes: board.memory.frameCount * PAGE_SIZE });
  for (const io of spec.ioApics) {
    fabric.addIoApic({
      name: `ioapic${io.id}`,
      id: io.id,
      baseAddr: io.address,
      gsiBase: io.gsiBase,
      pins: IOAPIC_PINS,
    });
  }
  const direct = new DirectDma(board.memory);
  const iommu = setup.iommu ? new Iommu(direct, () => board.engine.nowNs) : null;
  const functions = setup.devices.map((config, i) => {
    const requesterId = (PCI_SLOT_BASE + i) << 3;
    const port: DmaPort = iommu ? iommu.port(requesterId) : direct;
    const bar0 = BAR_BASE + i * BAR_STRIDE;
    const intxGsi = INTX_GSI_BASE + (i % 8);
    const device = makeDevice(config, { bar0, intxGsi, port, fabric, seed, index: i });
    board.devices.register(device as Device);
    return { config, device, cfg: device.cfg, requesterId, bar0, intxGsi };
  });
  return { setup, fabric, direct, iommu, functions };
}

interface Placement {
  readonly bar0: number;
  readonly intxGsi: number;
  readonly port: DmaPort;
  readonly fabric: InterruptFabric;
  readonly seed: number;
  readonly index: number;
}

function makeDevice(config: DeviceConfig, at: Placement): NvmeDevice | E1000Device {
  const msiWrite = (m: Parameters<InterruptFabric['msiWrite']>[0]) => at.fabric.msiWrite(m);
  if (config.kind === 'nvme') {
    const { kind: _k, quirks: _q, dmaBits: _d, ...params } = config;
    return new NvmeDevice({ ...params, bar0: at.bar0, intxLine: at.intxGsi }, at.port, msiWrite);
  }
  // The NIC's arrivals draw from their own stream, derived from the run's seed and the device's
  // place, so adding a device never moves the draws of the machine's other parts.
  const prng = new Prng((at.seed * 0x9e37_79b1 + 0x1000 + at.index) >>> 0);
  return new E1000Device(
    {
      name: config.name,
      bar0: at.bar0,
      intxLine: at.intxGsi,
      packetsPerSec: config.packetsPerSec ?? E1000_DEFAULTS.packetsPerSec,
      packetBytes: config.packetBytes,
      wireMbps: config.wireMbps,
      // QEMU's default address, its last byte counting up with the device's place on the bus.
      mac: [...E1000_DEFAULT_MAC.slice(0, 5), (E1000_DEFAULT_MAC[5]! + at.index) & 0xff],
    },
    at.port,
    prng,
    msiWrite,
  );
}
