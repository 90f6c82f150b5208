/**
 * `nvme-rogue`: an nvmed with a use-after-unmap bug, the rogue DMA of the iommu-rogue-dma
 * scenario (issue 18, HW-13; models-2.md §9.7). It writes a pattern block, then reads the block
 * back through a streaming mapping of its buffer, unmaps the mapping and frees the buffer, as a
 * correct driver does; then, wrongly, it submits another read to the bus address it kept. Between
 * the two, a victim page is mapped and filled with its own pattern: the frame the buffer gave
 * back is the next one handed out, so the victim gets it. Without an IOMMU the bus address is
 * that frame's physical address and the device's write lands in the victim's page; the victim's
 * check finds every word changed. With an IOMMU the IOVA was unmapped: every write of the
 * transfer is stopped and logged (device, IOVA, access) and the victim's page is untouched.
 * Publishes `corrupted_words` (of the victim's 1024), `read_ok` (the first read returned the
 * pattern) and `rogue_status` (the device's status for the rogue read: it does not know).
 */
import type { Program } from '../../abi/effects.ts';
import type { Guest } from '../../abi/guest.ts';
import { DMA_FROM_DEVICE, DMA_TO_DEVICE } from '../../abi/devio.ts';
import { SYS_DMA_MAP, SYS_DMA_UNMAP, SYS_MUNMAP } from '../../abi/syscalls.ts';
import { openFunction } from './function.ts';
import { pthread_join } from '../../libc/join.ts';
import { pthread_create } from '../../libc/pthread.ts';
import { mmap_anonymous, syscall } from '../../libc/sys.ts';
import { irqClose } from './irq-handle.ts';
import { completionThread, nvmeInit, nvmeSubmit } from './nvme-queues.ts';

const WORDS = 1024;
const DEVICE_PATTERN = 0x5a5a_5a5a;
const VICTIM_PATTERN = 0xa5a5_a5a5;
const LBA = 64;

function* ok(what: string, r: number): Program<number> {
  if (r < 0) throw new Error(`nvme-rogue: ${what} failed (${r})`);
  return r;
}

/** Maps `buf` for the device in `dir`; returns the bus address. */
function* mapBuffer(t: Guest, dev: number, buf: number, dir: number, scratch: number): Program<number> {
  yield* ok('dma_map', yield* syscall(t, SYS_DMA_MAP, dev, buf, dir, scratch));
  return t.load32(scratch) >>> 0;
}

export function* nvmeRogueMain(t: Guest): Program<Record<string, number>> {
  const f = yield* openFunction(t, 'nvme-rogue', 'nvme0');
  const dev = f.dev;
  const c = yield* nvmeInit(t, f, 'nvme0', [0]);
  const served = c.handles[0]!;
  const [err, reaper] = yield* pthread_create(t, null, (g) => completionThread(g, c, served), null);
  if (err !== 0) throw new Error(`nvme-rogue: pthread_create failed (${err})`);
  const q = c.queues[0]!;
  const scratch = yield* mmap_anonymous(t, 4096);
  const buf = yield* mmap_anonymous(t, 4096);
  for (let i = 0; i < WORDS; i++) t.store32(buf + 4 * i, DEVICE_PATTERN);
  const out = yield* mapBuffer(t, dev, buf, DMA_TO_DEVICE, scratch);
  yield* ok('write', -(yield* nvmeSubmit(t, c, q, true, LBA, out)));
  yield* syscall(t, SYS_DMA_UNMAP, dev, out, DMA_TO_DEVICE);
  for (let i = 0; i < WORDS; i++) t.store32(buf + 4 * i, 0);
  const bus = yield* mapBuffer(t, dev, buf, DMA_FROM_DEVICE, scratch);
  yield* ok('read', -(yield* nvmeSubmit(t, c, q, false, LBA, bus)));
  yield* syscall(t, SYS_DMA_UNMAP, dev, bus, DMA_FROM_DEVICE);
  const readOk = t.load32(buf) >>> 0 === DEVICE_PATTERN ? 1 : 0;
  yield* ok('munmap', yield* syscall(t, SYS_MUNMAP, buf, 4096));
  // The victim: a fresh page, touched at once, takes the frame the buffer gave back.
  const victim = yield* mmap_anonymous(t, 4096);
  for (let i = 0; i < WORDS; i++) t.store32(victim + 4 * i, VICTIM_PATTERN);
  // The bug: the stale bus address, used after its unmap.
  const rogueStatus = yield* nvmeSubmit(t, c, q, false, LBA, bus);
  let corrupted = 0;
  for (let i = 0; i < WORDS; i++) if (t.load32(victim + 4 * i) >>> 0 !== VICTIM_PATTERN) corrupted++;
  yield* irqClose(t, served.handle);
  yield* pthread_join(t, reaper);
  return { corruptedWords: corrupted, readOk, rogueStatus };
}
