/**
 * `e1000-tx` (issue 18): client processes transmit frames through e1000d's `network.eth0_e1000`
 * scheme, as a Redox network stack writes them to its driver. The driver process brings eth0 up
 * (its receive ring as in e1000-net, no arrivals) and its transmit ring (services/drivers/
 * e1000d-tx.ts: `driver = "redox"`, e1000d as found, or `"linux"`), registers the scheme, forks
 * `clients` clients (client c on CPU c mod cpus) and serves until every client closed its
 * handle, then waits until the NIC's head reaches the tail (every frame on the wire) and reads
 * the statistics registers. Each client opens the data handle and writes `frames` frames of
 * `frame_bytes` (the first word: client << 20 | frame number), timing each write() call (with
 * `nonblock = 1` the handle is O_NONBLOCK and an EAGAIN write is retried 20 us later; `bql = 0`
 * turns the linux driver's byte queue limits off).
 * Publishes `tx_frames` (GPTC: frames the NIC sent), `tx_bytes` (GOTC), `queued` (frames the driver
 * put in descriptors), `tx_bytes_per_s` and `tx_frames_per_s` (from the first frame queued to the
 * last one's end on the wire), `wire_share_x1000` (the wire's busy share then), `tx_interrupts`,
 * `p50_ns`/`p99_ns`/`max_ns` (a write() call's time in the client), `mmio` (driver register
 * accesses while serving), `spin_polls` (redox: status looks while the ring was full), `eagain`,
 * `errors`, `irq_mode`, and with BQL `bql_limit` (the limit at the end, bytes) and `bql_stops`.
 */
import type { Program } from '../abi/effects.ts';
import * as E from '../abi/e1000-regs.ts';
import { EAGAIN } from '../abi/errno.ts';
import { O_NONBLOCK, O_RDWR } from '../abi/fd.ts';
import { errno } from '../libc/errno.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { MAP_SHARED } from '../abi/syscalls.ts';
import { onlineCpus } from '../services/drivers/function.ts';
import { mmioRead } from '../services/drivers/bar.ts';
import { fork } from '../libc/fork.ts';
import { close, open, write } from '../libc/io.ts';
import { waitpid } from '../libc/process.ts';
import { sched_setaffinity_cpus } from '../libc/sched.ts';
import { mmap_anonymous } from '../libc/sys.ts';
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import { openNic, reg } from '../services/drivers/e1000d.ts';
import {
  LINUX_RX_DESCRIPTORS,
  linuxServe,
  type NetDriverMode,
  newNetStats,
  REDOX_RX_DESCRIPTORS,
  type RingGate,
  redoxServe,
} from '../services/drivers/e1000d-net.ts';
import {
  LINUX_TX_DESCRIPTORS,
  openTx,
  REDOX_TX_DESCRIPTORS,
  txDrained,
} from '../services/drivers/e1000d-tx.ts';
import { irqClose } from '../services/drivers/irq-handle.ts';
import { netSchemeCreate } from '../services/drivers/net-scheme.ts';
import { latencySummary, publish } from './common.ts';
import { type GuestProgram, intArg, type ProgramArgs, stringArg } from './program.ts';

const NAME = 'e1000-tx';
const NET_SCHEME = 'network.eth0_e1000';
const LINUX_ITR = 195;
/** Shared-page words: [0] errors, then one write latency per frame. */
const ERRORS = 0;
const LATENCIES = 16;
const DRAIN_POLL_NS = 10_000;
/** The wire share assumes the default link rate (the guest cannot read wire_mbps). */
const WIRE_MBPS = 1000;
const EAGAIN_RETRY_NS = 20_000;

interface TxArgs {
  clients: number;
  framesEach: number;
  frameBytes: number;
  driver: NetDriverMode;
  clientCycles: number;
  nonblock: boolean;
  bql: boolean;
}

function* client(t: Guest, a: TxArgs, c: number, cpu: number, shared: number): Program<number> {
  yield* sched_setaffinity_cpus(t, 0, [cpu]);
  const buf = yield* mmap_anonymous(t, 4096);
  const fd = yield* open(t, `${NET_SCHEME}:`, O_RDWR | (a.nonblock ? O_NONBLOCK : 0));
  if (fd < 0) throw new Error(`${NAME}: open ${NET_SCHEME}: failed`);
  for (let i = 0; i < a.framesEach; i++) {
    t.store32(buf, ((c << 20) | i) >>> 0);
    const startNs = yield* clock_gettime_ns(t);
    let n = yield* write(t, fd, buf, a.frameBytes);
    while (n < 0 && errno(t) === EAGAIN) {
      yield* sleep_ns(t, EAGAIN_RETRY_NS); // the ring is full: try again later
      n = yield* write(t, fd, buf, a.frameBytes);
    }
    const endNs = yield* clock_gettime_ns(t);
    if (n !== a.frameBytes) t.store32(shared + ERRORS, t.load32(shared + ERRORS) + 1);
    t.store32(shared + LATENCIES + 4 * (c * a.framesEach + i), endNs - startNs);
    if (a.clientCycles > 0) yield t.compute(a.clientCycles);
  }
  yield* close(t, fd);
  return 0;
}

function txArgsOf(raw: unknown): TxArgs {
  const args = raw as ProgramArgs;
  return {
    clients: intArg(args, 'clients'),
    framesEach: intArg(args, 'frames'),
    frameBytes: intArg(args, 'frame_bytes'),
    driver: stringArg(args, 'driver') as NetDriverMode,
    clientCycles: intArg(args, 'client_cycles'),
    nonblock: intArg(args, 'nonblock') === 1,
    bql: intArg(args, 'bql') === 1,
  };
}

function* txMain(t: Guest, raw: unknown): Program<number> {
  const a = txArgsOf(raw);
  const redox = a.driver === 'redox';
  const shared = yield* mmap_anonymous(t, LATENCIES + 4 * a.clients * a.framesEach, MAP_SHARED);
  const scratch = yield* mmap_anonymous(t, 4096);
  const nic = yield* openNic(
    t,
    'eth0',
    redox ? 0 : LINUX_ITR,
    scratch,
    redox ? REDOX_RX_DESCRIPTORS : LINUX_RX_DESCRIPTORS,
  );
  yield* reg(t, nic.bar, E.E1000_RDLEN, 0);
  const txCount = redox ? REDOX_TX_DESCRIPTORS : LINUX_TX_DESCRIPTORS;
  const tx = yield* openTx(t, nic.dev, nic.bar, txCount, scratch, !redox, !redox && a.bql);
  const mac = new Uint8Array(6);
  const s = yield* netSchemeCreate(t, NET_SCHEME, mac, a.clients + 4, redox ? O_NONBLOCK : 0);
  const cpus = yield* onlineCpus(t);
  const g: RingGate = { clients: a.clients, enabled: false, missedBefore: 0, atNs: 0 };
  const pids: number[] = [];
  for (let c = 0; c < a.clients; c++) pids.push(yield* fork(t, (x) => client(x, a, c, c % cpus, shared)));
  const st = newNetStats();
  let join: (() => Program<void>) | null = null;
  if (redox) yield* redoxServe(t, s, nic, st, g, tx);
  else join = (yield* linuxServe(t, s, nic, st, g, 1024, tx)).join;
  while (!(yield* txDrained(t, tx))) yield* sleep_ns(t, DRAIN_POLL_NS);
  const lastNs = yield* clock_gettime_ns(t);
  const txFrames = yield* mmioRead(t, nic.bar, E.E1000_GPTC);
  const low = (yield* mmioRead(t, nic.bar, E.E1000_GOTCL)) >>> 0;
  const txBytes = low + (yield* mmioRead(t, nic.bar, E.E1000_GOTCH)) * 2 ** 32;
  yield* reg(t, nic.bar, E.E1000_IMC, 0xffff_ffff);
  yield* reg(t, nic.bar, E.E1000_TCTL, 0);
  yield* irqClose(t, nic.handle);
  if (join !== null) yield* join();
  for (const pid of pids) yield* waitpid(t, pid);
  const all = Array.from(
    { length: a.clients * a.framesEach },
    (_, i) => t.load32(shared + LATENCIES + 4 * i) >>> 0,
  );
  const { samples: _samples, ...latency } = latencySummary(all, [50, 99], false);
  const elapsedNs = Math.max(1, lastNs - tx.firstNs);
  const wireNs = txFrames * Math.ceil(((a.frameBytes + E.WIRE_OVERHEAD_BYTES) * 8 * 1000) / WIRE_MBPS);
  const irqMode = nic.irqMode;
  publish(t, NAME, {
    txFrames,
    txBytes,
    queued: tx.queued,
    txBytesPerS: Math.round((txBytes * 1e9) / elapsedNs),
    txFramesPerS: Math.round((txFrames * 1e9) / elapsedNs),
    wireShareX1000: Math.round((1000 * wireNs) / elapsedNs),
    txInterrupts: st.interrupts,
    ...latency,
    mmio: st.mmio,
    spinPolls: tx.spins,
    eagain: tx.eagain,
    errors: t.load32(shared + ERRORS),
    irqMode,
    bqlLimit: tx.dql?.limit ?? 0,
    bqlStops: tx.dql?.stops ?? 0,
  });
  return 0;
}

export const E1000_TX: GuestProgram = {
  image: { name: NAME, main: txMain } satisfies ProgramImage,
  doc: "client processes transmitting frames through e1000d's network.eth0_e1000 scheme",
  claims: ['HW-10'],
  params: [
    {
      name: 'clients',
      kind: 'int',
      min: 1,
      max: 32,
      fallback: 4,
      doc: 'client processes, client c on CPU c mod cpus',
    },
    { name: 'frames', kind: 'int', min: 1, max: 100_000, fallback: 500, doc: 'frames each client writes' },
    { name: 'frame_bytes', kind: 'int', min: 60, max: 1514, fallback: 1514, doc: 'bytes per frame (no FCS)' },
    {
      name: 'driver',
      kind: 'choice',
      choices: ['linux', 'redox'],
      fallback: 'linux',
      doc: 'e1000d as found (redox) or e1000_main.c-shaped (linux)',
    },
    {
      name: 'nonblock',
      kind: 'int',
      min: 0,
      max: 1,
      fallback: 0,
      doc: '1: clients open the handle O_NONBLOCK and retry an EAGAIN write after 20 us',
    },
    {
      name: 'bql',
      kind: 'int',
      min: 0,
      max: 1,
      fallback: 1,
      doc: "1: the linux driver's byte queue limits (dql.ts); 0: the ring's descriptors only. Redox has none",
    },
    {
      name: 'client_cycles',
      kind: 'int',
      min: 0,
      max: 10_000_000,
      fallback: 0,
      doc: 'work between writes in a client',
    },
  ],
};
