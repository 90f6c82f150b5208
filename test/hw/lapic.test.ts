// The LAPIC (hw/lapic.ts): IRR and ISR, delivery by priority class above the in-service class,
// EOI retiring the highest in-service vector, and IPIs through deliver with their shorthands
// and latencies (SDM vol. 3 §11.6.1, §11.8).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrngDecider } from '../../src/engine/decider.ts';
import { Prng } from '../../src/engine/prng.ts';
import { Board } from '../../src/hw/board.ts';
import { resolveCostModel } from '../../src/hw/cost-model.ts';
import { IPI_ALL, IPI_ALL_BUT_SELF, IPI_SELF } from '../../src/hw/effects.ts';

/** A board nobody boots: its CPUs never run, so their LAPICs can be driven by hand. */
function bareBoard(cpus: number, packages = 1): Board {
  return new Board({
    topology: { cpus, smt: 1, packages, numaNodes: 1, numaRemoteDistance: 20 },
    cpuMhz: 3000,
    memoryBytes: 1 << 24,
    costs: resolveCostModel({}),
    decider: new PrngDecider(new Prng(1)),
  });
}

test('the highest pending vector is taken first and moves from IRR to ISR', () => {
  const lapic = bareBoard(1).cpus[0]!.lapic;
  assert.equal(lapic.intr, false);
  lapic.accept(0x30);
  lapic.accept(0x41);
  lapic.accept(0x41); // edge-triggered: a second arrival before the first is taken merges
  assert.equal(lapic.intr, true);
  assert.equal(lapic.ack(), 0x41);
  assert.equal(lapic.pending(0x41), false);
  assert.equal(lapic.inService, 0x41);
});

test('a vector is delivered only above the in-service class; EOI retires the highest in service', () => {
  const lapic = bareBoard(1).cpus[0]!.lapic;
  lapic.accept(0x30);
  lapic.accept(0x41);
  assert.equal(lapic.ack(), 0x41); // class 4 in service
  assert.equal(lapic.intr, false, '0x30 (class 3) waits below class 4');
  lapic.accept(0x45);
  assert.equal(lapic.intr, false, '0x45 is of the in-service class: it waits too');
  lapic.accept(0x52);
  assert.equal(lapic.intr, true, '0x52 (class 5) nests');
  assert.equal(lapic.ack(), 0x52);
  assert.equal(lapic.inService, 0x52);
  lapic.eoi(); // retires 0x52, 0x41 still in service
  assert.equal(lapic.inService, 0x41);
  assert.equal(lapic.intr, false);
  lapic.eoi(); // retires 0x41
  assert.equal(lapic.inService, -1);
  assert.equal(lapic.intr, true);
  assert.equal(lapic.ack(), 0x45);
  lapic.eoi();
  assert.equal(lapic.ack(), 0x30);
  lapic.eoi();
  assert.equal(lapic.intr, false);
});

test('illegal vectors, acknowledges with nothing deliverable and stray EOIs are refused', () => {
  const lapic = bareBoard(1).cpus[0]!.lapic;
  assert.throws(() => lapic.accept(15), /lapic 0: illegal vector 15/);
  assert.throws(() => lapic.accept(256), /lapic 0: illegal vector 256/);
  assert.throws(() => lapic.ack(), /acknowledge with nothing deliverable/);
  assert.throws(() => lapic.eoi(), /EOI with nothing in service/);
});

test('IPI shorthands reach the right LAPICs, at the same- and cross-package latencies', () => {
  const board = bareBoard(4, 2); // CPUs 0-1 on package 0, 2-3 on package 1
  const arrivals: string[] = [];
  board.engine.observe((kind, cpuId, vector) => {
    if (board.engine.handlerName(kind) === 'irq') arrivals.push(`${board.engine.nowNs}:${cpuId}:${vector}`);
  });
  const { ipiLatencyNs: near, ipiLatencyRemoteNs: far } = board.costs;
  const from = board.cpus[1]!.lapic;
  from.sendIpi(IPI_ALL_BUT_SELF, 0x40);
  from.sendIpi(IPI_SELF, 0x42);
  from.sendIpi(3, 0x41);
  board.engine.run({ simNsMax: Number.POSITIVE_INFINITY, eventsMax: 100 });
  assert.deepEqual(arrivals, [
    `0:1:${0x42}`,
    `${near}:0:${0x40}`,
    `${far}:2:${0x40}`,
    `${far}:3:${0x40}`,
    `${far}:3:${0x41}`,
  ]);
  assert.equal(board.cpus[1]!.lapic.pending(0x40), false, 'all-but-self skipped the sender');
  assert.equal(board.cpus[3]!.lapic.pending(0x41), true);
  const all = bareBoard(2);
  all.cpus[0]!.lapic.sendIpi(IPI_ALL, 0x40);
  all.engine.run({ simNsMax: Number.POSITIVE_INFINITY, eventsMax: 100 });
  assert.equal(all.cpus[0]!.lapic.pending(0x40), true, 'all includes the sender');
  assert.equal(all.cpus[1]!.lapic.pending(0x40), true);
});

test('deliver refuses a destination with no LAPIC', () => {
  const board = bareBoard(2);
  assert.throws(() => board.apic.deliver(2, 0x40, 0), /apic: no LAPIC 2/);
});
