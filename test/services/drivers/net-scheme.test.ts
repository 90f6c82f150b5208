// e1000d's network scheme (services/drivers/net-scheme.ts, e1000d-net.ts; issue 18): what a
// client gets for each call (Redox's driver-network semantics), and the two driver shapes end to
// end with counts derived from their code: Redox's loop makes two register accesses per frame
// and one per interrupt; no frame is delivered twice; the NAPI shape loses none at this rate.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import { EACCES, EAGAIN, EINVAL, ENOTSUP } from '../../../src/abi/errno.ts';
import { O_NONBLOCK, O_RDWR, S_IFREG, STAT_MODE, STAT_SIZE } from '../../../src/abi/fd.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import { MAP_SHARED } from '../../../src/abi/syscalls.ts';
import { errno } from '../../../src/libc/errno.ts';
import { fork } from '../../../src/libc/fork.ts';
import { close, fstat, open, read, write } from '../../../src/libc/io.ts';
import { getBytes } from '../../../src/libc/io-bytes.ts';
import { setuid } from '../../../src/libc/proc-handles.ts';
import { waitpid } from '../../../src/libc/process.ts';
import { pthread_create, pthread_join } from '../../../src/libc/pthread.ts';
import { mmap_anonymous } from '../../../src/libc/sys.ts';
import { sleep_ns } from '../../../src/libc/time.ts';
import { runConfig } from '../../../src/report/run.ts';
import { parseScenario } from '../../../src/scenario/load.ts';
import {
  netHandle,
  netNextRequest,
  netSchemeCreate,
  netServeBlocked,
  type NetScheme,
} from '../../../src/services/drivers/net-scheme.ts';
import { runGuest } from '../../support/guest.ts';

const NAME = 'network.test';
const MAC = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);

/** The client's results in order (-errno for a failed call), into the shared page. */
function* client(t: Guest, shared: number): Program<number> {
  const out: number[] = [];
  const res = (r: number) => (r < 0 ? -errno(t) : r);
  const buf = yield* mmap_anonymous(t, 4096);
  out.push(res(yield* open(t, `${NAME}:bogus`, O_RDWR)));
  const mac = yield* open(t, `${NAME}:mac`, O_RDWR);
  out.push(res(yield* read(t, mac, buf, 16)));
  out.push(getBytes(t, buf, 6).every((b, i) => b === MAC[i]) ? 1 : 0);
  out.push(res(yield* read(t, mac, buf, 16))); // at offset 6: nothing left
  out.push(res(yield* fstat(t, mac, buf + 1024)));
  out.push(t.load32(buf + 1024 + STAT_MODE), t.load32(buf + 1024 + STAT_SIZE));
  out.push(res(yield* write(t, mac, buf, 6)));
  const nb = yield* open(t, `${NAME}:`, O_RDWR | O_NONBLOCK);
  out.push(res(yield* read(t, nb, buf, 2048))); // no frame yet
  const fd = yield* open(t, `${NAME}:`, O_RDWR);
  out.push(res(yield* read(t, fd, buf, 2048))); // parked until the driver's frame
  out.push(t.load32(buf));
  out.push(res(yield* read(t, fd, buf, 100))); // cut to the reader's length
  out.push(res(yield* write(t, fd, buf, 64))); // this driver gives no transmit ring
  for (const f of [mac, nb, fd]) yield* close(t, f);
  for (const [i, v] of out.entries()) t.store32(shared + 4 * i, v);
  yield* setuid(t, 1000);
  t.store32(shared + 4 * out.length, res(yield* open(t, `${NAME}:`, O_RDWR)) >>> 0);
  return 0;
}

function frame(seq: number, len: number): Uint8Array {
  const f = new Uint8Array(len);
  new DataView(f.buffer).setUint32(0, seq, true);
  return f;
}

test('network scheme: open, mac, fstat, EAGAIN, a parked read answered by a later frame, EOPNOTSUPP, EACCES', () => {
  const results: number[] = [];
  runGuest(
    function* (t) {
      const shared = yield* mmap_anonymous(t, 4096, MAP_SHARED);
      const s: NetScheme = yield* netSchemeCreate(t, NAME, MAC, 8, 0);
      const frames: Uint8Array[] = [];
      const take = function* () {
        return frames.shift() ?? null;
      };
      const pid = yield* fork(t, (g) => client(g, shared));
      // A second thread brings two frames 200 us on, as the receive thread would.
      const [, rx] = yield* pthread_create(
        t,
        null,
        function* (g) {
          yield* sleep_ns(g, 200_000);
          frames.push(frame(7, 1514), frame(8, 1514));
          yield* netServeBlocked(g, s, take);
          return 0;
        },
        null,
      );
      while (s.closed < 2) {
        const req = yield* netNextRequest(t, s);
        if (req === null) break;
        yield* netHandle(t, s, req, take);
      }
      yield* pthread_join(t, rx);
      // The EACCES open comes after the closes: serve it too.
      const last = yield* netNextRequest(t, s);
      if (last !== null) yield* netHandle(t, s, last, take);
      yield* waitpid(t, pid);
      for (let i = 0; i < 14; i++) results.push(t.load32(shared + 4 * i) | 0);
      return 0;
    },
    null,
    { cpus: 2 },
  );
  assert.deepEqual(results, [
    -EINVAL, // another path
    6, // the MAC handle: 6 bytes
    1, // ... the address given
    0, // at offset 6, nothing more
    0, // fstat
    S_IFREG | 0o400,
    6,
    -EINVAL, // a write to the MAC handle
    -EAGAIN, // O_NONBLOCK with no frame
    1514, // a blocking read parked until the frame came
    7, // ... that frame
    100, // the next frame, cut to the reader's 100 bytes
    -ENOTSUP, // a driver without a transmit ring (no send)
    -EACCES, // a caller other than root
  ]);
});

function scenario(driver: string, extra = ''): string {
  return `name = "t"\nseed = 3\n[machine]\ncpus = 4\n[kernel]\nscheduler = "fair"\nirq_routing = "${driver === 'redox' ? 'redox' : 'improved'}"\n[[device]]\nkind = "e1000"\nname = "eth0"\npackets_per_sec = 50000\n${extra}\n[[workload]]\nkind = "program"\nprogram = "e1000-net"\nclients = 2\nframes = 60\ndriver = "${driver}"\n`;
}

test('network scheme: both driver shapes deliver every read one frame, none twice; Redox pays 2 register accesses a frame', () => {
  const redox = runConfig(parseScenario(scenario('redox', 'quirks = ["FORCE_LEGACY"]'), 't.toml')).metrics;
  const linux = runConfig(parseScenario(scenario('linux'), 't.toml')).metrics;
  for (const m of [redox, linux]) {
    assert.equal(m['workload.e1000-net.frames'], 120);
    assert.equal(m['workload.e1000-net.duplicates'], 0);
    assert.equal(m['workload.e1000-net.errors'], 0);
    assert.equal(m['workload.e1000-net.mac_ok'], 1);
  }
  // read_packet: RDT write + read back per frame; irq(): one ICR read per interrupt.
  assert.equal(redox['workload.e1000-net.mmio'], 2 * 120 + redox['workload.e1000-net.interrupts']!);
  assert.equal(redox['workload.e1000-net.irq_mode'], 0, 'INTx');
  assert.equal(redox['irq.bsp_handler_share'], 1);
  // NAPI: an ICR read per interrupt and at most one tail write per interrupt's batches.
  const interrupts = linux['workload.e1000-net.interrupts']!;
  assert.ok(
    linux['workload.e1000-net.mmio']! <= 2 * interrupts + 2,
    `mmio ${linux['workload.e1000-net.mmio']}`,
  );
  assert.equal(linux['workload.e1000-net.missed'], 0);
  // ITR 195 (49.9 us): at most one interrupt per gap over the run.
  const elapsedNs = linux['workload.e1000-net.elapsed_ns']!;
  assert.ok(
    interrupts <= Math.ceil(elapsedNs / (195 * 256)) + 1,
    `${interrupts} interrupts in ${elapsedNs} ns`,
  );
});
