/**
 * `cpu-offline` (issue 18, kernel/hotplug.ts): a CPU goes offline under load and comes back.
 * Computing threads (fixed bursts) and sleeping threads (timed sleeps, so hrtimers are armed)
 * run, some allowed only on the CPU that goes (their affinity is broken to all online CPUs, as
 * Linux's select_fallback_rq does); at `offline_at_us` the main thread takes `cpu` offline with
 * cpu_set_online (the sysfs `online` write), waits `offline_for_us`, brings it back, and starts
 * a thread allowed only there to show it takes work again. Every burst and wakeup is counted:
 * none may be lost. The Redox baseline refuses the offline with EOPNOTSUPP (and the work still
 * completes). Timer and compute load only: no device I/O (irq2's devices are not on main yet).
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { errno } from '../libc/errno.ts';
import { cpu_set_online } from '../libc/hotplug.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { sched_getcpu } from '../libc/sched.ts';
import { sleep_ns } from '../libc/time.ts';
import { NS_PER_US, publish } from './common.ts';
import { attrOnCpus, type GuestProgram, intArg, type ProgramArgs } from './program.ts';

interface Shared {
  rounds: number;
  chunkCycles: number;
  sleepNs: number;
  bursts: number;
  wakeups: number;
}

function* computer(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  for (let i = 0; i < s.rounds; i++) {
    yield t.compute(s.chunkCycles);
    s.bursts++;
  }
  return 0;
}

function* sleeper(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  for (let i = 0; i < s.rounds; i++) {
    yield* sleep_ns(t, s.sleepNs);
    s.wakeups++;
  }
  return 0;
}

/** 0, or the errno cpu_set_online failed with. */
function* setOnline(t: Guest, cpuId: number, online: boolean): Program<number> {
  return (yield* cpu_set_online(t, cpuId, online)) === 0 ? 0 : errno(t);
}

function* cpuOfflineMain(t: Guest, raw: unknown): Program<number> {
  const a = raw as ProgramArgs;
  const cpu = intArg(a, 'cpu');
  const s: Shared = {
    rounds: intArg(a, 'rounds'),
    chunkCycles: intArg(a, 'chunk_cycles'),
    sleepNs: intArg(a, 'sleep_us') * NS_PER_US,
    bursts: 0,
    wakeups: 0,
  };
  const threads: pthread_t[] = [];
  const pinned = intArg(a, 'pinned');
  const start = (entry: typeof computer, i: number) =>
    pthread_create(t, i < pinned ? attrOnCpus([cpu]) : null, entry, s);
  for (let i = 0; i < intArg(a, 'sleepers'); i++) threads.push((yield* start(sleeper, i))[1]);
  for (let i = 0; i < intArg(a, 'computers'); i++) threads.push((yield* start(computer, i))[1]);
  yield* sleep_ns(t, intArg(a, 'offline_at_us') * NS_PER_US);
  const offlineErrno = yield* setOnline(t, cpu, false);
  yield* sleep_ns(t, intArg(a, 'offline_for_us') * NS_PER_US);
  const onlineErrno = yield* setOnline(t, cpu, true);
  const [, probe] = yield* pthread_create(t, attrOnCpus([cpu]), (g) => sched_getcpu(g), null);
  const probeCpu = (yield* pthread_join(t, probe))[1] as number;
  for (const th of threads) yield* pthread_join(t, th);
  publish(t, 'cpu-offline', {
    offline_errno: offlineErrno,
    online_errno: onlineErrno,
    bursts: s.bursts,
    wakeups: s.wakeups,
    probe_cpu: probeCpu,
  });
  return 0;
}

export const CPU_OFFLINE: GuestProgram = {
  image: { name: 'cpu-offline', main: cpuOfflineMain } satisfies ProgramImage,
  doc: 'a CPU goes offline under compute and timer load and comes back (issue 18): no burst or wakeup lost',
  claims: [],
  params: [
    { name: 'cpu', kind: 'int', min: 1, max: 255, fallback: 2, doc: 'the CPU taken offline' },
    { name: 'computers', kind: 'int', min: 0, max: 64, fallback: 4, doc: 'computing threads' },
    { name: 'sleepers', kind: 'int', min: 0, max: 64, fallback: 4, doc: 'sleeping threads' },
    {
      name: 'pinned',
      kind: 'int',
      min: 0,
      max: 64,
      fallback: 1,
      doc: 'of each kind, how many only on `cpu`',
    },
    { name: 'rounds', kind: 'int', min: 1, max: 100_000, fallback: 40, doc: 'bursts or sleeps per thread' },
    {
      name: 'chunk_cycles',
      kind: 'int',
      min: 1,
      max: 1_000_000_000,
      fallback: 300_000,
      doc: 'cycles per burst',
    },
    { name: 'sleep_us', kind: 'int', min: 1, max: 1_000_000, fallback: 300, doc: 'one sleep (µs)' },
    { name: 'offline_at_us', kind: 'int', min: 0, max: 10_000_000, fallback: 2000, doc: 'when it goes (µs)' },
    { name: 'offline_for_us', kind: 'int', min: 0, max: 10_000_000, fallback: 5000, doc: 'how long (µs)' },
  ],
  check: (args, machine) =>
    intArg(args, 'cpu') < machine.cpus
      ? null
      : {
          param: 'cpu',
          problem: `CPU ${intArg(args, 'cpu')} does not exist`,
          allowed: `1..${machine.cpus - 1}`,
        },
};
