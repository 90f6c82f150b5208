/**
 * A bump allocator over mmapped arenas: enough for libc's control blocks (thread descriptors,
 * mutex and condvar words). Nothing is freed; arenas are 64 KiB and 16-byte aligned chunks.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { ENOMEM } from '../abi/errno.ts';
import { mmap_anonymous } from './sys.ts';

const ARENA_BYTES = 64 * 1024;
const ALIGN = 16;

interface Heap {
  next: number;
  end: number;
}

/** Returns the address of `bytes` zeroed bytes, or throws ENOMEM as a guest abort. */
export function* malloc(t: Guest, bytes: number): Program<number> {
  const size = Math.ceil(Math.max(bytes, 1) / ALIGN) * ALIGN;
  let heap = t.data.heap as Heap | undefined;
  if (heap === undefined || heap.next + size > heap.end) {
    const arenaBytes = Math.max(ARENA_BYTES, size);
    const base = yield* mmap_anonymous(t, arenaBytes);
    if (base < 0) throw new Error(`malloc: out of memory (errno ${ENOMEM})`);
    heap = { next: base, end: base + arenaBytes };
    t.data.heap = heap;
  }
  const addr = heap.next;
  heap.next += size;
  return addr;
}
