// A reaped process leaves the kernel's tables (Linux release_task, kernel/exit.c, issue 19): its
// pid answers ESRCH once wait4 reaped it (0 while a zombie), its threads leave the thread table,
// its parent's children list shrinks, and pids only grow (none reused). The root's own children
// stay: they are the harness's workload table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import type { Guest, ProgramImage } from '../../src/abi/guest.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { ProcessState } from '../../src/kernel/process.ts';
import { spawn, waitpid } from '../../src/libc/process.ts';
import { kill } from '../../src/libc/signal.ts';
import { sleep_ns } from '../../src/libc/time.ts';
import { runGuest } from '../support/guest.ts';

const ESRCH = 3;
const MS = 1_000_000;
const ROUNDS = 4;

const quick: ProgramImage = {
  name: 'quick',
  main: function* (): Program<number> {
    return 3;
  },
};

interface Seen {
  pids: number[];
  zombieKill: number[];
  reapedKill: number[];
  statuses: number[];
}

function middle(seen: Seen): ProgramImage {
  return {
    name: 'middle',
    main: function* (t: Guest): Program<number> {
      for (let i = 0; i < ROUNDS; i++) {
        const pid = yield* spawn(t, quick, null);
        seen.pids.push(pid);
        yield* sleep_ns(t, 1 * MS); // it has exited: a zombie until reaped
        seen.zombieKill.push(yield* kill(t, pid, 0));
        const [got, status] = yield* waitpid(t, pid);
        assert.equal(got, pid);
        seen.statuses.push((status >> 8) & 0xff);
        seen.reapedKill.push(yield* kill(t, pid, 0));
      }
      return 0;
    },
  };
}

test('wait4 releases the child: ESRCH after, gone from the tables, pids never reused', () => {
  const seen: Seen = { pids: [], zombieKill: [], reapedKill: [], statuses: [] };
  let middlePid = 0;
  const run = runGuest(function* (t) {
    middlePid = yield* spawn(t, middle(seen), null);
    yield* waitpid(t, middlePid);
    return 0;
  }, null);
  const k = run.kernel;
  assert.equal(k.finished, true);
  assert.deepEqual(seen.zombieKill, [0, 0, 0, 0]);
  assert.deepEqual(seen.reapedKill, [-ESRCH, -ESRCH, -ESRCH, -ESRCH]);
  assert.deepEqual(seen.statuses, [3, 3, 3, 3]);
  for (let i = 1; i < ROUNDS; i++) assert.ok(seen.pids[i]! > seen.pids[i - 1]!, 'a reaped pid is not reused');
  for (const pid of seen.pids) assert.equal(k.processes.has(pid), false);
  const mid = k.processes.get(middlePid);
  assert.ok(mid !== undefined, "the root's child stays for the report");
  assert.equal(mid.children.length, 0);
  // Left: the root's and middle's main threads; every quick child's thread is gone.
  assert.equal(k.threads.size, 2);
  assert.equal(zombiesBesidesRoot(k), 0);
});

test("an exiting parent's zombie children are released with it (no one is left to wait)", () => {
  let orphanPid = 0;
  const run = runGuest(function* (t) {
    const parent = yield* spawn(
      t,
      {
        name: 'parent',
        main: function* (g: Guest): Program<number> {
          orphanPid = yield* spawn(g, quick, null);
          yield* sleep_ns(g, 1 * MS); // the child is a zombie when this exits
          return 0;
        },
      },
      null,
    );
    yield* waitpid(t, parent);
    return 0;
  }, null);
  assert.ok(orphanPid > 0);
  assert.equal(run.kernel.processes.has(orphanPid), false);
  assert.equal(zombiesBesidesRoot(run.kernel), 0);
});

/** The root is a zombie once the run ends (its exit ends it); no other process may be. */
function zombiesBesidesRoot(k: Kernel): number {
  return [...k.processes.values()].filter((p) => p.state === ProcessState.Zombie && p !== k.root).length;
}
