/**
 * `nvme-rogue` as a scenario program (issue 18, HW-13): an NVMe driver that reuses a DMA address
 * after unmapping it (services/drivers/nvme-rogue.ts). Needs a `[[device]] kind = "nvme"` named nvme0.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { nvmeRogueMain } from '../services/drivers/nvme-rogue.ts';
import type { GuestProgram } from './program.ts';

function* main(t: Guest): Program<number> {
  const out = yield* nvmeRogueMain(t);
  t.data.output = { ...(t.data.output as object), 'nvme-rogue': out };
  return 0;
}

export const NVME_ROGUE: GuestProgram = {
  image: { name: 'nvme-rogue', main },
  doc: 'an NVMe driver that DMAs to a bus address after unmapping it: IOMMU fault or corruption (HW-13)',
  claims: ['HW-13'],
  params: [],
};
