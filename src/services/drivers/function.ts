/**
 * A driver's start on its PCI function (issue 18), in the order Redox's drivers take it
 * (redox-os/drivers storage/nvmed, net/e1000d main.rs; pcid_interface irq_helpers): connect to
 * pcid's channel (its config), EnableDevice, map BAR0 through memory:physical, then the best
 * interrupt feature pcid offers: MSI-X, else MSI (EnableFeature), else the legacy INTx line.
 * Returns what the driver then works with: the function index for the DMA calls, the BAR
 * window, the interrupt mode (abi/devio.ts IRQ_MODE_*) and the sources it can signal apart
 * (MSI-X's table size, else 1).
 */
import { IRQ_MODE_INTX, IRQ_MODE_MSI, IRQ_MODE_MSIX } from '../../abi/devio.ts';
import type { Program } from '../../abi/effects.ts';
import type { Guest } from '../../abi/guest.ts';
import { Feature } from '../../abi/pcid.ts';
import { sched_getaffinity_cpus } from '../../libc/sched.ts';
import { mapBar } from './bar.ts';
import {
  enableDevice,
  enableFeature,
  fetchAllFeatures,
  memoryBar,
  msixTableSize,
  type PciHandle,
  pcidConnect,
} from './pcid-client.ts';

export interface DriverFunction {
  readonly pci: PciHandle;
  readonly dev: number;
  readonly bar: number;
  readonly irqMode: number;
  readonly sources: number;
}

export function* openFunction(t: Guest, driver: string, name: string): Program<DriverFunction> {
  const pci = yield* pcidConnect(t, driver, name);
  yield* enableDevice(t, pci);
  const [physical, bytes] = memoryBar(pci, 0);
  const bar = yield* mapBar(t, driver, physical, bytes);
  const features = yield* fetchAllFeatures(t, pci);
  let irqMode = IRQ_MODE_INTX;
  let sources = 1;
  if (features.includes(Feature.MsiX)) {
    yield* enableFeature(t, pci, Feature.MsiX);
    irqMode = IRQ_MODE_MSIX;
    sources = yield* msixTableSize(t, pci);
  } else if (features.includes(Feature.Msi)) {
    yield* enableFeature(t, pci, Feature.Msi);
    irqMode = IRQ_MODE_MSI;
  }
  return { pci, dev: pci.dev, bar, irqMode, sources };
}

/**
 * The CPUs a driver spreads its queues and clients over: the ones the process may run on, as
 * nproc(1) counts them with sched_getaffinity (every CPU for a driver started unpinned).
 */
export function* onlineCpus(t: Guest): Program<number> {
  const cpus = yield* sched_getaffinity_cpus(t, 0);
  return typeof cpus === 'number' || cpus.length === 0 ? 1 : cpus.length;
}
