/**
 * `nvme-disk` (issue 18, HW-11, K13, K21): block I/O from client processes through nvmed's
 * `disk.nvme:` user scheme (services/drivers/disk-scheme.ts), as Redox programs reach a disk.
 * The driver process registers the scheme, forks `clients` client processes (client c pinned to
 * CPU c mod cpus), brings the controller up (nvme-queues.ts) and starts its server threads. Each
 * client opens `disk.nvme:0` and, `rounds` times, writes a 4 KiB pattern to its own block and
 * reads it back (lseek + write, lseek + read), timing each call and checking the data. Every
 * request goes client → kernel (a Sqe) → a server thread → the device's queue → the completion
 * interrupt → the completion thread → the server thread → kernel (a Cqe) → client.
 *
 * `queues = 0`, `servers = 0` (improved, Linux's shape): a queue per CPU with its managed MSI-X
 * vector and completion thread on that CPU, and a server thread per CPU. `queues = 1`,
 * `servers = 1`: Redox's nvmed, one I/O queue on vector 0 and one loop serving the scheme.
 * Publishes `ops`, `mismatches`, `errors` (EIO answers), `elapsed_ns`, `iops` and the client-side
 * latency p50/p99/max of one call. Latencies come back through a MAP_SHARED page.
 */
import type { Program } from '../abi/effects.ts';
import { O_RDWR, SEEK_SET } from '../abi/fd.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { MAP_SHARED } from '../abi/syscalls.ts';
import { onlineCpus, openFunction } from '../services/drivers/function.ts';
import { errno } from '../libc/errno.ts';
import { fork } from '../libc/fork.ts';
import { close, lseek, open, read, write } from '../libc/io.ts';
import { getBytes, putBytes } from '../libc/io-bytes.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { waitpid } from '../libc/process.ts';
import { sched_setaffinity_cpus } from '../libc/sched.ts';
import { scheme_register } from '../libc/scheme-server.ts';
import { mmap_anonymous } from '../libc/sys.ts';
import { clock_gettime_ns } from '../libc/time.ts';
import {
  DISK_BLOCK_BYTES,
  DISK_SCHEME,
  type DiskState,
  diskServer,
} from '../services/drivers/disk-scheme.ts';
import { irqClose } from '../services/drivers/irq-handle.ts';
import { completionThread, nvmeInit } from '../services/drivers/nvme-queues.ts';
import { latencySummary, publish } from './common.ts';
import { attrOnCpus, type GuestProgram, intArg, type ProgramArgs } from './program.ts';

const NAME = 'nvme-disk';
/** Shared-page words: [0] mismatches, [4] EIO answers, then one latency per call. */
const MISMATCH = 0;
const EIO_ANSWERS = 4;
const LATENCIES = 8;

interface DiskArgs {
  clients: number;
  rounds: number;
  queues: number;
  servers: number;
}

function pattern(c: number, r: number): Uint8Array {
  return new Uint8Array(DISK_BLOCK_BYTES).map((_, i) => (c * 131 + r * 17 + i * 7) & 0xff);
}

function* timed(t: Guest, shared: number, slot: number, call: () => Program<number>): Program<number> {
  const t0 = yield* clock_gettime_ns(t);
  const n = yield* call();
  t.store32(shared + LATENCIES + 4 * slot, (yield* clock_gettime_ns(t)) - t0);
  if (n < 0) t.store32(shared + EIO_ANSWERS, t.load32(shared + EIO_ANSWERS) + 1);
  return n;
}

function* client(t: Guest, a: DiskArgs, c: number, cpu: number, shared: number): Program<number> {
  yield* sched_setaffinity_cpus(t, 0, [cpu]);
  const buf = yield* mmap_anonymous(t, 2 * DISK_BLOCK_BYTES);
  const back = buf + DISK_BLOCK_BYTES;
  const fd = yield* open(t, `${DISK_SCHEME}:0`, O_RDWR);
  if (fd < 0) throw new Error(`${NAME}: open ${DISK_SCHEME}:0 failed (errno ${errno(t)})`);
  for (let r = 0; r < a.rounds; r++) {
    const offset = (c * a.rounds + r) * DISK_BLOCK_BYTES;
    const msg = pattern(c, r);
    putBytes(t, buf, msg);
    const slot = 2 * (c * a.rounds + r);
    yield* lseek(t, fd, offset, SEEK_SET);
    yield* timed(t, shared, slot, () => write(t, fd, buf, DISK_BLOCK_BYTES));
    yield* lseek(t, fd, offset, SEEK_SET);
    const n = yield* timed(t, shared, slot + 1, () => read(t, fd, back, DISK_BLOCK_BYTES));
    const got = n === DISK_BLOCK_BYTES ? getBytes(t, back, n) : new Uint8Array(0);
    if (got.length !== msg.length || got.some((b, i) => b !== msg[i]))
      t.store32(shared + MISMATCH, t.load32(shared + MISMATCH) + 1);
  }
  yield* close(t, fd);
  return 0;
}

/** The controller, its completion threads and the server threads; returns what to stop them. */
function* bringUp(t: Guest, a: DiskArgs, fd: number) {
  const f = yield* openFunction(t, NAME, 'nvme0');
  const sources = f.sources;
  const cpus = yield* onlineCpus(t);
  const wanted = a.queues > 0 ? a.queues : cpus;
  const c = yield* nvmeInit(
    t,
    f,
    'nvme0',
    Array.from({ length: wanted }, (_, i) => i % cpus),
  );
  const pinned = sources > 1 && a.queues === 0;
  const reapers: pthread_t[] = [];
  for (const h of c.handles) {
    const attr = pinned ? attrOnCpus([h.queues[0]!.cpu]) : null;
    reapers.push((yield* pthread_create(t, attr, (g) => completionThread(g, c, h), null))[1]);
  }
  const s: DiskState = { c, quit: false, nextId: 1, open: new Set(), served: 0, deviceErrors: 0 };
  const servers: pthread_t[] = [];
  const count = a.servers > 0 ? a.servers : cpus;
  for (let i = 0; i < count; i++) {
    const q = c.queues[i % c.queues.length]!;
    const attr = count === cpus ? attrOnCpus([i]) : null;
    servers.push((yield* pthread_create(t, attr, (g) => diskServer(g, s, fd, q), null))[1]);
  }
  return { c, reapers, servers, s };
}

function* diskMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const a: DiskArgs = {
    clients: intArg(args, 'clients'),
    rounds: intArg(args, 'rounds'),
    queues: intArg(args, 'queues'),
    servers: intArg(args, 'servers'),
  };
  const shared = yield* mmap_anonymous(t, LATENCIES + 8 * a.clients * a.rounds, MAP_SHARED);
  const fd = yield* scheme_register(t, DISK_SCHEME);
  if (fd < 0) throw new Error(`${NAME}: registering ${DISK_SCHEME}: failed (errno ${errno(t)})`);
  const cpus = yield* onlineCpus(t);
  const t0 = yield* clock_gettime_ns(t);
  const pids: number[] = [];
  for (let c = 0; c < a.clients; c++) pids.push(yield* fork(t, (g) => client(g, a, c, c % cpus, shared)));
  const up = yield* bringUp(t, a, fd);
  for (const pid of pids) yield* waitpid(t, pid);
  const elapsedNs = (yield* clock_gettime_ns(t)) - t0;
  // One `quit` open stops one server thread; its descriptor stays open until every server is
  // gone (its close would be a request, and wake another server to no purpose).
  const quits: number[] = [];
  for (let i = 0; i < up.servers.length; i++) quits.push(yield* open(t, `${DISK_SCHEME}:quit`, O_RDWR));
  for (const th of up.servers) yield* pthread_join(t, th);
  yield* close(t, fd);
  for (const q of quits) if (q >= 0) yield* close(t, q);
  for (const h of up.c.handles) yield* irqClose(t, h.handle);
  for (const th of up.reapers) yield* pthread_join(t, th);
  const latencies = Array.from({ length: 2 * a.clients * a.rounds }, (_, i) =>
    t.load32(shared + LATENCIES + 4 * i),
  );
  publish(t, NAME, {
    ops: latencies.length,
    mismatches: t.load32(shared + MISMATCH),
    errors: t.load32(shared + EIO_ANSWERS),
    served: up.s.served,
    elapsedNs,
    iops: elapsedNs > 0 ? Math.round((latencies.length * 1e9) / elapsedNs) : 0,
    queues: up.c.queues.length,
    servers: up.servers.length,
    ...latencySummary(latencies, [50, 99], false),
  });
  return 0;
}

export const NVME_DISK: GuestProgram = {
  image: { name: NAME, main: diskMain } satisfies ProgramImage,
  doc: "client processes doing 4 KiB writes and reads of disk.nvme:0, nvmed's user scheme (HW-11)",
  claims: ['HW-11', 'K13', 'K21'],
  params: [
    {
      name: 'clients',
      kind: 'int',
      min: 1,
      max: 64,
      fallback: 4,
      doc: 'client processes, client c on CPU c mod cpus',
    },
    {
      name: 'rounds',
      kind: 'int',
      min: 1,
      max: 10_000,
      fallback: 20,
      doc: 'write-then-read rounds per client',
    },
    {
      name: 'queues',
      kind: 'int',
      min: 0,
      max: 64,
      fallback: 0,
      doc: 'I/O queue pairs: 0 one per CPU (Linux), 1 Redox',
    },
    {
      name: 'servers',
      kind: 'int',
      min: 0,
      max: 64,
      fallback: 0,
      doc: 'scheme server threads: 0 one per CPU, pinned; 1 Redox',
    },
  ],
};
