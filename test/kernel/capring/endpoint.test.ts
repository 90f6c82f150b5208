// Endpoints' end and capability transfer (issue 20): a server's exit completes its callers' taken
// and queued calls with -EPIPE and frees its endpoint (none live at the end of the run); a later
// call by the old id is -EPIPE, never the slot's newer endpoint (generation check); CallGrant
// hands a held endpoint to the server, and a grant of one not held is refused with -EBADF.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import { EBADF, EPIPE } from '../../../src/abi/errno.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import { CapOp, CapSlot } from '../../../src/abi/capring.ts';
import { endpointCensus, endpointRef } from '../../../src/kernel/capring/endpoint.ts';
import { capringIfAny } from '../../../src/kernel/capring/state.ts';
import { capAwait, capSetup, capSubmit } from '../../../src/libc/capring/call.ts';
import {
  capEndpointCall,
  capEndpointCallGrant,
  capEndpointCreate,
  capEndpointRecv,
  capEndpointReturn,
  capSpawn,
  capWait,
} from '../../../src/libc/capring/thread.ts';
import { runGuest } from '../../support/guest.ts';

/** The server: an endpoint of its own, granted to its parent in a call; takes one call, exits unanswered. */
function* server(g: Guest, raw: unknown): Program<number> {
  const parentEp = raw as number;
  yield* capSetup(g);
  const mine = yield* capEndpointCreate(g);
  assert.deepEqual(yield* capEndpointCallGrant(g, parentEp, 5, mine), [0, 0]);
  const [callId, word] = yield* capEndpointRecv(g, mine);
  assert.ok(callId > 0 && word === 100, `took call ${callId} with ${word}`);
  return 0;
}

test('a server that exits: its calls complete -EPIPE, its slot is freed, the old id never reaches the new endpoint', () => {
  const got: Record<string, number | number[]> = {};
  const run = runGuest(
    function* (t) {
      yield* capSetup(t);
      const ep0 = yield* capEndpointCreate(t);
      const pid = yield* capSpawn(t, 'server', server, ep0);
      const [callId, word, granted] = yield* capEndpointRecv(t, ep0);
      got.word = word;
      got.refused = (yield* capEndpointCallGrant(t, ep0, 1, 9999))[0]; // 9999: held by no one
      assert.equal(yield* capEndpointReturn(t, callId, 0, 0), 0);
      const a = yield* capSubmit(t, CapOp.Call, CapSlot.Endpoints, [granted, 100]);
      const b = yield* capSubmit(t, CapOp.Call, CapSlot.Endpoints, [granted, 200]);
      got.pending = [(yield* capAwait(t, a)).result, (yield* capAwait(t, b)).result];
      yield* capWait(t, pid);
      got.later = (yield* capEndpointCall(t, granted, 1))[0];
      const reused = yield* capEndpointCreate(t);
      got.sameSlot = endpointRef(reused).slot === endpointRef(granted).slot ? 1 : 0;
      got.newer = endpointRef(reused).generation - endpointRef(granted).generation;
      got.stale = (yield* capEndpointCall(t, granted, 1))[0];
      got.granted = granted;
      return 0;
    },
    null,
    { cpus: 2, capring: { rings: 'thread' } },
  );
  assert.equal(got.word, 5);
  assert.ok((got.granted as number) > 0, 'the server’s endpoint came with its call');
  assert.equal(got.refused, -EBADF);
  assert.deepEqual(got.pending, [-EPIPE, -EPIPE]); // one taken and unanswered, one queued
  assert.equal(got.later, -EPIPE);
  assert.equal(got.sameSlot, 1);
  assert.equal(got.newer, 1);
  assert.equal(got.stale, -EPIPE);
  const cs = capringIfAny(run.kernel)!;
  assert.equal(cs.counts.grants, 1);
  assert.equal(cs.counts.grantsRefused, 1);
  assert.equal(cs.counts.callsFailedEpipe, 4);
  // The server's endpoint, then the root's two at its exit: nothing left open or in flight.
  assert.equal(cs.counts.endpointsClosed, 3);
  assert.deepEqual(endpointCensus(cs), { live: 0, inFlight: 0 });
});
