/**
 * `ring-sqpoll` (RING-3, issue 20): traps per operation and time per operation with and without
 * an SQ poller on the ring. The program submits `ops` NOPs one after another. Without SQPOLL each
 * is a cap_enter (submit and wait). With SQPOLL (`sqpoll = "on"`) it only writes the SQ tail and
 * polls the CQ in user mode; it enters the kernel only when the poller has gone idle and set
 * NEED_WAKEUP (then with CAP_ENTER_SQ_WAKEUP), as a liburing user does (io_uring_submit checks
 * IORING_SQ_NEED_WAKEUP after the tail store). `gap_cycles` of compute between operations longer
 * than the poller's idle time (`sqpollIdleNs`) make every operation a wakeup.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import {
  CAP_ENTER_SQ_WAKEUP,
  CAP_NO_TIMEOUT,
  CapOp,
  CapSlot,
  RING_SQ_FLAGS,
  RING_SQ_NEED_WAKEUP,
} from '../abi/capring.ts';
import { capCall, capEnter, capSetup, ringOf } from '../libc/capring/call.ts';
import { cqReady, pushSqe, reapCqe } from '../libc/capring/ring.ts';
import { capClockNs } from '../libc/capring/thread.ts';
import { publish } from './common.ts';
import { type GuestProgram, intArg, type ProgramArgs, stringArg } from './program.ts';

/** One user-mode look at the CQ while polling it. */
const CQ_POLL_CYCLES = 200;

function* ringSqpollMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const ops = intArg(args, 'ops');
  const gapCycles = intArg(args, 'gap_cycles');
  const polled = stringArg(args, 'sqpoll') === 'on';
  if ((yield* capSetup(t)) < 0) throw new Error('ring-sqpoll: this program needs [kernel] abi = "capring"');
  if (polled) {
    const r = yield* capCall(t, CapOp.SqpollStart, CapSlot.Threads, []);
    if (r.result !== 0) throw new Error(`ring-sqpoll: SqpollStart failed (${r.result})`);
  }
  const ring = ringOf(t);
  let enters = 0;
  let wakeups = 0;
  const t0 = yield* capClockNs(t);
  for (let i = 0; i < ops; i++) {
    if (gapCycles > 0) yield t.compute(gapCycles);
    if (!pushSqe(t, ring, CapOp.Nop, CapSlot.Timer, [], 0x8000_0000 + i))
      throw new Error('ring-sqpoll: SQ full');
    if (!polled) {
      enters++;
      yield* capEnter(t, 1, CAP_NO_TIMEOUT);
    } else {
      if ((t.load32(ring + RING_SQ_FLAGS) & RING_SQ_NEED_WAKEUP) !== 0) {
        enters++;
        wakeups++;
        yield* capEnter(t, 0, 0, -1, CAP_ENTER_SQ_WAKEUP);
      }
      while (cqReady(t, ring) === 0) yield t.compute(CQ_POLL_CYCLES);
    }
    const cqe = reapCqe(t, ring);
    if (cqe === null || cqe.userData !== 0x8000_0000 + i)
      throw new Error(`ring-sqpoll: lost completion ${i}`);
  }
  const elapsedNs = (yield* capClockNs(t)) - t0;
  if (polled) yield* capCall(t, CapOp.SqpollStop, CapSlot.Threads, []);
  publish(t, 'ring-sqpoll', {
    ops,
    enters,
    wakeups,
    entersPerOp: enters / ops,
    elapsedNs,
    nsPerOp: Math.round(elapsedNs / ops),
  });
  return 0;
}

export const RING_SQPOLL: GuestProgram = {
  image: { name: 'ring-sqpoll', main: ringSqpollMain } satisfies ProgramImage,
  doc: 'capring: traps and time per operation with and without an SQ poller (SQPOLL, NEED_WAKEUP)',
  claims: ['RING-3'],
  params: [
    { name: 'ops', kind: 'int', min: 1, max: 100_000, doc: 'NOP operations, one at a time', fallback: 200 },
    {
      name: 'gap_cycles',
      kind: 'int',
      min: 0,
      max: 100_000_000,
      doc: 'compute between operations (past the poller idle time: a wakeup each)',
      fallback: 0,
    },
    {
      name: 'sqpoll',
      kind: 'choice',
      choices: ['on', 'off'],
      doc: 'put the ring in SQPOLL mode',
      fallback: 'on',
    },
  ],
};
