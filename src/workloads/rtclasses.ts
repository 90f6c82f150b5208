/**
 * `rtclasses`: the real-time classes as a program sees them (SCHED-7), in three phases on the
 * CPUs it is given (the scenario uses one, where RT throttling is a per-CPU budget):
 *
 * 1. throttle: a SCHED_FIFO hog and a SCHED_OTHER thread for `seconds`; the OTHER thread counts
 *    the work it gets in each second (RT throttling leaves it 50 ms of every 1000 ms);
 * 2. rr: two SCHED_RR threads at one priority; each notices when it lost the CPU (a gap between
 *    its chunks of work) and publishes the lengths of the slices it ran (RR quantum 100 ms);
 * 3. wakeup: a SCHED_FIFO thread blocked on a futex word is woken `wakeups` times by a
 *    SCHED_OTHER thread; the latency is waker's clock before FUTEX_WAKE to the waiter's clock
 *    when it runs (the claim: under 100 µs).
 *
 * Where the kernel has no sched_setscheduler (ENOSYS: Redox and Red Bear), the program asks
 * through Red Bear's `/proc/<tid>/sched-policy` handle, as Red Bear's relibc does; where that is
 * missing too (upstream Redox), it uses the best nice (-20) and publishes `rt_available = 0`.
 * `rt_interface` says which way worked: 2 the system call, 1 the handle, 0 neither.
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { ENOENT, ENOSYS } from '../abi/errno.ts';
import { PRIO_PROCESS, SCHED_FIFO, SCHED_RR } from '../abi/sched.ts';
import { errno } from '../libc/errno.ts';
import { proc_set_sched_policy } from '../libc/proc-handles.ts';
import { sched_setscheduler, setpriority } from '../libc/sched.ts';
import { pthread_create, pthread_join } from '../libc/pthread.ts';
import { futex_wait, futex_wake, mmap_anonymous } from '../libc/sys.ts';
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import { type GuestProgram, intArg, type ProgramArgs } from './program.ts';
import { NS_PER_MS, publish } from './common.ts';

/** 100 µs at 3 GHz. */
const CHUNK_CYCLES = 300_000;
const CHUNK_NS = 100_000;
/** A gap this much longer than a chunk means the thread was off the CPU. */
const GAP_NS = 50_000;

/** How a thread got its RT class: Linux's system call, Red Bear's proc handle, or not at all. */
enum RtVia {
  None = 0,
  ProcHandle = 1,
  Syscall = 2,
}

/**
 * Enters `policy` at `priority` the way the system offers: sched_setscheduler (Linux, fair);
 * where that is ENOSYS, Red Bear's `/proc/<tid>/sched-policy` handle (its relibc's way,
 * P5-proc-setschedpolicy); where that handle does not exist either (ENOENT: upstream Redox),
 * the best nice (-20).
 */
function* enterRt(t: Guest, policy: number, priority: number): Program<RtVia> {
  if ((yield* sched_setscheduler(t, 0, policy, { sched_priority: priority })) === 0) return RtVia.Syscall;
  if (errno(t) !== ENOSYS) throw new Error(`rtclasses: sched_setscheduler failed (errno ${errno(t)})`);
  const viaHandle = yield* proc_set_sched_policy(t, t.tid, policy, priority);
  if (viaHandle === 0) return RtVia.ProcHandle;
  if (viaHandle !== ENOENT) throw new Error(`rtclasses: sched-policy handle failed (errno ${viaHandle})`);
  if ((yield* setpriority(t, PRIO_PROCESS, 0, -20)) !== 0) {
    throw new Error(`rtclasses: setpriority failed (errno ${errno(t)})`);
  }
  return RtVia.None;
}

interface Shared {
  word: number;
  endNs: number;
  /** Per-second work of the OTHER thread (ns), or slice lengths, or latencies. */
  values: number[];
  rt: RtVia;
}

function* fifoHog(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  s.rt = yield* enterRt(t, SCHED_FIFO, 10);
  while ((yield* clock_gettime_ns(t)) < s.endNs) yield t.compute(CHUNK_CYCLES);
  return 0;
}

function* otherCounter(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  const t0 = s.endNs - s.values.length * 1_000_000_000;
  for (;;) {
    const now = yield* clock_gettime_ns(t);
    if (now >= s.endNs) return 0;
    yield t.compute(CHUNK_CYCLES);
    const second = Math.floor((now - t0) / 1_000_000_000);
    if (second >= 0) s.values[second]! += CHUNK_NS;
  }
}

function* rrThread(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  s.rt = yield* enterRt(t, SCHED_RR, 10);
  while (t.load32(s.word) === 0) yield* futex_wait(t, s.word, 0); // both start together
  let sliceStart = yield* clock_gettime_ns(t);
  let last = sliceStart;
  for (;;) {
    yield t.compute(CHUNK_CYCLES);
    const now = yield* clock_gettime_ns(t);
    if (now - last > CHUNK_NS + GAP_NS) {
      s.values.push(last - sliceStart); // the slice that ended at `last`
      sliceStart = now - CHUNK_NS;
    }
    last = now;
    if (now >= s.endNs) return 0;
  }
}

function* waiter(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared & { wokenAt: number; rounds: number };
  s.rt = yield* enterRt(t, SCHED_FIFO, 50);
  for (let round = 1; round <= s.rounds; round++) {
    while (t.load32(s.word) < round) yield* futex_wait(t, s.word, round - 1);
    s.values.push((yield* clock_gettime_ns(t)) - s.wokenAt);
  }
  return 0;
}

function* waker(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared & { wokenAt: number; rounds: number };
  for (let round = 1; round <= s.rounds; round++) {
    yield* sleep_ns(t, 5_000_000);
    for (let i = 0; i < 10; i++) yield t.compute(CHUNK_CYCLES); // running OTHER work when it wakes
    s.wokenAt = yield* clock_gettime_ns(t);
    yield t.atomic(AtomicOp.Store, s.word, round);
    yield* futex_wake(t, s.word, 1);
    for (let i = 0; i < 10; i++) yield t.compute(CHUNK_CYCLES); // and keeps running
  }
  return 0;
}

function* rtClassesMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const seconds = intArg(args, 'seconds');
  const out: Record<string, number> = {};
  const word = yield* mmap_anonymous(t, 4096);

  // 1. throttling
  const start = (yield* clock_gettime_ns(t)) + 1_000_000;
  const throttle: Shared = {
    word,
    endNs: start + seconds * 1_000_000_000,
    values: new Array(seconds).fill(0),
    rt: RtVia.None,
  };
  const [, hog] = yield* pthread_create(t, null, fifoHog, throttle);
  const [, other] = yield* pthread_create(t, null, otherCounter, throttle);
  yield* pthread_join(t, hog);
  yield* pthread_join(t, other);
  out.rt_available = throttle.rt === RtVia.None ? 0 : 1;
  out.rt_interface = throttle.rt;
  throttle.values.forEach((ns, i) => {
    out[`other_share_s${i}`] = ns / 1_000_000_000;
  });
  out.other_share_min = Math.min(...throttle.values) / 1_000_000_000;

  // 2. round robin
  const rrEnd = (yield* clock_gettime_ns(t)) + 2_000_000 + intArg(args, 'rr_ms') * NS_PER_MS;
  const rr: Shared = { word: word + 32, endNs: rrEnd, values: [], rt: RtVia.None };
  const [, a] = yield* pthread_create(t, null, rrThread, rr);
  const [, b] = yield* pthread_create(t, null, rrThread, rr);
  yield* sleep_ns(t, 2_000_000);
  yield t.atomic(AtomicOp.Store, rr.word, 1);
  yield* futex_wake(t, rr.word, 2);
  yield* pthread_join(t, a);
  yield* pthread_join(t, b);
  const slices = rr.values;
  out.rr_slices = slices.length;
  out.rr_slice_min_ms = slices.length === 0 ? 0 : Math.min(...slices) / 1e6;
  out.rr_slice_max_ms = slices.length === 0 ? 0 : Math.max(...slices) / 1e6;

  // 3. wakeup preemption
  const rounds = intArg(args, 'wakeups');
  const wake = { word: word + 64, endNs: 0, values: [] as number[], rt: RtVia.None, wokenAt: 0, rounds };
  const [, w1] = yield* pthread_create(t, null, waiter, wake);
  yield* sleep_ns(t, 1_000_000);
  const [, w2] = yield* pthread_create(t, null, waker, wake);
  yield* pthread_join(t, w1);
  yield* pthread_join(t, w2);
  out.wakeup_latency_max_ns = Math.max(...wake.values);
  out.wakeup_latency_mean_ns = wake.values.reduce((s, v) => s + v, 0) / wake.values.length;
  publish(t, 'rtclasses', out);
  return 0;
}

export const RTCLASSES: GuestProgram = {
  image: { name: 'rtclasses', main: rtClassesMain } satisfies ProgramImage,
  doc: 'RT classes: throttling share of OTHER per second, RR slice lengths, FIFO wakeup latency',
  claims: ['SCHED-7'],
  params: [
    { name: 'seconds', kind: 'int', min: 1, max: 60, doc: 'length of the throttling phase', fallback: 3 },
    {
      name: 'rr_ms',
      kind: 'int',
      min: 100,
      max: 60_000,
      doc: 'length of the round-robin phase',
      fallback: 600,
    },
    {
      name: 'wakeups',
      kind: 'int',
      min: 1,
      max: 1000,
      doc: 'wakeups measured in the last phase',
      fallback: 20,
    },
  ],
};
