// A test driver's BAR0 window: the function's BAR as pcid's channel reports it (RequestConfig),
// mapped through memory:physical (services/drivers/bar.ts), so register writes go where a
// driver's would. The channel stays open (the function is the test's).
import type { Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { mapBar } from '../../src/services/drivers/bar.ts';
import { memoryBar, pcidConnect } from '../../src/services/drivers/pcid-client.ts';

export function* barOf(t: Guest, name: string): Program<number> {
  const [physical, bytes] = memoryBar(yield* pcidConnect(t, 'test', name), 0);
  return yield* mapBar(t, 'test', physical, bytes);
}
