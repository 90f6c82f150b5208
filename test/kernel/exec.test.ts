/**
 * execve, setpgid/getpgid and fork's shared-page saving (issue 24): exec replaces the program
 * and keeps the pid; a missing path is ENOENT and the caller goes on; the handles a fork copies
 * cost `procHandleCopyNs` each unless they go through the shared page (proc_shm).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { ENOENT, EPERM, ESRCH } from '../../src/abi/errno.ts';
import type { Guest, ProgramImage } from '../../src/abi/guest.ts';
import { SYS_GETPID, SYS_PROC_HANDLE_OPEN, WEXITSTATUS } from '../../src/abi/syscalls.ts';
import { resolveCostModel } from '../../src/hw/cost-model.ts';
import type { ProcOptions } from '../../src/kernel/proc-options.ts';
import { fork } from '../../src/libc/fork.ts';
import { execve, getpgid, setpgid, waitpid } from '../../src/libc/process.ts';
import { pthread_create } from '../../src/libc/pthread.ts';
import { mmap_anonymous, syscall } from '../../src/libc/sys.ts';
import { clock_gettime_ns, sleep_ns } from '../../src/libc/time.ts';
import { runLibc } from '../support/libc.ts';

const seen: unknown[] = [];
const NEW: ProgramImage = {
  name: 'new',
  main: function* (t: Guest, arg: unknown): Program<number> {
    seen.push(['new program', arg, yield* syscall(t, SYS_GETPID)]);
    const m = yield* mmap_anonymous(t, 4096); // a fresh address space still maps
    seen.push(m > 0);
    return 42;
  },
};

test('execve replaces the program, keeps the pid, ends the other threads; a missing path is ENOENT', () => {
  seen.length = 0;
  runLibc(
    'improved',
    function* (t) {
      const pid = yield* fork(t, function* (c) {
        const me = yield* syscall(c, SYS_GETPID);
        seen.push(['child', me]);
        yield* pthread_create(
          c,
          null,
          function* (x) {
            yield* sleep_ns(x, 50_000_000); // still asleep at the exec: it must die with the old image
            seen.push('old thread survived');
            return 0;
          },
          null,
        );
        seen.push(['missing', yield* execve(c, '/bin/nothing', 0)]);
        yield* execve(c, '/bin/new', 'hello');
        seen.push('execve returned');
        return 1;
      });
      const [reaped, status] = yield* waitpid(t, pid);
      seen.push(['reaped', reaped === pid, WEXITSTATUS(status)]);
    },
    { executables: { '/bin/new': NEW } },
  );
  const childPid = (seen[0] as [string, number])[1];
  assert.deepEqual(seen, [
    ['child', childPid],
    ['missing', -ENOENT],
    ['new program', 'hello', childPid],
    true,
    ['reaped', true, 42],
  ]);
});

test('setpgid: own group, an existing group, EPERM for none, ESRCH for a stranger; getpgid reads it', () => {
  const out: number[] = [];
  runLibc('improved', function* (t) {
    const me = yield* syscall(t, SYS_GETPID);
    out.push((yield* getpgid(t, 0)) === me ? 1 : 0); // the root leads its own group
    const pid = yield* fork(t, function* (c) {
      yield* sleep_ns(c, 1_000_000);
      return 0;
    });
    out.push((yield* getpgid(t, pid)) === me ? 1 : 0, yield* setpgid(t, pid, 0));
    out.push((yield* getpgid(t, pid)) === pid ? 1 : 0, yield* setpgid(t, pid, me));
    out.push(yield* setpgid(t, pid, 9999), yield* setpgid(t, 9999, 0));
    yield* waitpid(t, pid);
  });
  assert.deepEqual(out, [1, 1, 0, 1, 0, -EPERM, -ESRCH]);
});

/** The parent's fork call with `handles` proc handles open, no jitter. */
function forkNs(handles: number, proc: ProcOptions | undefined): number {
  const times: number[] = [];
  runLibc(
    'improved',
    function* (t) {
      for (let i = 0; i < handles; i++) yield* syscall(t, SYS_PROC_HANDLE_OPEN, `/proc/${t.tid}/name`);
      const before = yield* clock_gettime_ns(t);
      const pid = yield* fork(t, function* () {
        return 0;
      });
      times.push((yield* clock_gettime_ns(t)) - before);
      yield* waitpid(t, pid);
    },
    { cpus: 1, costs: { computeJitterPpm: 0 }, ...(proc === undefined ? {} : { proc }) },
  );
  return times[0]!;
}

test('with the shared page a fork does not pay procHandleCopyNs for each handle it copies', () => {
  const c = resolveCostModel({});
  assert.equal(forkNs(10, undefined) - forkNs(10, { shm: true }), 10 * c.procHandleCopyNs);
  assert.equal(forkNs(0, undefined), forkNs(0, { shm: true }), 'no handles, nothing saved');
});
