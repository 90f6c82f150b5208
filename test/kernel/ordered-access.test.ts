// The ordered Load/Store/Fence effects (issue 17) on the machine's CPUs: sequentially
// consistent, so a store is seen by the next load at once, and each access costs what an
// atomic load or store costs (a fence costs nothing: there is no store buffer to drain).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AtomicOp, MemOrder } from '../../src/abi/effects.ts';
import { runGuest } from '../support/guest.ts';

function endNs(ordered: boolean, fence: boolean): { endNs: number; seen: number } {
  let seen = -1;
  const run = runGuest(function* (t) {
    const addr = t.stackTop - 64;
    if (ordered) yield t.store(addr, 41, MemOrder.Release);
    else yield t.atomic(AtomicOp.Store, addr, 41);
    if (fence) yield t.fence(MemOrder.SeqCst);
    seen = (yield ordered ? t.load(addr, MemOrder.Acquire) : t.atomic(AtomicOp.Load, addr)) as number;
    return 0;
  }, null);
  assert.equal(run.kernel.finished, true);
  return { endNs: run.board.engine.nowNs, seen };
}

test('an ordered store is read back by an ordered load, at the cost of the atomic ones', () => {
  const ordered = endNs(true, false);
  const atomic = endNs(false, false);
  assert.equal(ordered.seen, 41);
  assert.equal(atomic.seen, 41);
  assert.equal(ordered.endNs, atomic.endNs);
});

test('a fence costs nothing on the sequentially consistent machine', () => {
  assert.equal(endNs(true, true).endNs, endNs(true, false).endNs);
});
