// e1000d's transmit path end to end (services/drivers/e1000d-tx.ts, program e1000-tx; issue 18):
// counts derived from the two drivers' code. On a 100 Mb/s wire (122 720 ns a 1514-byte frame)
// 2 clients x 300 frames fill either ring: Redox's write_packet spins and ignores O_NONBLOCK;
// the e1000_main.c shape answers EAGAIN to a non-blocking write on a full ring, and every frame
// still reaches the wire once. With byte queue limits (dql.ts) the writes wait parked instead of
// behind the ring's 255 frames: the worst write is shorter and the wire still never waits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runConfig } from '../../src/report/run.ts';
import { parseScenario } from '../../src/scenario/load.ts';

function scenario(driver: string, nonblock: number, bql = 0): string {
  const routing = driver === 'redox' ? 'redox' : 'improved';
  const quirks = driver === 'redox' ? 'quirks = ["FORCE_LEGACY"]\n' : '';
  return `name = "t"\nseed = 3\n[machine]\ncpus = 2\n[kernel]\nscheduler = "fair"\nirq_routing = "${routing}"\n[[device]]\nkind = "e1000"\nname = "eth0"\npackets_per_sec = 0\nwire_mbps = 100\n${quirks}[[workload]]\nkind = "program"\nprogram = "e1000-tx"\nclients = 2\nframes = 300\nframe_bytes = 1514\nnonblock = ${nonblock}\nbql = ${bql}\ndriver = "${driver}"\n`;
}

test('transmit: every frame sent once; Redox 2 accesses a frame and no TX interrupt; linux EAGAIN under O_NONBLOCK', () => {
  const redox = runConfig(parseScenario(scenario('redox', 1), 't.toml')).metrics;
  const linux = runConfig(parseScenario(scenario('linux', 1), 't.toml')).metrics;
  const blocking = runConfig(parseScenario(scenario('linux', 0), 't.toml')).metrics;
  for (const m of [redox, linux, blocking]) {
    assert.equal(m['workload.e1000-tx.tx_frames'], 600);
    assert.equal(m['workload.e1000-tx.queued'], 600);
    assert.equal(m['workload.e1000-tx.tx_bytes'], 600 * 1514);
    assert.equal(m['workload.e1000-tx.errors'], 0);
  }
  assert.equal(redox['workload.e1000-tx.mmio'], 2 * 600);
  assert.equal(redox['workload.e1000-tx.tx_interrupts'], 0);
  assert.equal(redox['workload.e1000-tx.eagain'], 0, 'write_packet ignores the flags: it spins');
  assert.ok(redox['workload.e1000-tx.spin_polls']! > 0);
  assert.ok(linux['workload.e1000-tx.eagain']! > 0, 'a full 256-descriptor ring answers EAGAIN');
  assert.equal(blocking['workload.e1000-tx.eagain'], 0);
  assert.equal(linux['workload.e1000-tx.spin_polls'], 0);
  // 100 Mb/s: 600 frames take 600 x 122 720 ns on the wire at least.
  const bytesPerS = linux['workload.e1000-tx.tx_bytes_per_s']!;
  assert.ok(bytesPerS <= Math.ceil((1514 * 1e9) / 122_720), `bytes/s ${bytesPerS}`);
  assert.ok(bytesPerS >= 0.95 * ((1514 * 1e9) / 122_720), `bytes/s ${bytesPerS}`);
});

test('transmit: BQL stops the queue at its byte limit; writes wait less and the wire stays busy', () => {
  const ring = runConfig(parseScenario(scenario('linux', 0, 0), 't.toml')).metrics;
  const bql = runConfig(parseScenario(scenario('linux', 0, 1), 't.toml')).metrics;
  assert.equal(bql['workload.e1000-tx.tx_frames'], 600);
  assert.equal(ring['workload.e1000-tx.bql_stops'], 0);
  assert.ok(bql['workload.e1000-tx.bql_stops']! > 0);
  // 100 Mb/s: an ITR interval (49 920 ns) is under one frame (122 720 ns): a limit of one or two
  // frames keeps the wire busy, far from the ring's 255.
  const limit = bql['workload.e1000-tx.bql_limit']!;
  assert.ok(limit >= 1514 && limit <= 4 * 1514, `limit ${limit}`);
  // The wire never waits: 99% of 100 Mb/s's 1514 bytes a 122 720 ns (wire_share assumes 1 Gb/s).
  const bytesPerS = bql['workload.e1000-tx.tx_bytes_per_s']!;
  assert.ok(bytesPerS >= 0.99 * ((1514 * 1e9) / 122_720), `bytes/s ${bytesPerS}`);
  // Without BQL a parked write waits for 32 descriptors: 31 whole frames and the rest of the one
  // on the wire when the queue stopped (between 31 and 32 x 122 720 ns).
  assert.ok(ring['workload.e1000-tx.max_ns']! >= 31 * 122_720);
  assert.ok(bql['workload.e1000-tx.max_ns']! < ring['workload.e1000-tx.max_ns']! / 4);
});
