/**
 * Real, effective and saved user ids (kernel/uids.ts), Linux's kernel/sys.c rules: root's
 * setuid sets all three (no way back); seteuid (setresuid(-1, e, -1)) keeps the real and saved
 * ids, so a process may go back; an unprivileged process may set an id only to one it holds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EINVAL, EPERM } from '../../src/abi/errno.ts';
import { SYS_SETRESUID } from '../../src/abi/syscalls.ts';
import { geteuid, getuid, seteuid, setuid } from '../../src/libc/proc-handles.ts';
import { syscall } from '../../src/libc/sys.ts';
import { runLibc } from '../support/libc.ts';

test('setuid, seteuid and setresuid follow Linux: only ids held may be taken without root', () => {
  const out: number[] = [];
  runLibc('improved', function* (t) {
    const ids = function* () {
      out.push(yield* getuid(t), yield* geteuid(t));
    };
    out.push(yield* seteuid(t, 1000)); // root: effective 1000, real and saved 0
    yield* ids();
    out.push(yield* seteuid(t, 5)); // EPERM: 5 is none of 0, 1000, 0
    out.push(yield* setuid(t, 0)); // 0 is the real id: allowed, effective back to 0
    yield* ids();
    out.push(yield* syscall(t, SYS_SETRESUID, 2000, 1000, -1)); // root: real 2000, effective 1000, saved 0
    yield* ids();
    out.push(yield* syscall(t, SYS_SETRESUID, -1, 3000, -1)); // -EPERM
    out.push(yield* syscall(t, SYS_SETRESUID, -1, -7, -1)); // -EINVAL
    out.push(yield* seteuid(t, 0)); // the saved id 0
    out.push(yield* setuid(t, 1000)); // root: all three 1000
    yield* ids();
    out.push(yield* seteuid(t, 0)); // nothing holds 0 now: EPERM
  });
  assert.deepEqual(out, [
    0,
    0,
    1000,
    EPERM,
    0,
    0,
    0,
    0,
    2000,
    1000,
    -EPERM,
    -EINVAL,
    0,
    0,
    1000,
    1000,
    EPERM,
  ]);
});
