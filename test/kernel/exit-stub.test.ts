// The lean frames of issue 14 (ExitStub, the system-call frame, libc's syscall step) are
// iterators written by hand in place of generators: they must step exactly as those did.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Op } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { SYS_EXIT, SYS_EXIT_GROUP, SYS_GETTID } from '../../src/abi/syscalls.ts';
import { ExitStub } from '../../src/kernel/exit-stub.ts';
import { syscall } from '../../src/libc/sys.ts';

/** Just enough of a Guest for these frames: `syscall` builds the effect as the kernel's does. */
const guest = {
  syscall: (nr: number, ...args: unknown[]) => ({ op: Op.Syscall, nr, args }),
} as unknown as Guest;

test('ExitStub: primed, takes the return value, calls the hook, exits with it, then throws', () => {
  const seen: unknown[] = [];
  const stub = new ExitStub(guest, false, (_g, value) => seen.push(value));
  assert.equal(stub.next().done, false); // the priming step
  const exit = stub.next(7);
  assert.deepEqual(exit, { value: { op: Op.Syscall, nr: SYS_EXIT, args: [7] }, done: false });
  assert.deepEqual(seen, [7]);
  assert.throws(() => stub.next(0), /exit returned/);
  assert.deepEqual(stub.next(), { value: undefined, done: true }, 'closed after the throw');
});

test('ExitStub: a process main exits the group; a value that is no number exits 0', () => {
  const stub = new ExitStub(guest, true, null);
  stub.next();
  assert.deepEqual(stub.next('done').value, { op: Op.Syscall, nr: SYS_EXIT_GROUP, args: [0] });
});

test('ExitStub: a hook that throws closes it, as it closed the generator', () => {
  const stub = new ExitStub(guest, false, () => {
    throw new Error('hook');
  });
  stub.next();
  assert.throws(() => stub.next(1), /hook/);
  assert.equal(stub.next().done, true);
});

test('libc syscall: one step yields the call, the next returns the answer, under yield*', () => {
  function* caller(): Generator<unknown, number, unknown> {
    const r = yield* syscall(guest, SYS_GETTID);
    return r + 1;
  }
  const g = caller();
  assert.deepEqual(g.next().value, { op: Op.Syscall, nr: SYS_GETTID, args: [] });
  assert.deepEqual(g.next(41), { value: 42, done: true });
});
