// The PIT's channel 2 and port 0x61 (hw/pit-channel2.ts) against the 8254 datasheet's mode 0:
// the count loads on the first CLK edge after it is written, falls one per edge, OUT2 rises when
// it reaches 0, and the counter wraps on from 0xFFFF; reads alternate low byte, high byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { DeviceHost } from '../../src/hw/device.ts';
import {
  NMI_SC_GATE2,
  NMI_SC_OUT2,
  PIT_CH2_MODE0,
  PitChannel2,
  PORT_NMI_SC,
  PORT_PIT_CH2,
  PORT_PIT_CONTROL,
} from '../../src/hw/pit-channel2.ts';
import { PIT_INPUT_HZ } from '../../src/hw/timer.ts';

/** The time of CLK edge `k` on the grid that starts at `phaseNs`. */
const edgeNs = (k: number, phaseNs = 0) => phaseNs + (k * 1e9) / PIT_INPUT_HZ;

function pitAt(phaseNs = 0): { pit: PitChannel2; clock: { nowNs: number } } {
  const clock = { nowNs: 0 };
  const host: DeviceHost = {
    get nowNs() {
      return clock.nowNs;
    },
    setLine: () => {},
    rescheduleTimer: () => {},
  };
  const pit = new PitChannel2(phaseNs);
  pit.attach(host);
  return { pit, clock };
}

function load(pit: PitChannel2, count: number): void {
  pit.portWrite(PORT_NMI_SC, 1, NMI_SC_GATE2);
  pit.portWrite(PORT_PIT_CONTROL, 1, PIT_CH2_MODE0);
  pit.portWrite(PORT_PIT_CH2, 1, count & 0xff);
  pit.portWrite(PORT_PIT_CH2, 1, count >>> 8);
}

function read16(pit: PitChannel2): number {
  const low = pit.portRead(PORT_PIT_CH2, 1);
  return low | (pit.portRead(PORT_PIT_CH2, 1) << 8);
}

const out2 = (pit: PitChannel2) => (pit.portRead(PORT_NMI_SC, 1) & NMI_SC_OUT2) !== 0;

test('mode 0: loaded on the next edge, one count per edge, OUT2 high at terminal count', () => {
  const { pit, clock } = pitAt();
  clock.nowNs = 100; // between edge 0 (0 ns) and edge 1 (838.1 ns): the count loads at edge 1
  load(pit, 1000);
  assert.equal(out2(pit), false, 'the control word drives OUT2 low');
  clock.nowNs = Math.ceil(edgeNs(11)); // 10 edges after the load edge
  assert.equal(read16(pit), 990);
  clock.nowNs = Math.floor(edgeNs(1001)) - 1; // just before the 1000th decrement
  assert.equal(out2(pit), false);
  clock.nowNs = Math.ceil(edgeNs(1001));
  assert.equal(out2(pit), true);
  clock.nowNs = Math.ceil(edgeNs(1006)); // mode 0 keeps counting: 0 then 0xFFFF, 0xFFFE...
  assert.equal(read16(pit), 0x10000 - 5);
  assert.equal(out2(pit), true, 'OUT2 stays high while the counter wraps');
});

test('the clock phase shifts every edge', () => {
  const { pit, clock } = pitAt(500);
  clock.nowNs = 400; // before the grid's edge 0 at 500 ns: loads there
  load(pit, 10);
  clock.nowNs = Math.ceil(edgeNs(3, 500));
  assert.equal(read16(pit), 7);
});

test('what the model does not cover fails loudly', () => {
  const { pit, clock } = pitAt();
  assert.throws(() => pit.portWrite(PORT_PIT_CONTROL, 1, 0x34), /not modelled/); // channel 0, mode 2
  load(pit, 5000);
  clock.nowNs = 10_000;
  assert.throws(() => pit.portWrite(PORT_NMI_SC, 1, 0), /gate 2/);
  assert.throws(() => pit.portRead(PORT_PIT_CH2, 2), /2-byte/);
});

test('property: the counter never rises before terminal count, and OUT2 rises exactly at 0', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 0xffff }),
      fc.integer({ min: 0, max: 837 }),
      fc.array(fc.integer({ min: 0, max: 60_000_000 }), { minLength: 2, maxLength: 30 }),
      (count, phaseNs, times) => {
        const { pit, clock } = pitAt(phaseNs);
        load(pit, count);
        let previous = count;
        // Before the load edge (the first strictly after the write at 0) the old value shows.
        const loadedNs = phaseNs > 0 ? phaseNs : edgeNs(1);
        for (const t of [...times].sort((a, b) => a - b).filter((x) => x >= loadedNs)) {
          clock.nowNs = t;
          const high = out2(pit);
          const value = read16(pit);
          const edges = Math.floor(((t - phaseNs) * PIT_INPUT_HZ) / 1e9); // edges at or before t
          if (!high) {
            assert.ok(value <= previous, `rose from ${previous} to ${value}`);
            previous = value;
          } else {
            assert.ok(edges >= count, 'OUT2 high before `count` edges passed');
          }
        }
      },
    ),
    { numRuns: 200 },
  );
});
