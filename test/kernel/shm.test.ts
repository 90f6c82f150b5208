// The kernel's named shared memory (`shm:`, LIBC-4) and munmap: names and their errors,
// create/exclusive/missing, permissions by uid, the same frames in every process, init words,
// inode numbers, and an unlinked object that lives until its last mapping goes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { EACCES, EEXIST, EINVAL, ENAMETOOLONG, ENOENT, EPERM } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import {
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  SYS_FORK,
  SYS_MUNMAP,
  SYS_SHM_OPEN,
  SYS_SHM_TRUNCATE,
  SYS_SHM_UNLINK,
  WIFSIGNALED,
  WTERMSIG,
} from '../../src/abi/syscalls.ts';
import { BUS_ADRERR, SIGBUS } from '../../src/abi/signal.ts';
import type { PhysicalMemory } from '../../src/hw/memory.ts';
import { shmNames } from '../../src/kernel/shm.ts';
import { spawn, waitpid } from '../../src/libc/process.ts';
import { setuid } from '../../src/libc/proc-handles.ts';
import { mmap_anonymous, syscall } from '../../src/libc/sys.ts';
import { bootGuest, runGuest } from '../support/guest.ts';

const open = (
  t: Guest,
  name: unknown,
  oflag: number,
  mode = 0o600,
  bytes = 4096,
  ino = 0,
  init: number[] | null = null,
) => syscall(t, SYS_SHM_OPEN, name, oflag, mode, bytes, ino, init);

test('shm_open: names, create, exclusive create, missing names and sizes', () => {
  const seen: number[] = [];
  const run = runGuest(function* (t) {
    seen.push(yield* open(t, 'noslash', O_CREAT | O_RDWR));
    seen.push(yield* open(t, '/', O_CREAT | O_RDWR));
    seen.push(yield* open(t, '/a/b', O_CREAT | O_RDWR));
    seen.push(yield* open(t, `/${'x'.repeat(256)}`, O_CREAT | O_RDWR));
    seen.push(yield* open(t, '/missing', O_RDWR));
    seen.push(yield* open(t, '/obj', O_CREAT | O_RDWR, 0o600, 0));
    const a = yield* open(t, '/obj', O_CREAT | O_EXCL | O_RDWR, 0o600, 4096, 0, [7, 8]);
    seen.push(a > 0 ? 1 : 0, t.load32(a), t.load32(a + 4), t.load32(a + 8));
    seen.push(yield* open(t, '/obj', O_CREAT | O_EXCL | O_RDWR));
    seen.push(yield* open(t, '/obj', O_RDWR, 0, 8192)); // larger than the object
    const b = yield* open(t, '/obj', O_CREAT | O_RDWR, 0o600, 4096, 0, [99]); // exists: init unused
    seen.push(b !== a ? 1 : 0, t.load32(b));
    t.store32(b + 12, 5);
    seen.push(t.load32(a + 12)); // the same frame under both addresses
    return 0;
  }, null);
  assert.deepEqual(seen, [
    -EINVAL,
    -EINVAL,
    -EINVAL,
    -ENAMETOOLONG,
    -ENOENT,
    -EINVAL,
    1,
    7,
    8,
    0,
    -EEXIST,
    -EINVAL,
    1,
    7,
    5,
  ]);
  assert.deepEqual(shmNames(run.kernel), ['/obj']);
});

test('shm_open: the inode number tells two opens of one object from a re-created one', () => {
  const inos: number[] = [];
  runGuest(function* (t) {
    const word = yield* mmap_anonymous(t, 4096);
    yield* open(t, '/s', O_CREAT | O_RDWR, 0o600, 4096, word);
    inos.push(t.load32(word));
    yield* open(t, '/s', O_RDWR, 0, 4096, word);
    inos.push(t.load32(word));
    inos.push(yield* syscall(t, SYS_SHM_UNLINK, '/s'));
    yield* open(t, '/s', O_CREAT | O_RDWR, 0o600, 4096, word);
    inos.push(t.load32(word));
    return 0;
  }, null);
  assert.deepEqual(inos, [1, 1, 0, 2]);
});

test('shm: two processes map the same frames; permissions follow mode and uid; unlink needs the owner', () => {
  const seen: number[] = [];
  function* other(t: Guest): Program<number> {
    yield* setuid(t, 1000);
    const rw = yield* open(t, '/private', O_RDWR);
    const ro = yield* open(t, '/readable', O_RDONLY);
    const rwReadable = yield* open(t, '/readable', O_RDWR);
    const shared = yield* open(t, '/shared', O_RDWR);
    seen.push(rw, ro > 0 ? 1 : 0, rwReadable, t.load32(shared));
    t.store32(shared, 77);
    seen.push(yield* syscall(t, SYS_SHM_UNLINK, '/shared'));
    return 0;
  }
  runGuest(function* (t) {
    yield* open(t, '/private', O_CREAT | O_RDWR, 0o600);
    yield* open(t, '/readable', O_CREAT | O_RDWR, 0o644);
    const shared = yield* open(t, '/shared', O_CREAT | O_RDWR, 0o666, 4096, 0, [42]);
    const pid = yield* spawn(t, { name: 'other', main: other }, null);
    yield* waitpid(t, pid);
    seen.push(t.load32(shared));
    return 0;
  }, null);
  assert.deepEqual(seen, [-EACCES, 1, -EACCES, 42, -EPERM, 77]);
});

test('shm_unlink: the name goes at once, the frames when the last mapping goes', () => {
  const seen: number[] = [];
  let memory: PhysicalMemory | null = null;
  const machine = bootGuest(function* (t) {
    if (memory === null) throw new Error('no memory');
    const before = memory.framesInUse;
    const a = yield* open(t, '/gone', O_CREAT | O_RDWR, 0o600, 8192);
    const b = yield* open(t, '/gone', O_RDWR, 0, 8192);
    seen.push(memory.framesInUse - before);
    seen.push(yield* syscall(t, SYS_SHM_UNLINK, '/gone'), yield* syscall(t, SYS_SHM_UNLINK, '/gone'));
    seen.push(yield* open(t, '/gone', O_RDWR, 0, 8192));
    t.store32(a, 3);
    seen.push(t.load32(b), memory.framesInUse - before);
    seen.push(yield* syscall(t, SYS_MUNMAP, a, 8192), memory.framesInUse - before);
    seen.push(yield* syscall(t, SYS_MUNMAP, b, 4096), memory.framesInUse - before);
    seen.push(yield* syscall(t, SYS_MUNMAP, b + 4096, 4096), memory.framesInUse - before);
    seen.push(yield* syscall(t, SYS_MUNMAP, b + 1, 4096), yield* syscall(t, SYS_MUNMAP, b, 0));
    return 0;
  }, null);
  memory = machine.board.memory;
  machine.board.engine.run({ simNsMax: 1_000_000_000, eventsMax: 100_000 });
  assert.equal(machine.kernel.finished, true);
  assert.deepEqual(seen, [2, 0, -ENOENT, -ENOENT, 3, 2, 0, 2, 0, 1, 0, 0, -EINVAL, -EINVAL]);
});

test('shm_truncate: shrinking unmaps the pages past the end from every mapping (SIGBUS there), growing adds zeroed pages', () => {
  const seen: number[] = [];
  let memory: PhysicalMemory | null = null;
  let obj = 0;
  const truncate = (t: Guest, name: unknown, bytes: number) => syscall(t, SYS_SHM_TRUNCATE, name, bytes);
  const machine = bootGuest(
    function* (t) {
      if (memory === null) throw new Error('no memory');
      const before = memory.framesInUse;
      obj = yield* open(t, '/t', O_CREAT | O_RDWR, 0o600, 4 * 4096);
      for (let p = 0; p < 4; p++) t.store32(obj + p * 4096, 10 + p);
      seen.push(
        yield* truncate(t, '/missing', 0),
        yield* truncate(t, '/t', -1),
        yield* truncate(t, 'bad', 0),
      );
      seen.push(yield* truncate(t, '/t', 4096 + 100), memory.framesInUse - before); // 2 pages remain
      seen.push(t.load32(obj + 4096 + 8), t.load32(obj + 4096)); // the page holding the end stays
      const pid = yield* syscall(t, SYS_FORK, (c: Guest) => touch(c, obj + 2 * 4096), null);
      const [, status] = yield* waitpid(t, pid);
      seen.push(WIFSIGNALED(status) ? WTERMSIG(status) : 0);
      const grown = memory.framesInUse;
      seen.push(yield* truncate(t, '/t', 3 * 4096), memory.framesInUse - grown);
      const again = yield* open(t, '/t', O_RDWR, 0, 3 * 4096);
      seen.push(t.load32(again + 4096), t.load32(again + 2 * 4096)); // the grown page is zeroed
      return 0;
    },
    null,
    { expectFaults: [{ signal: 'SIGBUS', message: /^access past the end of a shared object at 0x/ }] },
  );
  memory = machine.board.memory;
  machine.board.engine.run({ simNsMax: 1_000_000_000, eventsMax: 100_000 });
  assert.equal(machine.kernel.finished, true);
  assert.deepEqual(seen, [-ENOENT, -EINVAL, -EINVAL, 0, 2, 0, 11, SIGBUS, 0, 1, 11, 0]);
  const fault = machine.kernel.faults[0]!;
  assert.deepEqual([fault.signal, fault.addr, fault.code], [SIGBUS, obj + 2 * 4096, BUS_ADRERR]);
});

function* touch(t: Guest, addr: number): Program<number> {
  t.store32(addr, 1);
  return 0;
}
