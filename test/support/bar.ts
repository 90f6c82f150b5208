// A test driver's BAR0 window: the function's BAR as the kernel reports it, mapped through
// memory:physical (services/drivers/bar.ts), so register writes go where a driver's would.
import { PciInfo } from '../../src/abi/devio.ts';
import type { Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { SYS_PCI_INFO } from '../../src/abi/syscalls.ts';
import { syscall } from '../../src/libc/sys.ts';
import { mapBar } from '../../src/services/drivers/bar.ts';

export function* barOf(t: Guest, dev: number): Program<number> {
  const physical = yield* syscall(t, SYS_PCI_INFO, dev, PciInfo.Bar0);
  return yield* mapBar(t, 'test', physical, yield* syscall(t, SYS_PCI_INFO, dev, PciInfo.Bar0Bytes));
}
