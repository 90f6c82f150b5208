/**
 * `e1000d` as a scenario program (issue 18): the e1000 receive driver for `nics` NICs named
 * eth0.. (services/drivers/e1000d.ts), for the interrupt-routing and ITR moderation scenarios.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { e1000dMain } from '../services/drivers/e1000d.ts';
import { type GuestProgram, intArg, type ProgramArgs } from './program.ts';

function* main(t: Guest, arg: unknown): Program<number> {
  const args = arg as ProgramArgs;
  const out = yield* e1000dMain(t, {
    nics: intArg(args, 'nics'),
    itr: intArg(args, 'itr'),
    packetCycles: intArg(args, 'packet_cycles'),
    durationUs: intArg(args, 'duration_us'),
  });
  t.data.output = { ...(t.data.output as object), e1000d: out };
  return 0;
}

export const E1000D: GuestProgram = {
  image: { name: 'e1000d', main },
  doc: 'the e1000 receive driver: packet latency, interrupt rate under ITR moderation (issue 18)',
  claims: ['HW-10', 'K21'],
  params: [
    { name: 'nics', kind: 'int', min: 1, max: 8, fallback: 1, doc: 'NICs driven, [[device]]s eth0..' },
    {
      name: 'itr',
      kind: 'int',
      min: 0,
      max: 65535,
      fallback: 0,
      doc: 'ITR, 256 ns units (0: no moderation)',
    },
    { name: 'packet_cycles', kind: 'int', min: 0, max: 10_000_000, fallback: 2000, doc: 'work per packet' },
    {
      name: 'duration_us',
      kind: 'int',
      min: 10,
      max: 10_000_000,
      fallback: 2000,
      doc: 'how long to receive',
    },
  ],
};
