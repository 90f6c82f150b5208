// madvise(MADV_DONTNEED) (kernel/madvise.ts, mm/madvise.c; issue 15): Linux's errnos with exact
// values, a private page reads zeros afterwards in a fresh frame, a shared page keeps its data,
// a range with a hole is done where mapped and answers ENOMEM, and under the linux shootdown
// a second CPU that cached the page reads the zeros too (no stale translation).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EINVAL, ENOMEM } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { MADV_DONTNEED, MAP_SHARED, SYS_MADVISE, SYS_MUNMAP } from '../../src/abi/syscalls.ts';
import { mmap_anonymous, syscall } from '../../src/libc/sys.ts';
import { changeCachedPage } from '../support/cached-page.ts';
import { runGuest } from '../support/guest.ts';

const PAGE = 4096;
const madvise = (t: Guest, addr: number, len: number, advice = MADV_DONTNEED) =>
  syscall(t, SYS_MADVISE, addr, len, advice);

test('madvise: errnos as Linux', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    const a = yield* mmap_anonymous(t, 2 * PAGE);
    seen.push(yield* madvise(t, a + 8, PAGE)); // unaligned
    seen.push(yield* madvise(t, a, -1)); // negative length
    seen.push(yield* madvise(t, a, PAGE, 99)); // advice not implemented
    seen.push(yield* madvise(t, a, 0)); // empty range
    seen.push(yield* madvise(t, a, 2 * PAGE));
    return 0;
  }, null);
  assert.deepEqual(seen, [-EINVAL, -EINVAL, -EINVAL, 0, 0]);
});

test('madvise: a private page reads zeros afterwards and takes writes; a shared page keeps its data', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    const priv = yield* mmap_anonymous(t, PAGE);
    const shared = yield* mmap_anonymous(t, PAGE, MAP_SHARED);
    t.store32(priv, 7);
    t.store32(shared, 9);
    seen.push(yield* madvise(t, priv, PAGE), t.load32(priv));
    seen.push(yield* madvise(t, shared, PAGE), t.load32(shared));
    t.store32(priv, 3); // the fresh frame is writable
    seen.push(t.load32(priv));
    return 0;
  }, null);
  assert.deepEqual(seen, [0, 0, 0, 9, 3]);
});

test('madvise: a hole in the range is ENOMEM, and the mapped pages are still zapped', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    const a = yield* mmap_anonymous(t, 3 * PAGE);
    t.store32(a, 1);
    t.store32(a + 2 * PAGE, 2);
    seen.push(yield* syscall(t, SYS_MUNMAP, a + PAGE, PAGE)); // the hole in the middle
    seen.push(yield* madvise(t, a, 3 * PAGE), t.load32(a), t.load32(a + 2 * PAGE));
    return 0;
  }, null);
  assert.deepEqual(seen, [0, -ENOMEM, 0, 0]);
});

test('madvise under the linux shootdown: the other CPU that cached the page reads zeros', () => {
  const { seen, run } = changeCachedPage((t, a) => madvise(t, a, PAGE));
  assert.deepEqual(seen, [5, 0, 0]);
  assert.equal(run.kernel.tlb.stats.staleReads.length, 0);
  assert.ok(run.kernel.tlb.stats.shootdowns >= 1);
});
