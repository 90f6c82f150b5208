/**
 * `ring-stale` (RING-3, RING-4; issue 20): completions for threads that are gone. `leavers`
 * threads each submit a PARK on one word and exit without waiting for it; once they are joined
 * (their slots free), `stayers` threads, which take those slots again with new generations, park
 * on the same word and wait. The main thread then changes the word and unparks everyone.
 *
 * Thread rings route each completion by its generation-checked reference: the leavers' are
 * rejected (capring.stale_rejected = leavers) and spend no wake, and every stayer gets its own.
 * Process rings cannot tell: the leavers' completions land in the shared CQ
 * (capring.stale_delivered = leavers) for the user runtime to discard by user_data. In both, no
 * stayer is lost (stayers_done = stayers): one that parks late sees the changed word (-EAGAIN).
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import { EAGAIN } from '../abi/errno.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { CapOp, CapSlot } from '../abi/capring.ts';
import { capEnter, capSetup, capSubmit } from '../libc/capring/call.ts';
import { capPark, capUnpark, parkArgs } from '../libc/capring/mutex.ts';
import { type CapThreadRef, capMap, capThreadCreate, capThreadJoin } from '../libc/capring/thread.ts';
import { publish } from './common.ts';
import { type GuestProgram, intArg, type ProgramArgs } from './program.ts';

interface Shared {
  word: number;
  arrived: number;
}

/** Parks on the word and leaves at once: its completion will find it gone. */
function* leaver(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  yield* capSubmit(t, CapOp.Park, CapSlot.ParkSpace, parkArgs(s.word, 0));
  yield* capEnter(t, 0, 0); // consumed: it is parked, and nobody waits for it
  return 0;
}

/** Parks on the word and waits; 0 when woken or when the word had already changed. */
function* stayer(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  yield t.atomic(AtomicOp.FetchAdd, s.arrived, 1);
  const r = yield* capPark(t, s.word, 0);
  return r === 0 || r === -EAGAIN ? 0 : 1;
}

function* ringStaleMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const leavers = intArg(args, 'leavers');
  const stayers = intArg(args, 'stayers');
  if ((yield* capSetup(t)) < 0) throw new Error('ring-stale: this program needs [kernel] abi = "capring"');
  const page = yield* capMap(t, 4096, false);
  if (page < 0) throw new Error(`ring-stale: map failed (${page})`);
  const s: Shared = { word: page, arrived: page + 4 };
  const gone: CapThreadRef[] = [];
  for (let i = 0; i < leavers; i++) gone.push(yield* create(t, leaver, s));
  for (const ref of gone) yield* capThreadJoin(t, ref);
  const live: CapThreadRef[] = [];
  for (let i = 0; i < stayers; i++) live.push(yield* create(t, stayer, s));
  while (t.load32(s.arrived) < stayers) yield t.compute(2000);
  yield t.compute(20_000); // let the last arrivals reach their PARK
  yield t.atomic(AtomicOp.Store, s.word, 1);
  const woken = yield* capUnpark(t, s.word, 0x7fff_ffff);
  let done = 0;
  for (const ref of live) {
    const [err, code] = yield* capThreadJoin(t, ref);
    if (err === 0 && code === 0) done++;
  }
  publish(t, 'ring-stale', { leavers, stayers, woken, stayersDone: done });
  return done === stayers ? 0 : 1;
}

function* create(
  t: Guest,
  entry: (t: Guest, a: unknown) => Program<number>,
  s: Shared,
): Program<CapThreadRef> {
  const ref = yield* capThreadCreate(t, entry, s);
  if (typeof ref === 'number') throw new Error(`ring-stale: thread create failed (${ref})`);
  return ref;
}

export const RING_STALE: GuestProgram = {
  image: { name: 'ring-stale', main: ringStaleMain } satisfies ProgramImage,
  doc: 'capring: completions for exited threads whose slots were reused (rejected with thread rings)',
  claims: ['RING-3', 'RING-4'],
  params: [
    { name: 'leavers', kind: 'int', min: 1, max: 32, doc: 'threads that park and exit at once', fallback: 4 },
    { name: 'stayers', kind: 'int', min: 1, max: 32, doc: 'threads that park and wait', fallback: 4 },
  ],
};
