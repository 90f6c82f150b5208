// mmap and mremap conformance (kernel/mmap.ts; issue 15 stage 6): every errno path with Linux's
// exact value (mm/mmap.c do_mmap / __get_unmapped_area, arch/x86/kernel/sys_x86_64.c, mm/mremap.c),
// MAP_FIXED replacing pages (and shooting the old translation down from another CPU's TLB),
// address hints, PROT_EXEC with NX clear only when asked, mremap shrink / grow in place / move.
// Expected addresses come from the model's allocator: top-down, each new mapping just below the
// lowest one handed out (vm.ts findFree), so a move lands at `lowest - new length`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EBADF, EEXIST, EFAULT, EINVAL, ENOMEM, ENOTSUP, EPERM } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import {
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_SHARED_VALIDATE,
  MREMAP_FIXED,
  MREMAP_MAYMOVE,
  PROT_EXEC,
  SYS_MMAP,
  SYS_MREMAP,
  SYS_MUNMAP,
} from '../../src/abi/syscalls.ts';
import { BUS_ADRALN, SEGV_ACCERR, SEGV_MAPERR, SIGBUS, SIGSEGV } from '../../src/abi/signal.ts';
import { PTE_HI_NX } from '../../src/hw/page-table.ts';
import { PhysicalMemory } from '../../src/hw/memory.ts';
import { AddressSpace, USER_BASE, USER_TOP } from '../../src/kernel/vm.ts';
import { syscall } from '../../src/libc/sys.ts';
import { changeCachedPage } from '../support/cached-page.ts';
import { runGuest } from '../support/guest.ts';

const PAGE = 4096;
const RW = 3;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const mmap = (t: Guest, addr: number, len: number, flags = ANON, prot = RW, offset = 0) =>
  syscall(t, SYS_MMAP, addr, len, prot, flags, -1, offset);
const mremap = (t: Guest, addr: number, oldLen: number, newLen: number, flags = 0, to = 0) =>
  syscall(t, SYS_MREMAP, addr, oldLen, newLen, flags, to);

test('mmap: errnos as Linux, in its order', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    const a = yield* mmap(t, 0, PAGE);
    seen.push(yield* mmap(t, 0, 0)); // zero length
    seen.push(yield* mmap(t, a + 8, PAGE, ANON | MAP_FIXED)); // unaligned fixed address
    seen.push(yield* mmap(t, 0, PAGE, MAP_ANONYMOUS)); // neither private nor shared
    seen.push(yield* mmap(t, 0, PAGE, MAP_ANONYMOUS | 0x0f)); // an unknown mapping type
    seen.push(yield* mmap(t, 0, PAGE, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x40000)); // unknown flag
    seen.push(yield* mmap(t, 0, PAGE, MAP_PRIVATE)); // a file mapping: no files, bad fd
    seen.push(yield* mmap(t, 0, PAGE, ANON, RW, 8)); // unaligned offset
    seen.push(yield* mmap(t, USER_TOP - PAGE, 2 * PAGE, ANON | MAP_FIXED)); // past the space
    seen.push(yield* mmap(t, 0, USER_TOP - USER_BASE + PAGE)); // longer than the space
    seen.push(yield* mmap(t, 0x1000, PAGE, ANON | MAP_FIXED)); // below mmap_min_addr
    seen.push(yield* mmap(t, a, PAGE, ANON | MAP_FIXED_NOREPLACE)); // already mapped
    seen.push(yield* mmap(t, 0, USER_TOP - USER_BASE)); // fits the space, but the stack is in it
    return 0;
  }, null);
  assert.deepEqual(seen, [
    -EINVAL,
    -EINVAL,
    -EINVAL,
    -EINVAL,
    -ENOTSUP,
    -EBADF,
    -EINVAL,
    -ENOMEM,
    -ENOMEM,
    -EPERM,
    -EEXIST,
    -ENOMEM,
  ]);
});

test('mmap: address hints are taken when free, rounded up to a page, else ignored', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    const a = yield* mmap(t, 0, PAGE);
    seen.push(yield* mmap(t, 0x4000_0000, PAGE)); // free: taken as is
    seen.push(yield* mmap(t, 0x4000_2123, PAGE)); // rounded up to its page
    seen.push((yield* mmap(t, a, PAGE)) === a - PAGE ? 1 : 0); // taken: the next free place below
    seen.push(yield* mmap(t, 0x1000, PAGE)); // below the minimum: raised to USER_BASE
    seen.push(yield* mmap(t, 0x5000_0000, PAGE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE));
    return 0;
  }, null);
  assert.deepEqual(seen, [0x4000_0000, 0x4000_3000, 1, USER_BASE, 0x5000_0000]);
});

test('mmap: MAP_FIXED replaces the pages under it with zeroed ones, and leaves the rest', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    const a = yield* mmap(t, 0, 3 * PAGE);
    for (let i = 0; i < 3; i++) t.store32(a + i * PAGE, 10 + i);
    seen.push((yield* mmap(t, a + PAGE, PAGE, ANON | MAP_FIXED)) - a);
    seen.push(t.load32(a), t.load32(a + PAGE), t.load32(a + 2 * PAGE));
    seen.push(yield* syscall(t, SYS_MUNMAP, a, 3 * PAGE));
    return 0;
  }, null);
  assert.deepEqual(seen, [PAGE, 10, 0, 12, 0]);
});

test('mmap: PROT_EXEC clears NX only when asked, and an exec-only page reads (x86)', () => {
  const vm = new AddressSpace(new PhysicalMemory(1 << 20), new Map());
  const rw = vm.mmapAnonymous(PAGE, RW, false);
  const rx = vm.mmapAnonymous(PAGE, 1 | PROT_EXEC, false);
  const x = vm.mmapAnonymous(PAGE, PROT_EXEC, false);
  const nx = (addr: number) => {
    assert.ok(vm.mmu.tables.walk(vm.root, addr, false) >= 0);
    return (vm.mmu.tables.lastHigh & PTE_HI_NX) !== 0;
  };
  assert.deepEqual([nx(rw), nx(rx), nx(x)], [true, false, false]);
  assert.equal(vm.load32(x), 0);
  assert.equal(vm.canAccess(x, true), false);
});

test('mmap: MAP_FIXED over a page another CPU cached: that CPU reads the new page (linux shootdown)', () => {
  const { seen, run } = changeCachedPage(function* (t, a) {
    return (yield* mmap(t, a, PAGE, ANON | MAP_FIXED)) === a ? 1 : 0;
  });
  assert.deepEqual(seen, [5, 1, 0]);
  assert.equal(run.kernel.tlb.stats.staleReads.length, 0);
  assert.ok(run.kernel.tlb.stats.shootdowns >= 1);
});

test('mremap: errnos as Linux', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    const b = yield* mmap(t, 0, PAGE);
    const a = yield* mmap(t, 0, 2 * PAGE); // just below b: a's VMA runs into b's
    seen.push(yield* mremap(t, a, PAGE, PAGE, 8)); // unknown flag
    seen.push(yield* mremap(t, a, PAGE, PAGE, MREMAP_FIXED, 0x4000_0000)); // FIXED without MAYMOVE
    seen.push(yield* mremap(t, a + 8, PAGE, PAGE)); // unaligned
    seen.push(yield* mremap(t, a, PAGE, 0)); // zero new length
    seen.push(yield* mremap(t, a, 0, PAGE)); // zero old length of a private mapping
    seen.push(yield* mremap(t, 0x3000_0000, PAGE, 2 * PAGE)); // nothing mapped there
    seen.push(yield* mremap(t, a, 2 * PAGE, 4 * PAGE)); // b is above: no room in place
    seen.push(yield* mremap(t, a, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, a)); // overlap
    seen.push(yield* mremap(t, a, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, 0x4000_0123)); // unaligned
    seen.push(yield* syscall(t, SYS_MUNMAP, b, PAGE), yield* syscall(t, SYS_MUNMAP, a + PAGE, PAGE));
    seen.push(yield* mremap(t, a, 2 * PAGE, 3 * PAGE)); // the old range leaves its VMA
    return 0;
  }, null);
  assert.deepEqual(seen, [
    -EINVAL,
    -EINVAL,
    -EINVAL,
    -EINVAL,
    -EINVAL,
    -EFAULT,
    -ENOMEM,
    -EINVAL,
    -EINVAL,
    0,
    0,
    -EFAULT,
  ]);
});

test('mremap: shrink, grow in place, move with MAYMOVE and to a fixed address', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    const a = yield* mmap(t, 0, 3 * PAGE);
    t.store32(a, 1);
    t.store32(a + PAGE, 2);
    // Shrink: the tail goes (a NOREPLACE mapping fits there again).
    seen.push((yield* mremap(t, a, 3 * PAGE, 2 * PAGE)) - a);
    seen.push((yield* mmap(t, a + 2 * PAGE, PAGE, ANON | MAP_FIXED_NOREPLACE)) - a);
    seen.push(yield* syscall(t, SYS_MUNMAP, a + 2 * PAGE, PAGE));
    // Grow in place into the freed page: old data kept, the new page reads zeros.
    seen.push((yield* mremap(t, a, 2 * PAGE, 3 * PAGE)) - a, t.load32(a + PAGE), t.load32(a + 2 * PAGE));
    // Blocked above, so MAYMOVE moves it below the lowest mapping (a): to a - 4 pages.
    yield* mmap(t, a + 3 * PAGE, PAGE, ANON | MAP_FIXED_NOREPLACE);
    const n = yield* mremap(t, a, 3 * PAGE, 4 * PAGE, MREMAP_MAYMOVE);
    seen.push(a - n, t.load32(n), t.load32(n + PAGE), t.load32(n + 3 * PAGE));
    seen.push((yield* mmap(t, a, PAGE, ANON | MAP_FIXED_NOREPLACE)) - a); // the old range is free
    // MREMAP_FIXED onto a mapped page: it is replaced.
    const dst = yield* mmap(t, 0x4000_0000, 2 * PAGE);
    t.store32(dst, 77);
    seen.push((yield* mremap(t, n, 2 * PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst)) - dst);
    seen.push(t.load32(dst), t.load32(dst + PAGE));
    return 0;
  }, null);
  assert.deepEqual(seen, [0, 2 * PAGE, 0, 0, 2, 0, 4 * PAGE, 1, 2, 0, 0, 0, 1, 0]);
});

test('faults: SIGSEGV records si_addr and si_code (MAPERR unmapped, ACCERR protected), SIGBUS ADRALN', () => {
  const cases = [
    { at: (_a: number) => 0x3000_0000, write: false, signal: SIGSEGV, code: SEGV_MAPERR }, // nothing mapped
    { at: (a: number) => a + 12, write: true, signal: SIGSEGV, code: SEGV_ACCERR }, // PROT_READ page written
    { at: (a: number) => a + 2, write: false, signal: SIGBUS, code: BUS_ADRALN }, // misaligned
  ];
  for (const c of cases) {
    let target = -1;
    const run = runGuest(
      function* (t) {
        target = c.at(yield* mmap(t, 0, PAGE, ANON, 1));
        if (c.write) t.store32(target, 1);
        else t.load32(target);
        return 0;
      },
      null,
      { expectFaults: [{ signal: c.signal === SIGSEGV ? 'SIGSEGV' : 'SIGBUS', message: / at 0x/ }] },
    );
    const f = run.kernel.faults[0]!;
    assert.deepEqual([f.signal, f.code, f.addr], [c.signal, c.code, target]);
  }
});
