// Orphans (issue 19, kernel/orphans.ts): an exiting process's living children go to its own parent
// on the Redox kernel (redox-os/kernel src/syscall/process.rs exit: "Transfer child processes to
// parent"), to the nearest PR_SET_CHILD_SUBREAPER ancestor, else init, else the root on Linux's
// (kernel/exit.c find_new_reaper). getppid follows the move; SIGCHLD reaches a parent that
// handles it, and costs nothing (no count) when it is ignored by default.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { type Guest, type ProgramImage, sys } from '../../src/abi/guest.ts';
import { SIGCHLD, SIGKILL } from '../../src/abi/signal.ts';
import {
  PR_GET_CHILD_SUBREAPER,
  PR_SET_CHILD_SUBREAPER,
  SYS_GETPID,
  WNOHANG,
} from '../../src/abi/syscalls.ts';
import { takeCensus } from '../../src/kernel/census.ts';
import type { OrphanMode } from '../../src/kernel/orphans.ts';
import { getppid, prctl, prctl_get_child_subreaper, spawn, waitpid } from '../../src/libc/process.ts';
import { kill, sigaction } from '../../src/libc/signal.ts';
import { clock_gettime_ns, sleep_ns } from '../../src/libc/time.ts';
import { atTime, bootGuest, runGuest } from '../support/guest.ts';

const MS = 1_000_000;
const N = 3;
const ENOSYS = 38;
const EINVAL = 22;
const EFAULT = 14;
const ECHILD = 10;

interface Seen {
  /** Each orphan's getppid before its parent exits, and after. */
  ppidBefore: number[];
  ppidAfter: number[];
  orphanPids: number[];
  sessionPid: number;
  initPid: number;
  prctlSet: number;
  prctlGet: [number, number];
  /** What the session's SIGCHLD handler reaped, and how often it ran. */
  handlerRuns: number;
  reaped: number[];
}

const newSeen = (): Seen => ({
  ppidBefore: [],
  ppidAfter: [],
  orphanPids: [],
  sessionPid: 0,
  initPid: 0,
  prctlSet: 0,
  prctlGet: [0, 0],
  handlerRuns: 0,
  reaped: [],
});

/** An orphan-to-be: asks for its parent at once, and again after the parent has gone. */
function orphan(seen: Seen): ProgramImage {
  return {
    name: 'orphan',
    main: function* (t: Guest): Program<number> {
      seen.ppidBefore.push(yield* getppid(t));
      yield* sleep_ns(t, 5 * MS);
      seen.ppidAfter.push(yield* getppid(t));
      return 0;
    },
  };
}

/** Spawns N orphans-to-be and exits 1 ms later. */
function spawner(seen: Seen): ProgramImage {
  return {
    name: 'spawner',
    main: function* (t: Guest): Program<number> {
      for (let i = 0; i < N; i++) seen.orphanPids.push(yield* spawn(t, orphan(seen), null));
      yield* sleep_ns(t, 1 * MS); // the orphans-to-be see it as their parent first
      return 0;
    },
  };
}

/**
 * The orphans' grandparent: starts the spawner and waits for it only (as a shell waits for the
 * job it started), then lives on past the orphans' exits. With `subreaper`, it sets
 * PR_SET_CHILD_SUBREAPER first and reaps everything in a SIGCHLD handler instead.
 */
function session(seen: Seen, subreaper: boolean): ProgramImage {
  return {
    name: 'session',
    main: function* (t: Guest): Program<number> {
      seen.sessionPid = yield* sys(t, SYS_GETPID);
      if (subreaper) {
        seen.prctlSet = yield* prctl(t, PR_SET_CHILD_SUBREAPER, 1);
        seen.prctlGet = yield* prctl_get_child_subreaper(t);
        const handler = function* (g: Guest): Program<void> {
          seen.handlerRuns++;
          for (;;) {
            const [pid] = yield* waitpid(g, -1, WNOHANG);
            if (pid <= 0) return;
            seen.reaped.push(pid);
          }
        };
        yield* sigaction(t, SIGCHLD, { handler, mask: 0, flags: 0 });
        yield* spawn(t, spawner(seen), null);
      } else {
        const pid = yield* spawn(t, spawner(seen), null);
        yield* waitpid(t, pid);
      }
      // Until 20 ms: a SIGCHLD handler's run ends a sleep early (EINTR), so sleep again.
      for (let now = yield* clock_gettime_ns(t); now < 20 * MS; now = yield* clock_gettime_ns(t))
        yield* sleep_ns(t, 20 * MS - now);
      return 0;
    },
  };
}

function runSession(orphans: OrphanMode, subreaper: boolean): { seen: Seen; zombiesAt10ms: number } {
  const seen = newSeen();
  const m = bootGuest(
    function* (t) {
      const pid = yield* spawn(t, session(seen, subreaper), null);
      yield* waitpid(t, pid);
      return 0;
    },
    null,
    { orphans },
  );
  let zombiesAt10ms = -1;
  atTime(m, 10 * MS, () => {
    zombiesAt10ms = takeCensus(m.kernel).zombies;
  });
  m.board.engine.run({ simNsMax: 1_000 * MS, eventsMax: 2_000_000 });
  assert.equal(m.kernel.finished, true);
  return { seen, zombiesAt10ms };
}

test('redox: the orphans go to their grandparent, which never waits for them: N zombies', () => {
  const { seen, zombiesAt10ms } = runSession('redox', false);
  assert.equal(seen.orphanPids.length, N);
  assert.deepEqual(seen.ppidBefore, [seen.sessionPid + 1, seen.sessionPid + 1, seen.sessionPid + 1]);
  assert.deepEqual(seen.ppidAfter, [seen.sessionPid, seen.sessionPid, seen.sessionPid]);
  assert.equal(zombiesAt10ms, N);
});

test('linux: with no subreaper and no init the root adopts them and they leave at exit: 0 zombies', () => {
  const { seen, zombiesAt10ms } = runSession('linux', false);
  assert.deepEqual(seen.ppidAfter, [1, 1, 1], 'the root is pid 1');
  assert.equal(zombiesAt10ms, 0);
});

test('linux: a PR_SET_CHILD_SUBREAPER ancestor adopts them and its SIGCHLD handler reaps them', () => {
  const { seen, zombiesAt10ms } = runSession('linux', true);
  assert.equal(seen.prctlSet, 0);
  assert.deepEqual(seen.prctlGet, [0, 1]);
  assert.deepEqual(seen.ppidAfter, [seen.sessionPid, seen.sessionPid, seen.sessionPid]);
  // The spawner and the three orphans, each through a SIGCHLD whose handler drains wait4.
  assert.deepEqual(
    [...seen.reaped].sort((a, b) => a - b),
    [seen.orphanPids[0]! - 1, ...seen.orphanPids],
  );
  assert.ok(seen.handlerRuns >= 2 && seen.handlerRuns <= N + 1, `${seen.handlerRuns} handler runs`);
  assert.equal(zombiesAt10ms, 0);
});

test('redox: prctl is ENOSYS, so the would-be subreaper is only the grandparent', () => {
  const { seen, zombiesAt10ms } = runSession('redox', true);
  assert.equal(seen.prctlSet, -ENOSYS);
  assert.deepEqual(seen.prctlGet, [-ENOSYS, 0]);
  // The grandparent's handler still reaps them: on Redox they are its children now.
  assert.deepEqual(seen.ppidAfter, [seen.sessionPid, seen.sessionPid, seen.sessionPid]);
  assert.equal(seen.reaped.length, N + 1);
  assert.equal(zombiesAt10ms, 0);
});

test('linux: init (the childReaper image) adopts the orphans of a session below it and reaps them', () => {
  const seen = newSeen();
  const init: ProgramImage = {
    name: 'svc-init-like',
    childReaper: true,
    main: function* (t: Guest): Program<number> {
      seen.initPid = yield* sys(t, SYS_GETPID);
      const sess = yield* spawn(t, session(seen, false), null);
      // Reaps whatever comes: the three adopted orphans, then (killed) the session.
      for (let i = 0; i < N; i++) seen.reaped.push((yield* waitpid(t, -1))[0]);
      yield* kill(t, sess, SIGKILL);
      seen.reaped.push((yield* waitpid(t, -1))[0]);
      seen.reaped.push((yield* waitpid(t, -1))[0]);
      return 0;
    },
  };
  const run = runGuest(
    function* (t) {
      yield* waitpid(t, yield* spawn(t, init, null));
      return 0;
    },
    null,
    { orphans: 'linux' },
  );
  assert.equal(run.kernel.finished, true);
  assert.deepEqual(seen.ppidAfter, [seen.initPid, seen.initPid, seen.initPid]);
  assert.deepEqual(
    [...seen.reaped.slice(0, N)].sort((a, b) => a - b),
    seen.orphanPids,
    'the adopted orphans first',
  );
  assert.deepEqual(seen.reaped.slice(N), [seen.sessionPid, -ECHILD]);
});

test("a zombie child is handed on with its parent's exit, and the new parent can reap it", () => {
  for (const orphans of ['redox', 'linux'] as const) {
    let zombiePid = 0;
    let got: [number, number] = [0, 0];
    const quick: ProgramImage = {
      name: 'quick',
      main: (): Program<number> =>
        (function* () {
          return 7;
        })(),
    };
    const middle: ProgramImage = {
      name: 'middle',
      main: function* (g: Guest): Program<number> {
        zombiePid = yield* spawn(g, quick, null);
        yield* sleep_ns(g, 1 * MS); // it has exited: a zombie when this exits
        return 0;
      },
    };
    const top: ProgramImage = {
      name: 'top',
      main: function* (g: Guest): Program<number> {
        yield* prctl(g, PR_SET_CHILD_SUBREAPER, 1); // ENOSYS on redox: the grandparent anyway
        const mid = yield* spawn(g, middle, null);
        yield* waitpid(g, mid);
        got = yield* waitpid(g, -1, WNOHANG);
        return 0;
      },
    };
    runGuest(
      function* (t) {
        yield* waitpid(t, yield* spawn(t, top, null));
        return 0;
      },
      null,
      { orphans },
    );
    assert.deepEqual(got, [zombiePid, 7 << 8], orphans);
  }
});

test('SIGCHLD under the default disposition is discarded uncounted; prctl checks its arguments', () => {
  let unknown = 0;
  let badAddr = 0;
  const run = runGuest(
    function* (t) {
      unknown = yield* prctl(t, 1, 0);
      badAddr = yield* prctl(t, PR_GET_CHILD_SUBREAPER, 0);
      const quick: ProgramImage = {
        name: 'quick',
        main: (): Program<number> =>
          (function* () {
            return 0;
          })(),
      };
      yield* waitpid(t, yield* spawn(t, quick, null));
      return 0;
    },
    null,
    { orphans: 'linux' },
  );
  assert.equal(unknown, -EINVAL);
  assert.equal(badAddr, -EFAULT);
  assert.equal(run.kernel.stats.signalsSent, 0);
  assert.equal(run.kernel.stats.signalsDiscarded, 0);
});
