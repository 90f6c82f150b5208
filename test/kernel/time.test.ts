/**
 * Clocks and sleeps over struct timespec in guest memory (kernel/time.ts, kernel/nanosleep.ts):
 * EINVAL and EFAULT as Linux gives them, clock_nanosleep with TIMER_ABSTIME and the time left
 * on EINTR, CLOCK_REALTIME exact at a real date (stepped by one nanosecond there), and clock
 * steps while timed waits are pending: absolute CLOCK_REALTIME waits follow the step both ways,
 * relative and CLOCK_MONOTONIC ones do not.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { EFAULT, EINTR, EINVAL, ENOTSUP, EPERM, ETIMEDOUT } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { SIGUSR1 } from '../../src/abi/signal.ts';
import {
  CLOCK_MONOTONIC,
  CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_REALTIME,
  CLOCK_THREAD_CPUTIME_ID,
  FUTEX_CLOCK_REALTIME,
  FUTEX_LOCK_PI,
  FUTEX_WAIT,
  FUTEX_WAIT_BITSET,
  SYS_FUTEX,
  SYS_GETTID,
} from '../../src/abi/syscalls.ts';
import { resolveCostModel } from '../../src/hw/cost-model.ts';
import type { SchedPolicyName } from '../../src/machine/config.ts';
import { errno } from '../../src/libc/errno.ts';
import { malloc } from '../../src/libc/malloc.ts';
import { setuid } from '../../src/libc/proc-handles.ts';
import { pthread_create, pthread_join } from '../../src/libc/pthread.ts';
import { pthread_kill, sigaction } from '../../src/libc/signal.ts';
import { mmap_anonymous, syscall } from '../../src/libc/sys.ts';
import {
  clock_gettime,
  clock_gettime_ns,
  clock_nanosleep,
  clock_settime,
  nanosleep,
  sleep_ns,
  TIMER_ABSTIME,
  type timespec,
  timespec_load,
  timespec_new,
  timespec_store,
  timespecAddNs,
} from '../../src/libc/time.ts';
import { runGuest } from '../support/guest.ts';

const MS = 1_000_000;
const US = 1000;
/** The cost model's syscall entry and exit, charged before each handler runs. */
const SYSCALL_NS = resolveCostModel({}).syscallNs;
/** 2026-01-01T00:00:00Z, where the machine's CLOCK_REALTIME starts. */
const BOOT_SEC = 1_767_225_600;
const MATCH_ANY = 0xffffffff;

function runOk(main: (t: Guest) => Program<number>, policy: SchedPolicyName = 'fair', cpus = 2) {
  const run = runGuest(main, null, {
    policy,
    cpus,
    futex: policy === 'fair' ? { mode: 'linux', shards: 64 } : { mode: 'redox', shards: 1 },
  });
  assert.equal(run.kernel.stopReason, null);
  assert.equal(run.kernel.finished, true);
  assert.deepEqual(run.kernel.faults, []);
  return run;
}

/** A POSIX call's result with its errno: "0", or "-1 EINVAL". */
function posix(t: Guest, r: number): string {
  return r === 0 ? '0' : `${r} ${errno(t)}`;
}

for (const policy of ['fair', 'dwrr'] as const) {
  test(`nanosleep, clock_nanosleep and clock_gettime take timespecs: EINVAL, EFAULT, ENOTSUP (${policy})`, () => {
    const out: unknown[] = [];
    runOk(function* (t) {
      const ts = yield* timespec_new(t);
      const sleep = function* (sec: number, nsec: number) {
        timespec_store(t, ts, sec, nsec);
        return posix(t, yield* nanosleep(t, ts, 0));
      };
      out.push(yield* sleep(0, 1_000_000_000), yield* sleep(0, -1), yield* sleep(-1, 0), yield* sleep(0, 0));
      out.push(posix(t, yield* nanosleep(t, 0x20000, 0)), posix(t, yield* nanosleep(t, 0, 0)));
      timespec_store(t, ts, 0, 1000);
      out.push(
        yield* clock_nanosleep(t, CLOCK_THREAD_CPUTIME_ID, 0, ts, 0),
        yield* clock_nanosleep(t, CLOCK_PROCESS_CPUTIME_ID, 0, ts, 0),
        yield* clock_nanosleep(t, 99, 0, ts, 0),
        yield* clock_nanosleep(t, CLOCK_MONOTONIC, 0, 0x20000, 0),
      );
      timespec_store(t, ts, 0, 1_000_000_000);
      out.push(yield* clock_nanosleep(t, CLOCK_REALTIME, TIMER_ABSTIME, ts, 0));
      out.push(
        posix(t, yield* clock_gettime(t, CLOCK_REALTIME, 0x20000)),
        posix(t, yield* clock_gettime(t, 99, ts)),
      );
      return 0;
    }, policy);
    assert.deepEqual(out, [
      `-1 ${EINVAL}`,
      `-1 ${EINVAL}`,
      `-1 ${EINVAL}`,
      '0',
      `-1 ${EFAULT}`,
      `-1 ${EFAULT}`,
      EINVAL,
      ENOTSUP,
      EINVAL,
      EFAULT,
      EINVAL,
      `-1 ${EFAULT}`,
      `-1 ${EINVAL}`,
    ]);
  });
}

test('clock_nanosleep TIMER_ABSTIME sleeps until the clock reads the request; a time past returns at once', () => {
  const out: string[] = [];
  runOk(function* (t) {
    const ts = yield* timespec_new(t);
    const rem = yield* timespec_new(t, 7, 7);
    for (const clock of [CLOCK_MONOTONIC, CLOCK_REALTIME]) {
      const t0 = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
      yield* clock_gettime(t, clock, ts);
      const at = timespecAddNs(timespec_load(t, ts), 2 * MS);
      timespec_store(t, ts, at.tv_sec, at.tv_nsec);
      const r = yield* clock_nanosleep(t, clock, TIMER_ABSTIME, ts, rem);
      const slept = (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t0;
      // At the request (2 ms after the reading, itself a syscall after t0), within the 50 us slack.
      out.push(`${clock}: ${r} ${slept >= 2 * MS + SYSCALL_NS && slept < 2 * MS + 60 * US}`);
    }
    timespec_store(t, ts, 0, 0);
    const t1 = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
    out.push(`past: ${yield* clock_nanosleep(t, CLOCK_REALTIME, TIMER_ABSTIME, ts, rem)}`);
    out.push(`took: ${(yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t1}`);
    const left = timespec_load(t, rem);
    out.push(`rem untouched: ${left.tv_sec} ${left.tv_nsec}`);
    return 0;
  });
  assert.deepEqual(out, [
    `${CLOCK_MONOTONIC}: 0 true`,
    `${CLOCK_REALTIME}: 0 true`,
    'past: 0',
    `took: ${2 * SYSCALL_NS}`, // the call and the next reading: no sleep at all
    'rem untouched: 7 7',
  ]);
});

test('a signal ends a relative clock_nanosleep with EINTR and the time left at rem; TIMER_ABSTIME leaves rem alone', () => {
  const out: string[] = [];
  let sleeperTid = 0;
  function* sleeper(t: Guest): Program<number> {
    sleeperTid = yield* syscall(t, SYS_GETTID);
    const req = yield* timespec_new(t, 0, 50 * MS);
    const rem = yield* timespec_new(t, 7, 7);
    const t0 = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
    const r = yield* clock_nanosleep(t, CLOCK_MONOTONIC, 0, req, rem);
    const slept = (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t0;
    const left = timespec_load(t, rem);
    const leftNs = left.tv_sec * 1e9 + left.tv_nsec;
    // The kernel's sleep began a syscall after t0 and ended before the reading that follows.
    out.push(`relative: ${r} ${leftNs > 50 * MS - slept && leftNs < 50 * MS - slept + 20 * US}`);
    const at = timespecAddNs(
      { tv_sec: 0, tv_nsec: 0 },
      (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) + 50 * MS,
    );
    timespec_store(t, req, at.tv_sec, at.tv_nsec);
    timespec_store(t, rem, 7, 7);
    out.push(`abstime: ${yield* clock_nanosleep(t, CLOCK_MONOTONIC, TIMER_ABSTIME, req, rem)}`);
    const kept = timespec_load(t, rem);
    out.push(`rem: ${kept.tv_sec} ${kept.tv_nsec}`);
    return 0;
  }
  runOk(function* (t) {
    yield* sigaction(t, SIGUSR1, { handler: function* () {}, mask: 0, flags: 0 });
    const [, th] = yield* pthread_create(t, null, sleeper, null);
    yield* sleep_ns(t, 3 * MS);
    yield* pthread_kill(t, sleeperTid, SIGUSR1);
    yield* sleep_ns(t, 3 * MS);
    yield* pthread_kill(t, sleeperTid, SIGUSR1);
    yield* pthread_join(t, th);
    return 0;
  });
  assert.deepEqual(out, [`relative: ${EINTR} true`, `abstime: ${EINTR}`, 'rem: 7 7']);
});

test('CLOCK_REALTIME boots at 2026-01-01T00:00:00Z and steps by one nanosecond there, exactly', () => {
  const out: timespec[] = [];
  const errs: string[] = [];
  runOk(function* (t) {
    const tp = yield* timespec_new(t);
    const read = function* () {
      yield* clock_gettime(t, CLOCK_REALTIME, tp);
      const ts = timespec_load(t, tp);
      out.push(ts);
      return ts;
    };
    const set = function* (ts: timespec) {
      timespec_store(t, tp, ts.tv_sec, ts.tv_nsec);
      return posix(t, yield* clock_settime(t, CLOCK_REALTIME, tp));
    };
    const boot = yield* read();
    const mono = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
    // The reading is CLOCK_MONOTONIC plus the boot date: one syscall before `mono`.
    assert.deepEqual(boot, { tv_sec: BOOT_SEC, tv_nsec: mono - SYSCALL_NS });
    errs.push(yield* set({ tv_sec: BOOT_SEC + 86_399, tv_nsec: 999_999_999 }));
    const r1 = yield* read(); // a syscall later: past the second
    errs.push(yield* set(timespecAddNs(r1, 1))); // +1 ns
    const r2 = yield* read();
    errs.push(yield* set(timespecAddNs(r2, -1))); // -1 ns
    yield* read();
    errs.push(yield* set({ tv_sec: -1, tv_nsec: 0 }), yield* set({ tv_sec: 0, tv_nsec: 1_000_000_000 }));
    errs.push(
      posix(t, yield* clock_settime(t, CLOCK_MONOTONIC, tp)),
      posix(t, yield* clock_settime(t, CLOCK_REALTIME, 0x20000)),
    );
    yield* setuid(t, 1000);
    errs.push(yield* set({ tv_sec: BOOT_SEC, tv_nsec: 0 }));
    return 0;
  });
  const day = BOOT_SEC + 86_400;
  assert.deepEqual(out.slice(1), [
    { tv_sec: day, tv_nsec: SYSCALL_NS - 1 }, // 999,999,999 + 100 ns
    { tv_sec: day, tv_nsec: 2 * SYSCALL_NS }, // +1 ns, then a syscall
    { tv_sec: day, tv_nsec: 3 * SYSCALL_NS - 1 }, // -1 ns, then a syscall
  ]);
  assert.deepEqual(errs, [
    '0',
    '0',
    '0',
    `-1 ${EINVAL}`,
    `-1 ${EINVAL}`,
    `-1 ${EINVAL}`,
    `-1 ${EFAULT}`,
    `-1 ${EPERM}`,
  ]);
});

/**
 * Six waits of 100 ms begun together at 0 ms, with the realtime clock stepped by `stepMs` at
 * 10 ms: the ms (rounded) at which each ended, and how.
 */
function steppedWaits(stepMs: number): string[] {
  const log: string[] = [];
  let t0 = 0;
  let rt0: timespec = { tv_sec: 0, tv_nsec: 0 };
  let word = 0;
  let piWord = 0;
  const ended = function* (t: Guest, name: string, r: number) {
    const at = Math.round(((yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t0) / MS);
    log.push(`${name}=${r} at ${at}`);
  };
  const realtimeDeadline = function* (t: Guest) {
    const at = timespecAddNs(rt0, 100 * MS);
    return yield* timespec_new(t, at.tv_sec, at.tv_nsec);
  };
  const waiters: [string, (t: Guest) => Program<number>][] = [
    [
      'futex-realtime',
      function* (t) {
        const ts = yield* realtimeDeadline(t);
        return yield* syscall(
          t,
          SYS_FUTEX,
          word,
          FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME,
          0,
          ts,
          0,
          MATCH_ANY,
        );
      },
    ],
    [
      'nanosleep-abs-realtime',
      function* (t) {
        return yield* clock_nanosleep(t, CLOCK_REALTIME, TIMER_ABSTIME, yield* realtimeDeadline(t), 0);
      },
    ],
    [
      'lock-pi-realtime',
      function* (t) {
        return yield* syscall(t, SYS_FUTEX, piWord, FUTEX_LOCK_PI, 0, yield* realtimeDeadline(t));
      },
    ],
    [
      'futex-monotonic',
      function* (t) {
        const ts = yield* timespec_new(t, 0, t0 + 100 * MS);
        return yield* syscall(t, SYS_FUTEX, word, FUTEX_WAIT_BITSET, 0, ts, 0, MATCH_ANY);
      },
    ],
    [
      'futex-relative',
      function* (t) {
        return yield* syscall(t, SYS_FUTEX, word, FUTEX_WAIT, 0, yield* timespec_new(t, 0, 100 * MS));
      },
    ],
    [
      'nanosleep-rel-realtime',
      function* (t) {
        return yield* clock_nanosleep(t, CLOCK_REALTIME, 0, yield* timespec_new(t, 0, 100 * MS), 0);
      },
    ],
  ];
  runOk(
    function* (t) {
      word = yield* malloc(t, 4);
      piWord = yield* mmap_anonymous(t, 4096);
      t.store32(piWord, yield* syscall(t, SYS_GETTID)); // held by main: LOCK_PI waits
      const tp = yield* timespec_new(t);
      t0 = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
      yield* clock_gettime(t, CLOCK_REALTIME, tp);
      rt0 = timespec_load(t, tp);
      const threads: number[] = [];
      for (const [name, wait] of waiters) {
        const [, th] = yield* pthread_create(
          t,
          null,
          function* (g) {
            yield* ended(g, name, yield* wait(g));
            return 0;
          },
          null,
        );
        threads.push(th);
      }
      yield* sleep_ns(t, 10 * MS - ((yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t0));
      yield* clock_gettime(t, CLOCK_REALTIME, tp);
      const now = timespecAddNs(timespec_load(t, tp), stepMs * MS);
      timespec_store(t, tp, now.tv_sec, now.tv_nsec);
      log.push(`step=${yield* clock_settime(t, CLOCK_REALTIME, tp)}`);
      for (const th of threads) yield* pthread_join(t, th);
      return 0;
    },
    'fair',
    8,
  );
  return log.sort();
}

test('a realtime clock step moves absolute CLOCK_REALTIME waits both ways, and no relative or monotonic one', () => {
  const T = -ETIMEDOUT;
  const others = (at: number) => [
    `futex-monotonic=${T} at ${at}`,
    `futex-relative=${T} at ${at}`,
    `nanosleep-rel-realtime=0 at ${at}`,
  ];
  const realtime = (at: number) => [
    `futex-realtime=${T} at ${at}`,
    `lock-pi-realtime=${T} at ${at}`,
    `nanosleep-abs-realtime=0 at ${at}`,
  ];
  // Forward 50 ms at 10 ms: the realtime deadline (100 ms) is 40 ms away, so they end at 50 ms.
  assert.deepEqual(steppedWaits(50), [...realtime(50), ...others(100), 'step=0'].sort());
  // Back 50 ms: the realtime deadline is 140 ms away, so they end at 150 ms.
  assert.deepEqual(steppedWaits(-50), [...others(100), ...realtime(150), 'step=0'].sort());
  // Forward past the deadline: they end at once, at the step.
  assert.deepEqual(steppedWaits(200), [...realtime(10), ...others(100), 'step=0'].sort());
});
