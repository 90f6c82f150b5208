/**
 * A page another CPU has cached, then changed under it: the main thread maps a page and writes 5
 * to it, a second thread on the other CPU reads it (so its TLB holds the translation), then the
 * main thread runs `change` on the page while that thread waits, and the thread reads the page
 * again. Under a correct shootdown the second read sees the page as `change` left it, never the
 * freed frame's 5. Shared by the madvise and mmap tests (issue 15), two CPUs, the linux protocol.
 */
import assert from 'node:assert/strict';
import { AtomicOp, type Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { TLB_OPTIONS_DEFAULT } from '../../src/kernel/tlb/state.ts';
import { pthread_join } from '../../src/libc/join.ts';
import { pthread_create } from '../../src/libc/pthread.ts';
import { mmap_anonymous } from '../../src/libc/sys.ts';
import { runGuest } from './guest.ts';

const PAGE = 4096;

/** `[first read, change's result, second read]` and the run, as runGuest returns it. */
export function changeCachedPage(change: (t: Guest, addr: number) => Program<number>) {
  const seen: number[] = [];
  const run = runGuest(
    function* (t) {
      const a = yield* mmap_anonymous(t, PAGE);
      const flag = yield* mmap_anonymous(t, PAGE);
      t.store32(a, 5);
      const [err, th] = yield* pthread_create(
        t,
        null,
        function* (r: Guest) {
          seen.push(r.load32(a)); // cached in this CPU's TLB
          yield r.atomic(AtomicOp.Store, flag, 1);
          while ((yield r.atomic(AtomicOp.Load, flag)) !== 2) yield r.compute(1000);
          seen.push(r.load32(a)); // a stale entry would read the freed frame's 5
          return 0;
        },
        null,
      );
      assert.equal(err, 0);
      while ((yield t.atomic(AtomicOp.Load, flag)) !== 1) yield t.compute(1000);
      const result = yield* change(t, a);
      seen.push(result); // after the first read (flag 1), before the second (flag 2)
      yield t.atomic(AtomicOp.Store, flag, 2);
      yield* pthread_join(t, th);
      return 0;
    },
    null,
    { cpus: 2, tlb: { ...TLB_OPTIONS_DEFAULT, protocol: 'linux' } },
  );
  return { seen, run };
}
