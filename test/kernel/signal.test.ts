/**
 * Signals and the waits they interrupt (FUTEX-8): handlers, masks, sigtimedwait, default
 * actions, EINTR from futex waits and nanosleep in each futex mode, and
 * the errors of each call.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { EAGAIN, EFAULT, EINTR, EINVAL, ESRCH, ETIMEDOUT } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import {
  SA_RESTART,
  SIG_BLOCK,
  SIG_IGN,
  SIGCHLD,
  SIGKILL,
  SIGTERM,
  SIGUSR1,
  SIGUSR2,
  sigBit,
} from '../../src/abi/signal.ts';
import { CLOCK_MONOTONIC, SYS_FUTEX, SYS_GETTID, WIFSIGNALED, WTERMSIG } from '../../src/abi/syscalls.ts';
import type { FutexMode } from '../../src/kernel/futex/table.ts';
import { malloc } from '../../src/libc/malloc.ts';
import { pthread_create, pthread_join } from '../../src/libc/pthread.ts';
import { spawn, waitpid } from '../../src/libc/process.ts';
import {
  kill,
  pthread_kill,
  pthread_sigmask,
  sigaction,
  sigpending,
  sigtimedwait,
} from '../../src/libc/signal.ts';
import { futex_wait, futex_wake, syscall } from '../../src/libc/sys.ts';
import { errno } from '../../src/libc/errno.ts';
import {
  clock_gettime_ns,
  nanosleep,
  sleep_ns,
  timespec_load,
  timespec_new,
  timespec_ns,
  timespec_store,
} from '../../src/libc/time.ts';
import { runGuest } from '../support/guest.ts';

const MS = 1_000_000;

interface Shared {
  word: number;
  tid: number;
  log: string[];
}

/** A thread that publishes its tid, then waits on `word` and logs what the wait returned. */
function* futexSleeper(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  s.tid = yield* syscall(t, SYS_GETTID);
  const r = yield* futex_wait(t, s.word, 0);
  s.log.push(`wait=${r}`);
  return 0;
}

function* onUsr1(_t: Guest, sig: number): Program<void> {
  current?.push(`handler ${sig}`);
}
let current: string[] | null = null;

/** Main: installs a USR1 handler, starts a sleeper, signals it after 1 ms, joins. */
function interruptedWait(mode: FutexMode): string[] {
  const log: string[] = [];
  current = log;
  function* main(t: Guest): Program<number> {
    log.push(`sigaction=${yield* sigaction(t, SIGUSR1, { handler: onUsr1, mask: 0, flags: 0 })}`);
    const s: Shared = { word: yield* malloc(t, 4), tid: 0, log };
    const [, th] = yield* pthread_create(t, null, futexSleeper, s);
    yield* sleep_ns(t, 1 * MS);
    log.push(`kill=${yield* pthread_kill(t, s.tid, SIGUSR1)}`);
    yield* pthread_join(t, th);
    return 0;
  }
  const run = runGuest(main, null, { cpus: 2, futex: { mode, shards: mode === 'redox' ? 1 : 64 } });
  assert.equal(run.reason, 'stopped');
  current = null;
  return log;
}

test('a signal ends a linux-mode futex wait with EINTR, after its handler ran on the waiter', () => {
  assert.deepEqual(interruptedWait('linux'), ['sigaction=0', 'kill=0', 'handler 10', `wait=${-EINTR}`]);
});

test('Redox returns 0 from a signal-interrupted futex wait, as its code does (models.md §2)', () => {
  assert.deepEqual(interruptedWait('redox'), ['sigaction=0', 'kill=0', 'handler 10', 'wait=0']);
});

test('a signal already pending stops a futex wait before it blocks, in every mode', () => {
  for (const mode of ['redox', 'linux'] as const) {
    const log: string[] = [];
    function* main(t: Guest): Program<number> {
      yield* sigaction(t, SIGUSR1, { handler: onUsr1, mask: 0, flags: 0 });
      const [, old] = yield* pthread_sigmask(t, SIG_BLOCK, sigBit(SIGUSR1));
      log.push(`old=${old}`);
      const me = yield* syscall(t, SYS_GETTID);
      yield* pthread_kill(t, me, SIGUSR1);
      log.push(`pending=${yield* sigpending(t)}`);
      // Unblocking delivers it on the way out of rt_sigprocmask, so the wait below blocks.
      yield* pthread_sigmask(t, 1, sigBit(SIGUSR1));
      const word = yield* malloc(t, 4);
      log.push(`timed=${yield* futex_wait(t, word, 0, yield* timespec_ns(t, 1 * MS))}`);
      return 0;
    }
    current = log;
    runGuest(main, null, { futex: { mode, shards: 1 } });
    current = null;
    assert.deepEqual(log, ['old=0', `pending=${sigBit(SIGUSR1)}`, 'handler 10', `timed=${-ETIMEDOUT}`], mode);
  }
});

test('a blocked signal does not interrupt; sigtimedwait takes it, and times out with EAGAIN', () => {
  const log: string[] = [];
  function* sender(t: Guest, raw: unknown): Program<number> {
    const s = raw as { tid: number };
    yield* sleep_ns(t, 2 * MS);
    log.push(`kill=${yield* pthread_kill(t, s.tid, SIGUSR2)}`);
    return 0;
  }
  function* main(t: Guest): Program<number> {
    const s = { tid: yield* syscall(t, SYS_GETTID) };
    yield* pthread_sigmask(t, SIG_BLOCK, sigBit(SIGUSR2));
    const [, th] = yield* pthread_create(t, null, sender, s);
    const t0 = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
    log.push(`sleep=${yield* sleep_ns(t, 5 * MS)}`); // not interrupted: USR2 is blocked
    log.push(`slept>=5ms=${(yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t0 >= 5 * MS}`);
    log.push(`take=${yield* sigtimedwait(t, sigBit(SIGUSR2), yield* timespec_ns(t, 0))}`);
    log.push(`again=${yield* sigtimedwait(t, sigBit(SIGUSR2), yield* timespec_ns(t, 1 * MS))}`);
    yield* pthread_join(t, th);
    return 0;
  }
  runGuest(main, null, { cpus: 2 });
  assert.deepEqual(log, ['kill=0', 'sleep=0', 'slept>=5ms=true', `take=${SIGUSR2}`, `again=${-EAGAIN}`]);
});

test('sigtimedwait wakes when a signal of its set arrives, though the set is blocked', () => {
  const log: string[] = [];
  function* waiter(t: Guest, raw: unknown): Program<number> {
    const s = raw as Shared;
    yield* pthread_sigmask(t, SIG_BLOCK, sigBit(SIGUSR1));
    s.tid = yield* syscall(t, SYS_GETTID);
    const t0 = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
    const sig = yield* sigtimedwait(t, sigBit(SIGUSR1));
    log.push(`sig=${sig} after=${Math.round(((yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t0) / MS)}ms`);
    return 0;
  }
  function* main(t: Guest): Program<number> {
    const s: Shared = { word: 0, tid: 0, log };
    const [, th] = yield* pthread_create(t, null, waiter, s);
    yield* sleep_ns(t, 3 * MS);
    yield* pthread_kill(t, s.tid, SIGUSR1);
    yield* pthread_join(t, th);
    return 0;
  }
  runGuest(main, null, { cpus: 2 });
  // The sender's 3 ms nanosleep ends at its deadline (the improved kernel's hrtimer, within its
  // 50 us slack), not at the next 1 ms LAPIC tick as a tick-timed kernel would end it.
  assert.deepEqual(log, [`sig=${SIGUSR1} after=3ms`]);
});

test('default actions: SIGTERM and SIGKILL end a process with that signal; SIGCHLD is ignored', () => {
  const statuses: number[] = [];
  function* victim(t: Guest): Program<number> {
    yield* sleep_ns(t, 100 * MS);
    return 0;
  }
  function* main(t: Guest): Program<number> {
    for (const sig of [SIGTERM, SIGKILL, SIGCHLD]) {
      const pid = yield* spawn(t, { name: 'victim', main: victim }, null);
      yield* sleep_ns(t, 1 * MS);
      statuses.push(yield* kill(t, pid, sig));
      const [, status] = yield* waitpid(t, pid);
      statuses.push(WIFSIGNALED(status) ? WTERMSIG(status) : -1);
    }
    return 0;
  }
  runGuest(main, null, { cpus: 2 });
  assert.deepEqual(statuses, [0, SIGTERM, 0, SIGKILL, 0, -1]);
});

test('SIG_IGN discards a signal; kill, tgkill and sigaction reject bad arguments', () => {
  const got: number[] = [];
  function* main(t: Guest): Program<number> {
    const me = yield* syscall(t, SYS_GETTID);
    got.push(yield* sigaction(t, SIGUSR1, { handler: SIG_IGN, mask: 0, flags: 0 }));
    got.push(yield* pthread_kill(t, me, SIGUSR1));
    got.push(yield* sigpending(t));
    got.push(yield* kill(t, t.pid, 33)); // beyond the modelled set
    got.push(yield* kill(t, 999, SIGUSR1));
    got.push(yield* kill(t, 0, SIGUSR1)); // process groups are not modelled
    got.push(yield* pthread_kill(t, 999, SIGUSR1));
    got.push(yield* sigaction(t, SIGKILL, { handler: SIG_IGN, mask: 0, flags: 0 }));
    got.push(yield* kill(t, t.pid, 0)); // existence check
    const [err] = yield* pthread_sigmask(t, 7, 0);
    got.push(err);
    return 0;
  }
  runGuest(main, null);
  assert.deepEqual(got, [0, 0, 0, -EINVAL, -ESRCH, -EINVAL, ESRCH, -EINVAL, 0, EINVAL]);
});

test('nanosleep returns EINTR when a handled signal arrives, and the time left at rem', () => {
  const log: string[] = [];
  let leftNs = -1;
  let sleptNs = -1;
  function* sleeper(t: Guest, raw: unknown): Program<number> {
    const s = raw as Shared;
    s.tid = yield* syscall(t, SYS_GETTID);
    const req = yield* timespec_new(t, 0, 50 * MS);
    const rem = yield* timespec_new(t, 7, 7);
    const t0 = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
    log.push(`sleep=${yield* nanosleep(t, req, rem)} errno=${errno(t)}`);
    sleptNs = (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t0;
    const left = timespec_load(t, rem);
    leftNs = left.tv_sec * 1e9 + left.tv_nsec;
    return 0;
  }
  function* main(t: Guest): Program<number> {
    yield* sigaction(t, SIGUSR1, { handler: onUsr1, mask: 0, flags: 0 });
    const s: Shared = { word: 0, tid: 0, log };
    const [, th] = yield* pthread_create(t, null, sleeper, s);
    yield* sleep_ns(t, 1 * MS);
    yield* pthread_kill(t, s.tid, SIGUSR1);
    yield* pthread_join(t, th);
    return 0;
  }
  current = log;
  runGuest(main, null, { cpus: 2 });
  current = null;
  assert.deepEqual(log, ['handler 10', `sleep=-1 errno=${EINTR}`]);
  // rem is the request less the time slept in the kernel: the reading after the call comes a
  // syscall (and the handler's run) later than the EINTR, the one before a syscall earlier.
  assert.ok(sleptNs > 1 * MS && sleptNs < 2 * MS, `slept ${sleptNs}`);
  assert.ok(
    leftNs > 50 * MS - sleptNs && leftNs <= 50 * MS - sleptNs + 20_000,
    `left ${leftNs}, slept ${sleptNs}`,
  );
});

test('fair: a context woken early and re-armed does not hold back the timers armed between', () => {
  // A arms at 10 ms, B at 20 ms; A is woken at 1 ms and re-arms at 51 ms. A stale entry for A
  // at the head of the timer list once kept B waiting until 51 ms.
  const log: string[] = [];
  let t0 = 0;
  function* a(t: Guest, raw: unknown): Program<number> {
    log.push(`a1=${yield* futex_wait(t, raw as number, 0, yield* timespec_ns(t, 10 * MS))}`);
    log.push(`a2=${yield* futex_wait(t, raw as number, 0, yield* timespec_ns(t, 50 * MS))}`);
    return 0;
  }
  function* b(t: Guest, raw: unknown): Program<number> {
    const r = yield* futex_wait(t, raw as number, 0, yield* timespec_ns(t, 20 * MS));
    log.push(`b=${r} at ${Math.round(((yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t0) / MS)}ms`);
    return 0;
  }
  function* main(t: Guest): Program<number> {
    const words = yield* malloc(t, 8);
    t0 = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
    const [, ta] = yield* pthread_create(t, null, a, words);
    const [, tb] = yield* pthread_create(t, null, b, words + 4);
    yield* sleep_ns(t, 1 * MS);
    yield* syscall(t, SYS_FUTEX, words, 1, 1);
    yield* pthread_join(t, ta);
    yield* pthread_join(t, tb);
    return 0;
  }
  // Tick-timed (fair's own timer list): B ends at the tick after 20 ms. With hrtimers A's cancel
  // takes its timer off the queue, and B ends at 20 ms, within its 50 us slack.
  runGuest(main, null, { cpus: 1, futex: { mode: 'linux', shards: 64 }, hrtimers: false });
  assert.deepEqual(log, ['a1=0', `b=${-ETIMEDOUT} at 21ms`, `a2=${-ETIMEDOUT}`]);
  log.length = 0;
  runGuest(main, null, { cpus: 1, futex: { mode: 'linux', shards: 64 } });
  assert.deepEqual(log, ['a1=0', `b=${-ETIMEDOUT} at 20ms`, `a2=${-ETIMEDOUT}`]);
});

/**
 * Linux's futex_wait returns -ERESTARTSYS to a signal when it has no timeout: restarted after a
 * handler with SA_RESTART (here the restarted wait is then woken: 0), EINTR without it. With a
 * timeout it returns -ERESTART_RESTARTBLOCK, which a handler turns into EINTR, SA_RESTART or not.
 */
function restartedWait(flags: number, timeoutNs: number): string[] {
  const log: string[] = [];
  current = log;
  function* sleeper(t: Guest, raw: unknown): Program<number> {
    const s = raw as Shared;
    s.tid = yield* syscall(t, SYS_GETTID);
    const timeout = timeoutNs < 0 ? 0 : yield* timespec_ns(t, timeoutNs); // 0: no timeout
    s.log.push(`wait=${yield* futex_wait(t, s.word, 0, timeout)}`);
    return 0;
  }
  function* main(t: Guest): Program<number> {
    yield* sigaction(t, SIGUSR1, { handler: onUsr1, mask: 0, flags });
    const s: Shared = { word: yield* malloc(t, 4), tid: 0, log };
    const [, th] = yield* pthread_create(t, null, sleeper, s);
    yield* sleep_ns(t, 1 * MS);
    log.push(`kill=${yield* pthread_kill(t, s.tid, SIGUSR1)}`);
    yield* sleep_ns(t, 1 * MS);
    log.push(`wake=${yield* futex_wake(t, s.word, 1)}`);
    yield* pthread_join(t, th);
    return 0;
  }
  const run = runGuest(main, null, { cpus: 2, futex: { mode: 'linux', shards: 64 } });
  current = null;
  assert.equal(run.kernel.finished, true, run.kernel.stopReason ?? 'the run did not finish');
  assert.deepEqual(run.kernel.faults, []);
  return log;
}

test('linux: an untimed futex wait interrupted by an SA_RESTART handler is restarted; without it, EINTR', () => {
  assert.deepEqual(restartedWait(SA_RESTART, -1), ['kill=0', 'handler 10', 'wake=1', 'wait=0']);
  assert.deepEqual(restartedWait(0, -1), ['kill=0', 'handler 10', `wait=${-EINTR}`, 'wake=0']);
});

test('linux: a timed futex wait interrupted by a handler returns EINTR even under SA_RESTART', () => {
  assert.deepEqual(restartedWait(SA_RESTART, 50 * MS), ['kill=0', 'handler 10', `wait=${-EINTR}`, 'wake=0']);
});

test('sigtimedwait takes a relative struct timespec: EINVAL when it is not a time, EFAULT when unreadable', () => {
  const log: number[] = [];
  runGuest(function* (t) {
    const ts = yield* timespec_new(t, 0, 1_000_000_000);
    log.push(yield* sigtimedwait(t, sigBit(SIGUSR2), ts));
    timespec_store(t, ts, -1, 0);
    log.push(yield* sigtimedwait(t, sigBit(SIGUSR2), ts));
    log.push(yield* sigtimedwait(t, sigBit(SIGUSR2), 0x20000));
    timespec_store(t, ts, 0, 2 * MS);
    const t0 = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
    log.push(yield* sigtimedwait(t, sigBit(SIGUSR2), ts));
    // 2 ms, within the 50 us timer slack (schedule_hrtimeout_range), rounded to whole ms.
    log.push(Math.round(((yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t0) / MS));
    return 0;
  }, null);
  assert.deepEqual(log, [-EINVAL, -EINVAL, -EFAULT, -EAGAIN, 2]);
});
