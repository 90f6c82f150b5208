// A test driver's BAR0 window: the function's BAR as pcid's channel reports it (RequestConfig),
// mapped through memory:physical (services/drivers/bar.ts), so register writes go where a
// driver's would. The channel stays open (the function is the test's).
import type { Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import type { PciQuirk } from '../../src/hw/pci/quirks.ts';
import type { E1000DeviceConfig } from '../../src/machine/device-config.ts';
import { mapBar } from '../../src/services/drivers/bar.ts';
import { memoryBar, pcidConnect } from '../../src/services/drivers/pcid-client.ts';

export function* barOf(t: Guest, name: string): Program<number> {
  const [physical, bytes] = memoryBar(yield* pcidConnect(t, 'test', name), 0);
  return yield* mapBar(t, 'test', physical, bytes);
}

/** An e1000 with no packet arrivals (the register and channel tests' NIC), 64-bit DMA. */
export function quietNic(name: string, quirks: PciQuirk[] = []): E1000DeviceConfig {
  return { kind: 'e1000', name, packetsPerSec: 0, packetBytes: 64, wireMbps: 1000, quirks, dmaBits: 64 };
}
