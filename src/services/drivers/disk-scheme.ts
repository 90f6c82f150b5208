/**
 * nvmed's `disk.nvme:` scheme front-end (issue 18, HW-11): how Redox's storage drivers serve
 * their disks. redox-os/drivers storage/nvmed/src/main.rs (commit 02070dee) creates the disk
 * scheme socket (`Socket::create`, named `disk.<pci function>-nvme` there; `disk.nvme` here, one
 * device), brings the controller up with one MSI-X entry aimed at the BSP
 * (`allocate_single_interrupt_vector_for_msi(bsp_cpu_id)`, "TODO: Allocate more than one
 * vector"), and serves requests in one loop, each call awaited before the next ("TODO: Spawn a
 * separate task for each scheme call ... in order to do parallel IO"); its DiskScheme
 * (scheme.rs) maps byte offsets to blocks. That one loop is the baseline (`servers = 1`). A
 * client's read or write of `disk.nvme:0` becomes a user-scheme request (kernel/fd/user-scheme.ts),
 * a server thread of the driver takes it, copies the data into its DMA page, submits the command
 * on its queue (nvme-queues.ts), waits for the completion thread to post it, and answers.
 *
 * Served: open `0` (namespace 1; anything else ENOENT), read and write of exactly 4 KiB at a
 * 4 KiB-aligned offset (the driver's one PRP page per command; others EINVAL), close. A device
 * status other than success is EIO. `quit` (an open the driver itself makes) stops a server
 * thread after its answer. Each server thread owns a DMA page and one queue: its CPU's when
 * every CPU has a queue (blk-mq's CPU → hardware queue map), else queue 1 (Redox's one queue).
 */
import type { Program } from '../../abi/effects.ts';
import { EINVAL, EIO, ENOENT } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import { SYS_DMA_ALLOC } from '../../abi/syscalls.ts';
import { getBytes, putBytes } from '../../libc/io-bytes.ts';
import { type SchemeHandler, scheme_serve } from '../../libc/scheme-server.ts';
import { mmap_anonymous, syscall } from '../../libc/sys.ts';
import { type NvmeController, type NvmeQueue, nvmeSubmit } from './nvme-queues.ts';

export const DISK_SCHEME = 'disk.nvme';
export const DISK_BLOCK_BYTES = 4096;
const SERVER_BUF_BYTES = 64 + DISK_BLOCK_BYTES;

export interface DiskState {
  readonly c: NvmeController;
  quit: boolean;
  nextId: number;
  readonly open: Set<number>;
  /** Requests served, and those the device failed. */
  served: number;
  deviceErrors: number;
}

function okRange(len: number, offset: number): boolean {
  return len === DISK_BLOCK_BYTES && offset % DISK_BLOCK_BYTES === 0 && offset >= 0;
}

/** One server thread's handler: its DMA page (`buf` here, `bus` for the device) and queue. */
function handler(s: DiskState, q: NvmeQueue, buf: number, bus: number): SchemeHandler {
  const io = function* (t: Guest, write: boolean, offset: number): Program<number> {
    const status = yield* nvmeSubmit(t, s.c, q, write, offset / 512, bus);
    s.served++;
    if (status !== 0) s.deviceErrors++;
    return status === 0 ? 0 : -EIO;
  };
  return {
    *open(_t, path) {
      if (path === 'quit') {
        s.quit = true;
        return 0;
      }
      if (path !== '0') return -ENOENT;
      const id = s.nextId++;
      s.open.add(id);
      return id;
    },
    *read(t, id, len, offset) {
      if (!s.open.has(id) || !okRange(len, offset)) return -EINVAL;
      const r = yield* io(t, false, offset);
      return r < 0 ? r : getBytes(t, buf, DISK_BLOCK_BYTES);
    },
    *write(t, id, data, offset) {
      if (!s.open.has(id) || !okRange(data.length, offset)) return -EINVAL;
      putBytes(t, buf, data);
      const r = yield* io(t, true, offset);
      return r < 0 ? r : data.length;
    },
    *close(_t, id) {
      s.open.delete(id);
    },
  };
}

/** A server thread: serves `fd` through queue `q` until a `quit` open reaches it. */
export function* diskServer(t: Guest, s: DiskState, fd: number, q: NvmeQueue): Program<number> {
  const scratch = yield* mmap_anonymous(t, 4096);
  const buf = yield* syscall(t, SYS_DMA_ALLOC, s.c.dev, scratch);
  if (buf < 0) throw new Error(`nvmed: dma_alloc for a server failed (${buf})`);
  const bus = t.load32(scratch) >>> 0;
  const packets = yield* mmap_anonymous(t, SERVER_BUF_BYTES);
  yield* scheme_serve(t, fd, packets, SERVER_BUF_BYTES, handler(s, q, buf, bus), () => s.quit);
  return 0;
}
