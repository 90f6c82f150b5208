/**
 * Puts a scenario's devices on the board and gives the kernel its view of them (issue 18): the
 * hardware from machine/devices.ts, then the kernel's `Devio` (kernel/devio/devio.ts) with each
 * function's config space, BAR, INTx line and DMA mask, the IOMMU if any, and the fabric's raise
 * times for the interrupt-latency figures.
 */
import { DEVICE_KIND_E1000, DEVICE_KIND_NVME } from '../abi/devio.ts';
import type { Board } from '../hw/board.ts';
import { NvmeDevice } from '../hw/devices/nvme.ts';
import { Devio, type PciFunction } from '../kernel/devio/devio.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { DeviceSetupConfig } from './device-config.ts';
import { BAR_STRIDE, buildDevices } from './devices.ts';

export function attachDevices(board: Board, kernel: Kernel, setup: DeviceSetupConfig, seed: number): void {
  const built = buildDevices(board, setup, seed);
  const functions: PciFunction[] = built.functions.map((f) => ({
    name: f.config.name,
    kindCode: f.config.kind === 'nvme' ? DEVICE_KIND_NVME : DEVICE_KIND_E1000,
    cfg: f.cfg,
    bar0: f.bar0,
    barBytes: f.device.mmio[0]?.size ?? BAR_STRIDE,
    intxGsi: f.intxGsi,
    requesterId: f.requesterId,
    quirks: f.config.quirks,
    dmaBits: f.config.dmaBits,
    ioQueues: f.config.kind === 'nvme' ? f.config.ioQueues : 1,
    inFlight: (source: number) => (f.device instanceof NvmeDevice ? f.device.commandsOnVector(source) : 0),
  }));
  const count = board.devices.devices.length;
  const devio = new Devio(kernel, {
    mode: setup.irqRouting,
    functions,
    iommu: built.iommu,
    direct: built.direct,
    busy: () => {
      for (let i = 0; i < count; i++)
        if (board.devices.deadlineNs(i) !== Number.POSITIVE_INFINITY) return true;
      return false;
    },
  });
  kernel.devio = devio;
  // CPU offline moves the improved kernel's device vectors (kernel/devio/hotplug-vectors.ts);
  // Redox's routing has no offline path (and its kernel no hotplug).
  if (setup.irqRouting === 'improved') kernel.hotplug.vectorDomain = devio.domain;
  built.fabric.onSend = (apicId, vector) =>
    devio.stats.noteRaise(board.apic.slotOf(apicId), vector, board.engine.nowNs);
}
