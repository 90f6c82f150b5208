/**
 * `e1000-net` (issue 18, HW-10, K21): received frames reach client processes through e1000d's
 * `network.eth0_e1000` scheme (services/drivers/net-scheme.ts), as a Redox network stack reads
 * them from its driver. The driver process brings eth0 up, reads its MAC address (RAL0/RAH0),
 * registers the scheme, forks `clients` client processes (client c pinned to CPU c mod cpus) and
 * serves until every client closed its handle (services/drivers/e1000d-net.ts: `driver =
 * "redox"`, e1000d as found, or `"linux"`, NAPI's shape). Client 0 first reads the MAC handle.
 * Each client opens the data handle and reads `frames` frames, one per read, timing each from
 * the NIC's arrival stamp in the frame to the read's return, and spends `client_cycles` on it.
 *
 * The driver gives the NIC its ring once every client has its data handle. Publishes `frames`
 * (delivered), `timed` and `p50_ns`/`p99_ns`/`max_ns` (arrival to the client's read), `elapsed_ns`
 * and `fps` (frames per second delivered, from the ring's start), `missed` (the NIC's MPC since
 * then: frames lost with the ring full), `interrupts`, `interrupts_per_s`, `mmio`
 * (driver register accesses while serving), `queue_drops`, `duplicates` (a frame delivered
 * twice: always 0), `blocked_max` (reads parked at once), `mac_ok`, `errors` and `irq_mode`.
 */
import type { Program } from '../abi/effects.ts';
import * as E from '../abi/e1000-regs.ts';
import { O_NONBLOCK, O_RDONLY, O_RDWR } from '../abi/fd.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { MAP_SHARED } from '../abi/syscalls.ts';
import { onlineCpus } from '../services/drivers/function.ts';
import { mmioRead } from '../services/drivers/bar.ts';
import { fork } from '../libc/fork.ts';
import { close, open, read } from '../libc/io.ts';
import { getBytes, putBytes } from '../libc/io-bytes.ts';
import { waitpid } from '../libc/process.ts';
import { sched_setaffinity_cpus } from '../libc/sched.ts';
import { mmap_anonymous } from '../libc/sys.ts';
import { clock_gettime_ns } from '../libc/time.ts';
import { openNic, reg } from '../services/drivers/e1000d.ts';
import {
  LINUX_RX_DESCRIPTORS,
  linuxServe,
  type NetDriverMode,
  newNetStats,
  type RingGate,
  REDOX_RX_DESCRIPTORS,
  redoxServe,
} from '../services/drivers/e1000d-net.ts';
import { irqClose } from '../services/drivers/irq-handle.ts';
import { NET_FRAME_MAX, netSchemeCreate } from '../services/drivers/net-scheme.ts';
import { latencySummary, publish } from './common.ts';
import { type GuestProgram, intArg, type ProgramArgs, stringArg } from './program.ts';

const NAME = 'e1000-net';
const NIC = 'eth0';
export const NET_SCHEME = `network.${NIC}_e1000`;
/** Linux's ITR for the low_latency class: 20 000 interrupts/s (models-2.md §8.7). */
const LINUX_ITR = 195;
/** Shared-page words: [0] errors, [4..9] the MAC client 0 read, then one latency per frame. */
const ERRORS = 0;
const MAC_AT = 4;
const LATENCIES = 16;
const UNTIMED = 0xffff_ffff;

interface NetArgs {
  clients: number;
  reads: number;
  driver: NetDriverMode;
  clientCycles: number;
  queueMax: number;
}

function* client(t: Guest, a: NetArgs, c: number, cpu: number, shared: number): Program<number> {
  yield* sched_setaffinity_cpus(t, 0, [cpu]);
  const buf = yield* mmap_anonymous(t, NET_FRAME_MAX);
  const fail = () => t.store32(shared + ERRORS, t.load32(shared + ERRORS) + 1);
  if (c === 0) {
    const mfd = yield* open(t, `${NET_SCHEME}:mac`, O_RDONLY);
    if (mfd < 0 || (yield* read(t, mfd, buf, 6)) !== 6) fail();
    putBytes(t, shared + MAC_AT, getBytes(t, buf, 6));
    if (mfd >= 0) yield* close(t, mfd);
  }
  const fd = yield* open(t, `${NET_SCHEME}:`, O_RDWR);
  if (fd < 0) throw new Error(`${NAME}: open ${NET_SCHEME}: failed`);
  for (let i = 0; i < a.reads; i++) {
    const n = yield* read(t, fd, buf, NET_FRAME_MAX);
    const nowLow = (yield* clock_gettime_ns(t)) >>> 0;
    if (n < 8) fail();
    const latencyNs = n >= 8 ? (nowLow - (t.load32(buf + 4) >>> 0)) >>> 0 : UNTIMED;
    t.store32(shared + LATENCIES + 4 * (c * a.reads + i), latencyNs);
    if (a.clientCycles > 0) yield t.compute(a.clientCycles);
  }
  yield* close(t, fd);
  return 0;
}

function* macOf(t: Guest, bar: number): Program<Uint8Array> {
  const low = (yield* mmioRead(t, bar, E.E1000_RAL0)) >>> 0;
  const high = (yield* mmioRead(t, bar, E.E1000_RAH0)) >>> 0;
  return Uint8Array.of(
    low & 0xff,
    (low >>> 8) & 0xff,
    (low >>> 16) & 0xff,
    low >>> 24,
    high & 0xff,
    (high >>> 8) & 0xff,
  );
}

function* netMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const a: NetArgs = {
    clients: intArg(args, 'clients'),
    reads: intArg(args, 'frames'),
    driver: stringArg(args, 'driver') as NetDriverMode,
    clientCycles: intArg(args, 'client_cycles'),
    queueMax: intArg(args, 'queue_max'),
  };
  const redox = a.driver === 'redox';
  const shared = yield* mmap_anonymous(t, LATENCIES + 4 * a.clients * a.reads, MAP_SHARED);
  const scratch = yield* mmap_anonymous(t, 4096);
  const descs = redox ? REDOX_RX_DESCRIPTORS : LINUX_RX_DESCRIPTORS;
  const nic = yield* openNic(t, NIC, redox ? 0 : LINUX_ITR, scratch, descs);
  yield* reg(t, nic.bar, E.E1000_RDLEN, 0); // given back once the clients have their handles
  const mac = yield* macOf(t, nic.bar);
  const s = yield* netSchemeCreate(t, NET_SCHEME, mac, a.clients + 4, redox ? O_NONBLOCK : 0);
  const cpus = yield* onlineCpus(t);
  const g: RingGate = { clients: a.clients, enabled: false, missedBefore: 0, atNs: 0 };
  const pids: number[] = [];
  for (let c = 0; c < a.clients; c++) pids.push(yield* fork(t, (x) => client(x, a, c, c % cpus, shared)));
  const st = newNetStats();
  let join: (() => Program<void>) | null = null;
  if (redox) yield* redoxServe(t, s, nic, st, g);
  else join = (yield* linuxServe(t, s, nic, st, g, a.queueMax)).join;
  const elapsedNs = (yield* clock_gettime_ns(t)) - g.atNs;
  const missed = (yield* mmioRead(t, nic.bar, E.E1000_MPC)) - g.missedBefore;
  yield* reg(t, nic.bar, E.E1000_IMC, 0xffff_ffff);
  yield* reg(t, nic.bar, E.E1000_RDLEN, 0); // no ring: later frames are missed, not written
  const irqMode = nic.irqMode;
  yield* irqClose(t, nic.handle);
  if (join !== null) yield* join();
  for (const pid of pids) yield* waitpid(t, pid);
  const all = Array.from(
    { length: a.clients * a.reads },
    (_, i) => t.load32(shared + LATENCIES + 4 * i) >>> 0,
  );
  const timed = all.filter((v) => v !== UNTIMED);
  const macRead = getBytes(t, shared + MAC_AT, 6);
  const { samples: _samples, ...latency } = latencySummary(timed, [50, 99], false);
  publish(t, NAME, {
    frames: s.framesAnswered,
    timed: timed.length,
    ...latency,
    elapsedNs,
    fps: elapsedNs > 0 ? Math.round((s.framesAnswered * 1e9) / elapsedNs) : 0,
    missed,
    interrupts: st.interrupts,
    interruptsPerS: elapsedNs > 0 ? Math.round((st.interrupts * 1e9) / elapsedNs) : 0,
    mmio: st.mmio,
    queueDrops: st.queueDrops,
    duplicates: st.duplicates,
    blockedMax: s.blockedMax,
    macOk: macRead.every((b, i) => b === mac[i]) ? 1 : 0,
    errors: t.load32(shared + ERRORS),
    irqMode,
  });
  return 0;
}

export const E1000_NET: GuestProgram = {
  image: { name: NAME, main: netMain } satisfies ProgramImage,
  doc: "client processes reading received frames from e1000d's network.eth0_e1000 scheme (HW-10)",
  claims: ['HW-10', 'K21'],
  params: [
    {
      name: 'clients',
      kind: 'int',
      min: 1,
      max: 32,
      fallback: 4,
      doc: 'client processes, client c on CPU c mod cpus',
    },
    { name: 'frames', kind: 'int', min: 1, max: 100_000, fallback: 500, doc: 'frames each client reads' },
    {
      name: 'driver',
      kind: 'choice',
      choices: ['linux', 'redox'],
      fallback: 'linux',
      doc: 'e1000d as found (redox) or NAPI-shaped (linux)',
    },
    {
      name: 'client_cycles',
      kind: 'int',
      min: 0,
      max: 10_000_000,
      fallback: 2000,
      doc: 'work per frame in a client',
    },
    {
      name: 'queue_max',
      kind: 'int',
      min: 1,
      max: 65_536,
      fallback: 1024,
      doc: 'linux: frames the receive queue holds before it drops',
    },
  ],
};
