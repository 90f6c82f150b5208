/**
 * `scheme-echo` (issue 19, SVC-7): a user scheme server and its clients, the round trip every
 * Redox service call makes. The root process registers scheme `echo:` and forks the server,
 * pinned to CPU 0, which echoes each client's last write back to its reads (spending
 * `server_cycles` a request); `clients` client processes, pinned round CPUs 1..n-1, each open `echo:<n>` and do
 * `rounds` write-then-read round trips of `bytes` bytes, timing each. A request the kernel
 * refuses with EBUSY (the improved kernel's bounded queue, SVC-7) is counted and retried after
 * a sched_yield. Latencies go through a MAP_SHARED page to the root, which publishes them.
 */
import type { Program } from '../abi/effects.ts';
import { EBUSY } from '../abi/errno.ts';
import { O_RDWR } from '../abi/fd.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { MAP_SHARED } from '../abi/syscalls.ts';
import { errno } from '../libc/errno.ts';
import { fork } from '../libc/fork.ts';
import { close, open, read, write } from '../libc/io.ts';
import { getBytes, putBytes } from '../libc/io-bytes.ts';
import { waitpid } from '../libc/process.ts';
import { sched_getaffinity_cpus, sched_setaffinity_cpus } from '../libc/sched.ts';
import { type SchemeHandler, scheme_register, scheme_serve } from '../libc/scheme-server.ts';
import { mmap_anonymous, sched_yield } from '../libc/sys.ts';
import { clock_gettime_ns } from '../libc/time.ts';
import { latencySummary, publish } from './common.ts';
import { type GuestProgram, intArg, type ProgramArgs } from './program.ts';

const NAME = 'scheme-echo';
const SERVER_BUF_BYTES = 4096;
/** Shared-page words: [0] EBUSY retries, [1] echo mismatches, then one latency per round trip. */
const BUSY = 0;
const MISMATCH = 4;
const LATENCIES = 8;

interface EchoArgs {
  clients: number;
  rounds: number;
  bytes: number;
  serverCycles: number;
}

/** The server's handler: ids per open, the last bytes written to each, `quit` ends the loop. */
function echoHandler(a: EchoArgs): SchemeHandler & { quit: boolean } {
  const last = new Map<number, Uint8Array>();
  let nextId = 1;
  const handler = {
    quit: false,
    *open(t: Guest, path: string): Program<number> {
      yield t.compute(a.serverCycles);
      if (path === 'quit') handler.quit = true;
      last.set(nextId, new Uint8Array(0));
      return nextId++;
    },
    *write(t: Guest, id: number, data: Uint8Array): Program<number> {
      yield t.compute(a.serverCycles);
      last.set(id, data);
      return data.length;
    },
    *read(t: Guest, id: number): Program<Uint8Array> {
      yield t.compute(a.serverCycles);
      return last.get(id) ?? new Uint8Array(0);
    },
    *close(_t: Guest, id: number): Program<void> {
      last.delete(id);
    },
  };
  return handler;
}

/** Retries `call` while the kernel answers EBUSY, counting each refusal in the shared page. */
function* untilNotBusy(t: Guest, shared: number, call: () => Program<number>): Program<number> {
  for (;;) {
    const r = yield* call();
    if (r !== -1 || errno(t) !== EBUSY) return r;
    t.store32(shared + BUSY, t.load32(shared + BUSY) + 1); // the clients' counter: an atomic would do on real hardware
    yield* sched_yield(t);
  }
}

function* client(t: Guest, a: EchoArgs, c: number, cpu: number, shared: number): Program<number> {
  yield* sched_setaffinity_cpus(t, 0, [cpu]);
  const buf = yield* mmap_anonymous(t, 2 * Math.max(a.bytes, 64) + 64);
  const back = buf + Math.max(a.bytes, 64);
  const fd = yield* untilNotBusy(t, shared, () => open(t, `echo:${c}`, O_RDWR));
  if (fd < 0) throw new Error(`${NAME}: open echo:${c} failed (errno ${errno(t)})`);
  for (let r = 0; r < a.rounds; r++) {
    const msg = new Uint8Array(a.bytes).map((_, i) => (c * 31 + r * 7 + i) & 0xff);
    putBytes(t, buf, msg);
    const t0 = yield* clock_gettime_ns(t);
    yield* untilNotBusy(t, shared, () => write(t, fd, buf, a.bytes));
    const n = yield* untilNotBusy(t, shared, () => read(t, fd, back, a.bytes));
    const t1 = yield* clock_gettime_ns(t);
    const got = n === a.bytes ? getBytes(t, back, n) : new Uint8Array(0);
    if (got.length !== msg.length || got.some((b, i) => b !== msg[i])) {
      t.store32(shared + MISMATCH, t.load32(shared + MISMATCH) + 1);
    }
    t.store32(shared + LATENCIES + 4 * (c * a.rounds + r), t1 - t0);
  }
  yield* close(t, fd);
  return 0;
}

function* echoMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const a: EchoArgs = {
    clients: intArg(args, 'clients'),
    rounds: intArg(args, 'rounds'),
    bytes: intArg(args, 'bytes'),
    serverCycles: intArg(args, 'server_cycles'),
  };
  const online = yield* sched_getaffinity_cpus(t, 0);
  if (typeof online === 'number') throw new Error(`${NAME}: sched_getaffinity failed (${online})`);
  const cpus = online.length;
  const shared = yield* mmap_anonymous(t, LATENCIES + 4 * a.clients * a.rounds, MAP_SHARED);
  const t0 = yield* clock_gettime_ns(t);
  const fd = yield* scheme_register(t, 'echo');
  if (fd < 0) throw new Error(`${NAME}: registering echo: failed (errno ${errno(t)})`);
  const server = yield* fork(t, function* (s) {
    yield* sched_setaffinity_cpus(s, 0, [0]);
    const buf = yield* mmap_anonymous(s, SERVER_BUF_BYTES);
    const handler = echoHandler(a);
    yield* scheme_serve(s, fd, buf, SERVER_BUF_BYTES, handler, () => handler.quit);
    return 0;
  });
  yield* close(t, fd); // the server holds the scheme now
  const pids: number[] = [];
  for (let c = 0; c < a.clients; c++) {
    const cpu = cpus > 1 ? 1 + (c % (cpus - 1)) : 0;
    pids.push(yield* fork(t, (g) => client(g, a, c, cpu, shared)));
  }
  for (const pid of pids) yield* waitpid(t, pid);
  const quit = yield* untilNotBusy(t, shared, () => open(t, 'echo:quit', O_RDWR));
  if (quit >= 0) yield* close(t, quit);
  yield* waitpid(t, server);
  const latencies = Array.from({ length: a.clients * a.rounds }, (_, i) =>
    t.load32(shared + LATENCIES + 4 * i),
  );
  publish(t, NAME, {
    roundTrips: latencies.length,
    busy: t.load32(shared + BUSY),
    mismatches: t.load32(shared + MISMATCH),
    elapsedNs: (yield* clock_gettime_ns(t)) - t0,
    ...latencySummary(latencies, [50, 99], false),
  });
  return 0;
}

export const SCHEME_ECHO: GuestProgram = {
  image: { name: NAME, main: echoMain } satisfies ProgramImage,
  doc: 'clients on several CPUs doing write/read round trips through a user scheme server (SVC-7: EBUSY on a bounded queue)',
  claims: ['SVC-7'],
  params: [
    {
      name: 'clients',
      kind: 'int',
      min: 1,
      max: 64,
      doc: 'client processes, one a CPU round the machine',
      fallback: 3,
    },
    {
      name: 'rounds',
      kind: 'int',
      min: 1,
      max: 10_000,
      doc: 'write/read round trips per client',
      fallback: 20,
    },
    { name: 'bytes', kind: 'int', min: 1, max: 2048, doc: 'bytes per write and read', fallback: 64 },
    {
      name: 'server_cycles',
      kind: 'int',
      min: 0,
      max: 100_000_000,
      doc: 'server work per request',
      fallback: 3000,
    },
  ],
};
