// The sched_* and nice system calls (SCHED-7, LIBC-5): Linux's argument checks, errno values,
// privilege rules and deadline admission, through the libc wrappers; ENOSYS on the baseline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import { E2BIG, EACCES, EBUSY, EFAULT, EINVAL, ENOSYS, EPERM, ESRCH } from '../../../src/abi/errno.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import {
  PRIO_PGRP,
  PRIO_PROCESS,
  PRIO_USER,
  SCHED_ATTR,
  SCHED_BATCH,
  SCHED_DEADLINE,
  SCHED_FIFO,
  SCHED_IDLE,
  SCHED_OTHER,
  SCHED_RR,
  type SchedAttr,
} from '../../../src/abi/sched.ts';
import { SYS_SCHED_SETATTR, SYS_SCHED_SETSCHEDULER } from '../../../src/abi/syscalls.ts';
import { toRatio } from '../../../src/kernel/sched/deadline.ts';
import {
  getpriority,
  nice,
  sched_get_priority_max,
  sched_get_priority_min,
  sched_getattr,
  sched_getparam,
  sched_getscheduler,
  sched_rr_get_interval,
  sched_setattr,
  sched_setparam,
  sched_setscheduler,
  setpriority,
} from '../../../src/libc/sched.ts';
import { errno } from '../../../src/libc/errno.ts';
import { malloc } from '../../../src/libc/malloc.ts';
import { pthread_create, pthread_join } from '../../../src/libc/pthread.ts';
import { setuid } from '../../../src/libc/proc-handles.ts';
import { syscall } from '../../../src/libc/sys.ts';
import { runGuest } from '../../support/guest.ts';

/** A libc result as an errno: 0 on success, errno after -1, otherwise the value itself. */
const E = (t: Guest, r: number) => (r === -1 ? errno(t) : r);
/** The same for [result, value] pairs. */
const E2 = <V>(t: Guest, [r, v]: [number, V]): [number, V] => [E(t, r), v];

/** Runs `body` as the root program and returns what it recorded. */
function record(
  body: (t: Guest, out: Record<string, unknown>) => Program<void>,
  policy: 'fair' | 'dwrr' = 'fair',
  cpus = 1,
) {
  const out: Record<string, unknown> = {};
  const run = runGuest(
    function* (t) {
      yield* body(t, out);
      return 0;
    },
    null,
    { policy, cpus },
  );
  assert.equal(run.kernel.finished, true, run.kernel.stopReason ?? 'the root did not finish');
  return { out, run };
}

const dl = (runtimeNs: number, deadlineNs: number, periodNs: number): SchedAttr => ({
  policy: SCHED_DEADLINE,
  flags: 0,
  nice: 0,
  priority: 0,
  runtimeNs,
  deadlineNs,
  periodNs,
});

test('priority ranges: 1..99 for FIFO and RR, 0..0 for the others, EINVAL for an unknown policy', () => {
  const { out } = record(function* (t, out) {
    const policies = [SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE, 4, 7, -1];
    const ranges: [number, number, number, number][] = [];
    for (const p of policies) {
      const max = yield* sched_get_priority_max(t, p);
      const e1 = max === -1 ? errno(t) : 0;
      const min = yield* sched_get_priority_min(t, p);
      const e2 = min === -1 ? errno(t) : 0;
      ranges.push([e1, max, e2, min]);
    }
    out.ranges = ranges;
  });
  assert.deepEqual(out.ranges, [
    [0, 0, 0, 0],
    [0, 99, 0, 1],
    [0, 99, 0, 1],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [EINVAL, -1, EINVAL, -1],
    [EINVAL, -1, EINVAL, -1],
    [EINVAL, -1, EINVAL, -1],
  ]);
});

test('sched_setscheduler checks policy, priority and pid as Linux does, and the change reads back', () => {
  const { out } = record(function* (t, out) {
    out.errors = [
      E(t, yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: 0 })), // RT needs 1..99
      E(t, yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: 100 })),
      E(t, yield* sched_setscheduler(t, 0, SCHED_OTHER, { sched_priority: 5 })), // normal needs 0
      E(t, yield* sched_setscheduler(t, 0, 9, { sched_priority: 0 })),
      E(t, yield* sched_setscheduler(t, 0, SCHED_DEADLINE, { sched_priority: 0 })), // no runtime given
      E(t, yield* sched_setscheduler(t, 0, SCHED_BATCH, { sched_priority: 0 })), // not implemented
      E(t, yield* sched_setscheduler(t, 4242, SCHED_FIFO, { sched_priority: 10 })),
      E(t, yield* sched_setscheduler(t, -3, SCHED_FIFO, { sched_priority: 10 })),
      -(yield* syscall(t, SYS_SCHED_SETSCHEDULER, 0, SCHED_FIFO, 0)), // NULL param
      -(yield* syscall(t, SYS_SCHED_SETSCHEDULER, 0, SCHED_FIFO, 0x1000)), // unmapped param
    ];
    out.set = E(t, yield* sched_setscheduler(t, 0, SCHED_RR, { sched_priority: 42 }));
    out.policy = E(t, yield* sched_getscheduler(t, 0));
    out.param = E2(t, yield* sched_getparam(t, t.tid));
    out.setparam = E(t, yield* sched_setparam(t, 0, { sched_priority: 7 }));
    out.param2 = E2(t, yield* sched_getparam(t, 0));
    out.rr = E2(t, yield* sched_rr_get_interval(t, 0));
    E(t, yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: 7 }));
    out.fifo = E2(t, yield* sched_rr_get_interval(t, 0));
    out.back = E(t, yield* sched_setscheduler(t, 0, SCHED_OTHER, { sched_priority: 0 }));
    out.otherParam = E2(t, yield* sched_getparam(t, 0));
    out.missing = [
      E(t, yield* sched_getscheduler(t, 4242)),
      E2(t, yield* sched_getparam(t, 4242)),
      E2(t, yield* sched_rr_get_interval(t, 4242)),
    ];
  });
  assert.deepEqual(out.errors, [
    EINVAL,
    EINVAL,
    EINVAL,
    EINVAL,
    EINVAL,
    EINVAL,
    ESRCH,
    EINVAL,
    EINVAL,
    EFAULT,
  ]);
  assert.equal(out.set, 0);
  assert.equal(out.policy, SCHED_RR);
  assert.deepEqual(out.param, [0, { sched_priority: 42 }]);
  assert.equal(out.setparam, 0);
  assert.deepEqual(out.param2, [0, { sched_priority: 7 }]);
  assert.deepEqual(out.rr, [0, 100_000_000], 'RR_TIMESLICE is 100 ms');
  assert.deepEqual(out.fifo, [0, 0], 'FIFO has no timeslice');
  assert.equal(out.back, 0);
  assert.deepEqual(out.otherParam, [0, { sched_priority: 0 }]);
  assert.deepEqual(out.missing, [ESRCH, [ESRCH, null], [ESRCH, -1]]);
});

test('a lone SCHED_OTHER thread on one CPU has a 6 ms round-robin interval (the CFS period)', () => {
  const { out } = record(function* (t, out) {
    out.rr = E2(t, yield* sched_rr_get_interval(t, 0));
  });
  assert.deepEqual(out.rr, [0, 6_000_000]);
});

test('setpriority/getpriority: nice -20..19 clamps, PRIO_PROCESS names a thread, getpriority reads back', () => {
  const { out, run } = record(function* (t, out) {
    let childTid = 0;
    const [, child] = yield* pthread_create(
      t,
      null,
      function* (c) {
        yield c.compute(3_000_000);
        return 0;
      },
      null,
    );
    childTid = t.load32(child); // the descriptor's first word is the tid
    out.set = [
      E(t, yield* setpriority(t, PRIO_PROCESS, 0, 5)),
      E(t, yield* setpriority(t, PRIO_PROCESS, childTid, -30)), // clamps to -20
      E(t, yield* setpriority(t, PRIO_PROCESS, 4242, 1)),
      E(t, yield* setpriority(t, PRIO_PGRP, 0, 1)), // no process groups
      E(t, yield* setpriority(t, 7, 0, 1)),
    ];
    out.get = [
      yield* getpriority(t, PRIO_PROCESS, 0),
      yield* getpriority(t, PRIO_PROCESS, childTid),
      E(t, yield* getpriority(t, PRIO_PROCESS, 4242)),
      yield* getpriority(t, PRIO_USER, 0), // the best of this uid's threads
    ];
    out.nice = yield* nice(t, 3);
    out.prioOfSelf = t.tid;
    yield* pthread_join(t, child);
  });
  assert.deepEqual(out.set, [0, 0, ESRCH, EINVAL, EINVAL]);
  assert.deepEqual(out.get, [5, -20, ESRCH, -20]); // ESRCH: -1 with errno set
  assert.equal(out.nice, 8);
  assert.equal(run.kernel.threads.get(out.prioOfSelf as number)!.prio, 28, 'Thread.prio = nice + 20');
});

test('unprivileged (after setuid): no RT class, no deadline, no lower nice; raising nice is allowed', () => {
  const { out } = record(function* (t, out) {
    // Root may enter FIFO; keep it to check what an unprivileged caller may still do.
    E(t, yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: 10 }));
    out.setuid = yield* setuid(t, 1000);
    out.errors = [
      E(t, yield* sched_setscheduler(t, 0, SCHED_RR, { sched_priority: 10 })), // another RT class
      E(t, yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: 11 })), // a higher priority
      E(t, yield* sched_setattr(t, 0, dl(1_000_000, 10_000_000, 10_000_000))),
      yield* setuid(t, 0), // no way back (errno EPERM)
    ];
    out.lowerFifo = E(t, yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: 9 }));
    out.toOther = E(t, yield* sched_setscheduler(t, 0, SCHED_OTHER, { sched_priority: 0 }));
    out.raiseNice = E(t, yield* setpriority(t, PRIO_PROCESS, 0, 4));
    out.lowerNice = [
      E(t, yield* setpriority(t, PRIO_PROCESS, 0, 3)),
      E(t, yield* sched_setattr(t, 0, { ...dl(0, 0, 0), policy: SCHED_OTHER, nice: 2 })),
      E(t, yield* nice(t, -1)),
    ];
    out.finalNice = yield* getpriority(t, PRIO_PROCESS, 0);
  });
  assert.equal(out.setuid, 0);
  assert.deepEqual(out.errors, [EPERM, EPERM, EPERM, EPERM]);
  assert.equal(out.lowerFifo, 0);
  assert.equal(out.toOther, 0);
  assert.equal(out.raiseNice, 0);
  assert.deepEqual(out.lowerNice, [EACCES, EPERM, EPERM]);
  assert.equal(out.finalNice, 4);
});

test('sched_setattr/getattr round-trip a deadline reservation; bad parameters are EINVAL', () => {
  const { out } = record(function* (t, out) {
    out.bad = [
      E(t, yield* sched_setattr(t, 0, dl(1_000, 10_000_000, 10_000_000))), // runtime < 1024 ns
      E(t, yield* sched_setattr(t, 0, dl(2_000_000, 1_000_000, 10_000_000))), // runtime > deadline
      E(t, yield* sched_setattr(t, 0, dl(1_000_000, 10_000_000, 5_000_000))), // deadline > period
      E(t, yield* sched_setattr(t, 0, dl(10_000, 50_000, 50_000))), // period < 100 µs
      E(t, yield* sched_setattr(t, 0, dl(1_000_000, 0, 10_000_000))), // no deadline
      E(t, yield* sched_setattr(t, 0, { ...dl(1_000_000, 10_000_000, 10_000_000), flags: 1 })), // flags
      E(t, yield* sched_setattr(t, 0, dl(1_000_000, 10_000_000, 10_000_000), 1)), // syscall flags
    ];
    const small = yield* malloc(t, 64);
    t.store32(small + SCHED_ATTR.size, 40);
    out.e2big = -(yield* syscall(t, SYS_SCHED_SETATTR, 0, small, 0));
    out.sizeBack = t.load32(small + SCHED_ATTR.size);
    out.ok = E(t, yield* sched_setattr(t, 0, dl(2_000_000, 8_000_000, 0))); // period 0: = deadline
    out.attr = E2(t, yield* sched_getattr(t, 0));
    out.policy = E(t, yield* sched_getscheduler(t, 0));
    out.rr = E2(t, yield* sched_rr_get_interval(t, 0));
    out.setparam = E(t, yield* sched_setparam(t, 0, { sched_priority: 0 }));
  });
  assert.deepEqual(out.bad, [EINVAL, EINVAL, EINVAL, EINVAL, EINVAL, EINVAL, EINVAL]);
  assert.equal(out.e2big, E2BIG);
  assert.equal(out.sizeBack, 56, 'the kernel writes back the size it knows');
  assert.equal(out.ok, 0);
  assert.deepEqual(out.attr, [
    0,
    {
      policy: SCHED_DEADLINE,
      flags: 0,
      nice: 0,
      priority: 0,
      runtimeNs: 2_000_000,
      deadlineNs: 8_000_000,
      periodNs: 8_000_000,
    },
  ]);
  assert.equal(out.policy, SCHED_DEADLINE);
  assert.deepEqual(out.rr, [0, 0]);
  assert.equal(out.setparam, 0);
});

test('admission control: sum(runtime/period) may reach 0.95 per CPU and no more (EBUSY)', () => {
  // 2 CPUs: cap = to_ratio(1 s, 0.95 s) × 2 = 996147 × 2 in 20-bit fixed point.
  assert.equal(toRatio(1_000_000_000, 950_000_000), 996147);
  const results: number[] = [];
  record(
    function* (t) {
      const tids: number[] = [];
      const workers = [];
      for (let i = 0; i < 5; i++) {
        const [, th] = yield* pthread_create(
          t,
          null,
          function* (c) {
            yield c.compute(300_000);
            return 0;
          },
          null,
        );
        workers.push(th);
        tids.push(t.load32(th));
      }
      // 0.4 + 0.4 + 0.4 + 0.4 = 1.6; a fifth 0.4 would make 2.0 > 1.9: refused.
      for (const tid of [0, ...tids.slice(0, 4)])
        results.push(E(t, yield* sched_setattr(t, tid, dl(4_000_000, 10_000_000, 10_000_000))));
      // 1.6 + 0.31 = 1.91 is over the cap of 1.9; 1.6 + 0.29 = 1.89 is within it.
      results.push(E(t, yield* sched_setattr(t, tids[4]!, dl(3_100_000, 10_000_000, 10_000_000))));
      results.push(E(t, yield* sched_setattr(t, tids[4]!, dl(2_900_000, 10_000_000, 10_000_000))));
      // Shrinking an admitted reservation always fits.
      results.push(E(t, yield* sched_setattr(t, 0, dl(1_000_000, 10_000_000, 10_000_000))));
      E(t, yield* sched_setscheduler(t, 0, SCHED_OTHER, { sched_priority: 0 }));
      for (const w of workers) yield* pthread_join(t, w);
    },
    'fair',
    2,
  );
  assert.deepEqual(results, [0, 0, 0, 0, EBUSY, EBUSY, 0, 0]);
});

test('the baseline (dwrr) has no sched_* calls: ENOSYS; setpriority sets the Redox level', () => {
  const { out, run } = record(function* (t, out) {
    out.enosys = [
      E(t, yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: 10 })),
      E(t, yield* sched_getscheduler(t, 0)),
      E(t, yield* sched_get_priority_max(t, SCHED_FIFO)),
      E2(t, yield* sched_rr_get_interval(t, 0))[0],
      E(t, yield* sched_setattr(t, 0, dl(1_000_000, 10_000_000, 10_000_000))),
    ];
    out.nice = E(t, yield* setpriority(t, PRIO_PROCESS, 0, -5));
    out.get = yield* getpriority(t, PRIO_PROCESS, 0);
    out.tid = t.tid;
  }, 'dwrr');
  assert.deepEqual(out.enosys, [ENOSYS, ENOSYS, ENOSYS, ENOSYS, ENOSYS]);
  assert.equal(out.nice, 0);
  assert.equal(out.get, -5);
  assert.equal(run.kernel.threads.get(out.tid as number)!.prio, 15);
});
