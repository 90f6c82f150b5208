// A dead non-leader thread leaves the thread table at its last switch (Linux exit_notify ->
// release_task for an autoreaped thread, kernel/exit.c; issue 19): a process that creates and
// joins 1000 threads keeps a table the size of its live threads, while joins, tids, the
// process's CPU clock and the per-thread record (kernel.releasedThreads) stay right. The group
// leader stays until its process is released (delay_group_leader).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { type Guest, sys } from '../../src/abi/guest.ts';
import { CLOCK_PROCESS_CPUTIME_ID, SYS_EXIT_GROUP, SYS_PROC_NEW_THREAD } from '../../src/abi/syscalls.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { cpuTimeOfTid } from '../../src/kernel/thread-release.ts';
import { ThreadState } from '../../src/kernel/thread.ts';
import { spawn, waitpid } from '../../src/libc/process.ts';
import { pthread_create, pthread_join, type pthread_t } from '../../src/libc/pthread.ts';
import { clock_gettime_ns, sleep_ns } from '../../src/libc/time.ts';
import { bootGuest } from '../support/guest.ts';

const THREADS = 1000;
const BATCH = 8;
const CPUS = 2;
const WORK_CYCLES = 30_000; // 10 us at 3 GHz

interface Seen {
  joined: number[];
  tids: number[];
  processCpuNs: number;
  pid: number;
}

function* churn(t: Guest, seen: Seen): Program<number> {
  for (let base = 0; base < THREADS; base += BATCH) {
    const handles: pthread_t[] = [];
    for (let i = base; i < base + BATCH; i++) {
      const [err, th] = yield* pthread_create(
        t,
        null,
        function* (g: Guest, n: unknown): Program<number> {
          seen.tids[n as number] = g.tid;
          yield g.compute(WORK_CYCLES);
          return (n as number) * 3;
        },
        i,
      );
      assert.equal(err, 0);
      handles.push(th);
    }
    for (const th of handles) {
      const [err, value] = yield* pthread_join(t, th);
      assert.equal(err, 0);
      seen.joined.push(value as number);
    }
  }
  seen.processCpuNs = yield* clock_gettime_ns(t, CLOCK_PROCESS_CPUTIME_ID);
  return 0;
}

function run(): { k: Kernel; seen: Seen; maxTable: number; maxOwn: number } {
  const seen: Seen = { joined: [], tids: [], processCpuNs: 0, pid: 0 };
  const machine = bootGuest(
    function* (t) {
      seen.pid = yield* spawn(t, { name: 'churn', main: (g: Guest) => churn(g, seen) }, null);
      yield* waitpid(t, seen.pid);
      return 0;
    },
    null,
    { cpus: CPUS, futex: { mode: 'linux', shards: 64 }, libc: 'improved', checkInvariants: false },
  );
  const k = machine.kernel;
  let maxTable = 0;
  let maxOwn = 0;
  k.switchListeners.push(() => {
    maxTable = Math.max(maxTable, k.threads.size);
    maxOwn = Math.max(maxOwn, k.processes.get(seen.pid)?.threads.size ?? 0);
  });
  machine.board.engine.run({ simNsMax: 10_000_000_000, eventsMax: 5_000_000 });
  return { k, seen, maxTable, maxOwn };
}

test('1000 created and joined threads: the table stays at the live threads, joins and tids right', () => {
  const { k, seen, maxTable, maxOwn } = run();
  assert.equal(k.finished, true);
  assert.equal(k.stats.threadsCreated, THREADS + 2, 'the root, churn and its 1000');
  // At most a batch alive beside the two leaders, plus a thread per CPU dead but not yet switched
  // out; without the release the table grows to 1002.
  assert.ok(maxTable <= 2 + BATCH + CPUS, `thread table reached ${maxTable}`);
  assert.ok(maxOwn <= 1 + BATCH + CPUS, `churn's own set reached ${maxOwn}`);
  assert.ok(maxTable > 2 + 1, `threads of a batch were alive together (${maxTable})`);
  assert.deepEqual(
    seen.joined,
    Array.from({ length: THREADS }, (_, i) => i * 3),
  );
  // tids only grow: none is reused although each was released before the next was created.
  for (let i = 1; i < THREADS; i++) assert.ok(seen.tids[i]! > seen.tids[i - 1]!, `tid ${i} reused`);
  const p = k.processes.get(seen.pid)!;
  assert.deepEqual(
    [...p.threads].map((th) => [th.id, th.state]),
    [[p.leader!.id, ThreadState.Dead]],
    'only the group leader is left, dead',
  );
  assert.equal(k.threads.size, 2, "the root's and churn's leaders");
});

test("a released thread keeps its record: tid, pid, name and CPU time, in the process's clock", () => {
  const { k, seen } = run();
  assert.equal(k.releasedThreads.size, THREADS);
  let sumNs = 0;
  for (const tid of seen.tids) {
    const r = k.releasedThreads.get(tid)!;
    assert.deepEqual([r.tid, r.pid, r.name], [tid, seen.pid, 'churn']);
    assert.ok(r.cpuTimeNs >= 9_000 && r.cpuTimeNs < 100_000, `tid ${tid} ran ${r.cpuTimeNs} ns`);
    assert.equal(cpuTimeOfTid(k, tid), r.cpuTimeNs);
    sumNs += r.cpuTimeNs;
  }
  const p = k.processes.get(seen.pid)!;
  assert.equal(p.releasedCpuNs, sumNs);
  // CLOCK_PROCESS_CPUTIME_ID read by the leader: the released threads' sum plus its own time.
  assert.ok(seen.processCpuNs > sumNs, 'the released time is in the clock');
  assert.ok(seen.processCpuNs <= sumNs + p.leader!.cpuTimeNs, 'and nothing more than the leader');
  assert.equal(cpuTimeOfTid(k, 999_999), undefined);
});

test('a thread killed before it was started leaves the table at once, not with its process', () => {
  const UNSTARTED = 10;
  let childPid = 0;
  let tableWhileZombie = -1;
  const created: number[] = [];
  const machine = bootGuest(
    function* (t) {
      childPid = yield* spawn(
        t,
        {
          name: 'unstarted',
          main: function* (g: Guest): Program<number> {
            // proc:new-thread without proc:start: contexts that never run, then exit_group.
            for (let i = 0; i < UNSTARTED; i++) created.push(yield* sys(g, SYS_PROC_NEW_THREAD));
            yield* sys(g, SYS_EXIT_GROUP, 0);
            return 0;
          },
        },
        null,
      );
      yield* sleep_ns(t, 5_000_000); // the child has exited: a zombie until the wait
      tableWhileZombie = machine.kernel.threads.size;
      yield* waitpid(t, childPid);
      return 0;
    },
    null,
    { cpus: CPUS },
  );
  machine.board.engine.run({ simNsMax: 1_000_000_000, eventsMax: 1_000_000 });
  const k = machine.kernel;
  assert.equal(k.finished, true);
  assert.equal(created.length, UNSTARTED);
  assert.ok(created.every((tid) => tid > 0));
  // The root's thread and the child's leader (the child stays: the root's workload table);
  // before, the ten unstarted contexts stayed too (12).
  assert.equal(tableWhileZombie, 2);
  assert.equal(k.processes.get(childPid)!.threads.size, 1);
  for (const tid of created) {
    assert.equal(k.threads.has(tid), false);
    assert.equal(k.releasedThreads.get(tid)?.cpuTimeNs, 0);
  }
});
