// The kernel's vector table (kernel/irq.ts): one handler per vector, the kernel's own vectors
// registered at construction, EOI before the handler, and spurious counting for the rest.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { VectorTable } from '../../src/kernel/irq.ts';
import {
  VEC_IPI_PIT,
  VEC_IPI_SWITCH,
  VEC_IPI_TLB,
  VEC_IPI_WAKEUP,
  VEC_LAPIC_TIMER,
  VEC_PIT,
} from '../../src/hw/vectors.ts';
import { bootGuest } from '../support/guest.ts';

function* computeMs(t: Guest): Program<number> {
  for (let i = 0; i < 10; i++) yield t.compute(300_000);
  return 0;
}

test('a vector takes one handler, inside the LAPIC range', () => {
  const table = new VectorTable();
  const none = () => null;
  table.register(0x60, 'first', none);
  assert.throws(() => table.register(0x60, 'second', none), /irq: vector 0x60 already has first/);
  assert.throws(() => table.register(15, 'low', none), /irq: vector 15 outside 16\.\.255/);
  assert.throws(() => table.register(256, 'high', none), /irq: vector 256 outside 16\.\.255/);
  table.unregister(0x60);
  assert.equal(table.handler(0x60), null);
  table.register(0x60, 'second', none);
  assert.equal(table.name(0x60), 'second');
});

test('the kernel registers its timer and IPI vectors', () => {
  const { kernel } = bootGuest(computeMs, null, { cpus: 1 });
  const names = [VEC_PIT, VEC_IPI_PIT, VEC_LAPIC_TIMER, VEC_IPI_WAKEUP, VEC_IPI_TLB, VEC_IPI_SWITCH].map(
    (v) => kernel.irq.name(v),
  );
  assert.deepEqual(names, ['pit', 'ipi-pit', 'lapic-timer', 'ipi-wakeup', 'ipi-tlb', 'ipi-switch']);
  assert.equal(kernel.irq.handler(0x99), null);
});

test('an interrupt on a vector with no handler is EOId and counted spurious', () => {
  const machine = bootGuest(computeMs, null, { cpus: 2, costs: { computeJitterPpm: 0 } });
  const { board, kernel } = machine;
  board.apic.deliver(1, 0x99, 50_000);
  board.engine.run({ simNsMax: 1_000_000_000, eventsMax: 100_000 });
  assert.equal(kernel.finished, true);
  assert.equal(kernel.stats.spuriousInterrupts, 1);
  assert.equal(board.cpus[1]!.lapic.inService, -1);
  assert.equal(board.cpus[1]!.lapic.pending(0x99), false);
});

test('the handler runs after the EOI: a vector of its own class arriving meanwhile is taken next', () => {
  const machine = bootGuest(computeMs, null, { cpus: 2, costs: { computeJitterPpm: 0, cpuSkewPpm: 0 } });
  const { board, kernel } = machine;
  const seen: [number, number, number][] = [];
  for (const vector of [0x90, 0x91]) {
    kernel.irq.register(vector, `test-${vector}`, (_k, cpu, v) => {
      seen.push([v, cpu.lapic.inService, board.engine.nowNs]);
      return null;
    });
  }
  board.apic.deliver(1, 0x90, 100_000);
  board.apic.deliver(1, 0x91, 100_001); // arrives while CPU 1 wakes for 0x90
  board.engine.run({ simNsMax: 1_000_000_000, eventsMax: 100_000 });
  const { idleWakeNs, irqEntryNs } = board.costs;
  // Both are class 9: 0x91 is taken first (highest vector) once the CPU has left `hlt`; 0x90
  // follows at the next window, after 0x91's EOI. Neither handler sees anything in service.
  const first = 100_000 + idleWakeNs + irqEntryNs;
  assert.equal(seen.length, 2);
  assert.deepEqual(seen[0], [0x91, -1, first]);
  assert.equal(seen[1]![0], 0x90);
  assert.equal(seen[1]![1], -1);
  assert.ok(seen[1]![2] >= first + irqEntryNs);
});
