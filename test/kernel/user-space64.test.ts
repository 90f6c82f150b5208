// The 64-bit user address space (issue 15, HW-8): x86-64's 4-level layout (kernel/user-layout.ts),
// canonical and non-canonical accesses, mmap and mremap at the top of the space and across 2^32,
// private futex keys that cannot collide above 2^32 (FUTEX-3), robust lists, signal handlers and
// pthread mutexes at addresses above 2^32. Expected values come from Linux's layout (TASK_SIZE,
// mmap_base, the #GP's SI_KERNEL), not from a run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EEXIST, ENOMEM, EOWNERDEAD } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import {
  FUTEX_PRIVATE_FLAG,
  FUTEX_WAIT,
  FUTEX_WAKE,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_PRIVATE,
  MREMAP_FIXED,
  MREMAP_MAYMOVE,
  SYS_FORK,
  SYS_KILL,
  SYS_MMAP,
  SYS_MREMAP,
} from '../../src/abi/syscalls.ts';
import { SEGV_MAPERR, SI_KERNEL, SIGKILL, SIGSEGV, SIGUSR1 } from '../../src/abi/signal.ts';
import { PAGE_SIZE, PhysicalMemory } from '../../src/hw/memory.ts';
import { FutexTable } from '../../src/kernel/futex/table.ts';
import {
  isCanonical,
  joinAddr,
  MMAP_BASE,
  STACK_TOP,
  splitAddr,
  TASK_SIZE,
  vpnOf,
} from '../../src/kernel/user-layout.ts';
import { AddressSpace, GuestFault } from '../../src/kernel/vm.ts';
import {
  pthread_mutex_init,
  pthread_mutex_lock,
  pthread_mutex_unlock,
  pthread_mutexattr_init,
  pthread_mutexattr_setrobust,
  pthread_mutexattr_t,
} from '../../src/libc/mutex.ts';
import { PTHREAD_MUTEX_ROBUST } from '../../src/libc/layout.ts';
import { waitpid } from '../../src/libc/process.ts';
import { pthread_create, pthread_join } from '../../src/libc/pthread.ts';
import { robustEntries, robustHead } from '../../src/libc/robust-list.ts';
import { pthread_kill, sigaction } from '../../src/libc/signal.ts';
import { stack_enter, stack_leave } from '../../src/libc/stack.ts';
import { syscall } from '../../src/libc/sys.ts';
import { sleep_ns } from '../../src/libc/time.ts';
import { futex } from '../support/futex.ts';
import { runGuest } from '../support/guest.ts';
import { runLibc } from '../support/libc.ts';

const PAGE = PAGE_SIZE;
const RW = 3;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const MS = 1_000_000;
const mmap = (t: Guest, addr: number, len: number, flags = ANON) =>
  syscall(t, SYS_MMAP, addr, len, RW, flags, -1, 0);

test("layout: TASK_SIZE, STACK_TOP and mmap_base are x86-64 Linux's with 4-level paging, no randomization", () => {
  assert.equal(TASK_SIZE, 2 ** 47 - PAGE);
  assert.equal(STACK_TOP, TASK_SIZE);
  assert.equal(MMAP_BASE, TASK_SIZE - 128 * 2 ** 20); // the 8 MiB stack gap raised to SIZE_128M
  assert.equal(vpnOf(TASK_SIZE - 1), 2 ** 35 - 2);
});

test('layout: canonical means bits 47..63 copy bit 47 (property over 64-bit values)', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (u) => {
      const top = u >> 47n;
      const canonical = top === 0n || top === 2n ** 17n - 1n;
      const asNumber = Number(BigInt.asIntN(64, u)); // the signed value guest code would hold
      // Numbers past 2^53 round: only check the ones a number holds exactly.
      if (BigInt(asNumber) !== BigInt.asIntN(64, u)) return;
      assert.equal(isCanonical(asNumber), canonical, `0x${u.toString(16)}`);
    }),
  );
  assert.equal(isCanonical(2 ** 47 - 1), true);
  assert.equal(isCanonical(2 ** 47), false);
  assert.equal(isCanonical(-(2 ** 47)), true);
  assert.equal(isCanonical(-(2 ** 47) - 1), false);
});

test('layout: an address splits into two 32-bit words and joins back exactly (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: TASK_SIZE }), (addr) => {
      const [lo, hi] = splitAddr(addr);
      assert.ok(lo >= 0 && lo < 2 ** 32 && hi >= 0 && hi < 2 ** 16);
      assert.equal(joinAddr(lo, hi), addr);
      assert.equal(vpnOf(addr), Number(BigInt(addr) >> 12n));
    }),
  );
});

function space(): AddressSpace {
  return new AddressSpace(new PhysicalMemory(1 << 20), new Map());
}

function faultOf(fn: () => unknown): GuestFault {
  try {
    fn();
  } catch (e) {
    if (e instanceof GuestFault) return e;
    throw e;
  }
  assert.fail('no fault');
}

test('vm: a non-canonical access is a #GP (SIGSEGV, SI_KERNEL, no si_addr); kernel-half and past-TASK_SIZE ones are SEGV_MAPERR', () => {
  const vm = space();
  const gp = faultOf(() => vm.load32(2 ** 47));
  assert.deepEqual([gp.signal, gp.code, gp.addr], [SIGSEGV, SI_KERNEL, 0]);
  assert.match(gp.message, /non-canonical address at 0x800000000000$/);
  const gp2 = faultOf(() => vm.store32(2 ** 52, 1));
  assert.deepEqual([gp2.signal, gp2.code], [SIGSEGV, SI_KERNEL]);
  const kernelHalf = faultOf(() => vm.load32(-8)); // 0xffff_ffff_ffff_fff8: canonical, not user
  assert.deepEqual([kernelHalf.signal, kernelHalf.code], [SIGSEGV, SEGV_MAPERR]);
  assert.match(kernelHalf.message, /at 0xfffffffffffffff8$/);
  const top = faultOf(() => vm.load32(TASK_SIZE));
  assert.deepEqual([top.signal, top.code, top.addr], [SIGSEGV, SEGV_MAPERR, TASK_SIZE]);
});

test('mmap: the top of the space (MAP_FIXED up to TASK_SIZE, ENOMEM past it, hints past it ignored), as __get_unmapped_area', () => {
  const seen: unknown[] = [];
  runGuest(function* (t) {
    seen.push(t.stackTop === STACK_TOP ? 'stack at STACK_TOP' : `stack top 0x${t.stackTop.toString(16)}`);
    const last = TASK_SIZE - 64 * PAGE; // below the main stack's 17 pages
    seen.push((yield* mmap(t, last, PAGE, ANON | MAP_FIXED)) === last);
    t.store32(last + PAGE - 4, 77);
    seen.push(t.load32(last + PAGE - 4));
    seen.push(yield* mmap(t, TASK_SIZE, PAGE, ANON | MAP_FIXED)); // starts at the end
    seen.push(yield* mmap(t, TASK_SIZE - PAGE, 2 * PAGE, ANON | MAP_FIXED)); // runs past it
    seen.push(yield* mmap(t, 2 ** 47, PAGE, ANON | MAP_FIXED)); // non-canonical
    seen.push(yield* mmap(t, -PAGE, PAGE, ANON | MAP_FIXED)); // 0xffff_ffff_ffff_f000
    seen.push(yield* mmap(t, TASK_SIZE - PAGE, PAGE, ANON | MAP_FIXED_NOREPLACE)); // the stack's top page
    const hinted = yield* mmap(t, TASK_SIZE, PAGE); // a hint past the end: the top-down search
    seen.push(hinted < MMAP_BASE && hinted > MMAP_BASE - 2 ** 20);
    return 0;
  }, null);
  assert.deepEqual(seen, ['stack at STACK_TOP', true, 77, -ENOMEM, -ENOMEM, -ENOMEM, -ENOMEM, -EEXIST, true]);
});

test('mremap: grows in place across 2^32 and moves (MREMAP_FIXED) to 2^40 with its data', () => {
  const seen: unknown[] = [];
  runGuest(function* (t) {
    const at = 2 ** 32 - 2 * PAGE;
    seen.push((yield* mmap(t, at, 2 * PAGE, ANON | MAP_FIXED)) === at);
    t.store32(at + 8, 11);
    t.store32(at + PAGE + 8, 12);
    seen.push((yield* syscall(t, SYS_MREMAP, at, 2 * PAGE, 4 * PAGE, 0, 0)) === at);
    t.store32(2 ** 32 + 8, 13); // the grown part, past 2^32
    t.store32(2 ** 32 + PAGE + 8, 14);
    const to = 2 ** 40;
    seen.push(
      (yield* syscall(t, SYS_MREMAP, at, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, to)) === to,
    );
    for (let p = 0; p < 4; p++) seen.push(t.load32(to + p * PAGE + 8));
    return 0;
  }, null);
  assert.deepEqual(seen, [true, true, true, 11, 12, 13, 14]);
});

test('mremap: the old range is gone after the move (its truncation would have aliased it)', () => {
  const run = runGuest(
    function* (t) {
      const at = 2 ** 32 - PAGE;
      yield* mmap(t, at, 2 * PAGE, ANON | MAP_FIXED);
      yield* syscall(t, SYS_MREMAP, at, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, 2 ** 41);
      t.load32(2 ** 32 + 4);
      return 0;
    },
    null,
    { expectFaults: [{ signal: 'SIGSEGV', message: /unmapped memory at 0x100000004$/ }] },
  );
  assert.equal(run.kernel.faults[0]!.addr, 2 ** 32 + 4, 'si_addr carries all 48 bits');
});

test('futex keys: private keys are distinct exactly when (mm, address) pairs are, at any 48-bit address (property)', () => {
  const memory = new PhysicalMemory(1 << 20);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: TASK_SIZE / 4 - 1 })), {
        minLength: 1,
        maxLength: 60,
      }),
      (pairs) => {
        const table = new FutexTable({ mode: 'linux', shards: 64 });
        const spaces = [0, 1, 2, 3].map(() => new AddressSpace(memory, new Map()));
        const byPair = new Map<string, number>();
        const seen = new Map<number, string>();
        for (const [s, word] of pairs) {
          // Addresses near 2^32 multiples too: the old key -(pid * 2^32 + vaddr) - 1 met there.
          for (const vaddr of [word * 4, (word * 4) % 2 ** 32, ((word * 4) % 2 ** 32) + 2 ** 32]) {
            const key = table.privateKey(spaces[s]!, vaddr);
            const pair = `${s}:${vaddr}`;
            assert.ok(key <= -4096, 'never a negated errno, never a physical address');
            assert.equal(byPair.get(pair) ?? key, key, 'the same word keeps its key');
            byPair.set(pair, key);
            assert.equal(seen.get(key) ?? pair, pair, `key ${key} of two words`);
            seen.set(key, pair);
          }
        }
      },
    ),
  );
});

test('futex: two processes (consecutive pids) wait and wake above 2^32 without meeting (the old key collided)', () => {
  const seen: number[] = [];
  const V = 2 ** 40;
  runGuest(
    function* (t) {
      yield* mmap(t, V, PAGE, ANON | MAP_FIXED);
      yield* mmap(t, V + 2 ** 32, PAGE, ANON | MAP_FIXED);
      const child = yield* syscall(
        t,
        SYS_FORK,
        function* (c: Guest) {
          yield* futex(c, V, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0); // sleeps until killed
          return 0;
        },
        null,
      );
      yield* sleep_ns(t, MS);
      // The old key: parent (pid p, V + 2^32) == child (pid p + 1, V). Now: different mms.
      seen.push(yield* futex(t, V + 2 ** 32, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1));
      seen.push(yield* futex(t, V, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1));
      seen.push(yield* syscall(t, SYS_KILL, child, SIGKILL));
      const [, status] = yield* waitpid(t, child);
      seen.push(status & 0x7f);
      return 0;
    },
    null,
    { cpus: 2, futex: { mode: 'linux', shards: 64 } },
  );
  assert.deepEqual(seen, [0, 0, 0, SIGKILL]);
});

test('robust list above 2^32: the 24-byte head and 8-byte links are walked at exit; the next locker gets EOWNERDEAD', () => {
  const out: unknown[] = [];
  const run = runLibc('improved', function* (t) {
    const page = yield* mmap(t, 2 ** 44, PAGE, ANON | MAP_FIXED);
    const m = page + 64;
    const attr = new pthread_mutexattr_t();
    pthread_mutexattr_init(attr);
    pthread_mutexattr_setrobust(attr, PTHREAD_MUTEX_ROBUST);
    out.push(pthread_mutex_init(t, m, attr));
    const [, th] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        yield* pthread_mutex_lock(t2, m);
        const head = yield* robustHead(t2);
        out.push(head > 2 ** 32, robustEntries(t2).join() === String(m + 24));
        return 0; // dies holding it
      },
      null,
    );
    yield* pthread_join(t, th);
    out.push(yield* pthread_mutex_lock(t, m));
    out.push(yield* pthread_mutex_unlock(t, m)); // off the list: the root's own exit walk finds nothing
  });
  assert.deepEqual(out, [0, true, true, EOWNERDEAD, 0]);
  assert.equal(run.kernel.futex.counts.robust_owner_died, 1);
});

test('signals above 2^32: a handler runs on a stack above 2^32 and probes it; si_addr of a fault there is exact', () => {
  const seen: unknown[] = [];
  runGuest(
    function* (t) {
      yield* sigaction(t, SIGUSR1, {
        handler: function* (g: Guest) {
          const sp = stack_enter(g, 3 * PAGE); // probes three pages of the handler's frame
          seen.push(sp > 2 ** 32 && sp < STACK_TOP);
          stack_leave(g, 3 * PAGE);
        },
        mask: 0,
        flags: 0,
      });
      let tid = 0;
      const [, th] = yield* pthread_create(
        t,
        null,
        function* (t2) {
          tid = t2.tid;
          seen.push(t2.stackTop > 2 ** 32);
          yield* sleep_ns(t2, 2 * MS);
          return 0;
        },
        null,
      );
      yield* sleep_ns(t, MS / 2);
      seen.push(yield* pthread_kill(t, tid, SIGUSR1));
      yield* pthread_join(t, th);
      return 0;
    },
    null,
    { cpus: 2 },
  );
  assert.deepEqual(seen, [true, 0, true]);
});

test('a pthread mutex in memory mmap gave above 2^32: two threads, 200 contended increments each, none lost', () => {
  const N = 200;
  const out: unknown[] = [];
  runLibc('improved', function* (t) {
    const page = yield* mmap(t, 0, PAGE);
    out.push(page > 2 ** 32);
    const m = page + 32;
    const counter = page + 256;
    out.push(pthread_mutex_init(t, m, null));
    const worker = function* (w: Guest) {
      for (let i = 0; i < N; i++) {
        yield* pthread_mutex_lock(w, m);
        const v = w.load32(counter);
        yield w.compute(200); // hold it long enough that the other thread contends
        w.store32(counter, v + 1);
        yield* pthread_mutex_unlock(w, m);
      }
      return 0;
    };
    const [, a] = yield* pthread_create(t, null, worker, null);
    const [, b] = yield* pthread_create(t, null, worker, null);
    yield* pthread_join(t, a);
    yield* pthread_join(t, b);
    out.push(t.load32(counter));
  });
  assert.deepEqual(out, [true, 0, 2 * N]);
});
