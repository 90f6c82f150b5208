/**
 * `nvmed`, the NVMe userspace driver (issue 18, HW-11; Redox's drivers/storage/nvmed), in its
 * fio-style measured mode: the driver process brings the controller up (nvme-queues.ts), starts
 * one completion thread per interrupt source, and runs `jobs` client threads inside itself, job
 * j pinned to CPU j mod the online CPUs, each issuing `requests` 4 KiB reads (or writes) at queue
 * depth 1 to pseudo-random 4 KiB-aligned blocks through the queue of its CPU (blk-mq's CPU to
 * hardware-queue map: CPU c uses queue c mod queues). The client thread structure is what a
 * `disk.nvme:` scheme front-end will call once user schemes land.
 *
 * `queues = 0` gives one I/O queue per online CPU (Linux's nvme, up to the controller's queues),
 * each completion thread pinned to its queue's CPU when the function has a vector per queue;
 * `queues = 1` is Redox's nvmed: one I/O queue pair on vector 0, one unpinned completion thread.
 * Publishes `requests`, `elapsed_ns`, `iops`, `p50_ns`, `p99_ns`, `max_ns` (request latency,
 * submit to wake-up), `queues`, `irq_mode` (0 INTx, 1 MSI, 2 MSI-X) and `errors`.
 */
import type { Program } from '../../abi/effects.ts';
import type { Guest } from '../../abi/guest.ts';
import { DMA_FROM_DEVICE, DMA_TO_DEVICE } from '../../abi/devio.ts';
import { SYS_DMA_ALLOC, SYS_DMA_MAP, SYS_DMA_UNMAP } from '../../abi/syscalls.ts';
import { onlineCpus, openFunction } from './function.ts';
import { pthread_join } from '../../libc/join.ts';
import {
  pthread_attr_init,
  pthread_attr_setaffinity_np,
  pthread_attr_t,
  pthread_create,
  type pthread_t,
} from '../../libc/pthread.ts';
import { sched_getcpu } from '../../libc/sched.ts';
import { mmap_anonymous, syscall } from '../../libc/sys.ts';
import { clock_gettime_ns } from '../../libc/time.ts';
import {
  completionThread,
  type NvmeController,
  type NvmeQueue,
  nvmeInit,
  nvmeSubmit,
} from './nvme-queues.ts';
import { irqClose } from './irq-handle.ts';

export interface NvmedArgs {
  readonly device: string;
  readonly queues: number;
  readonly jobs: number;
  readonly requests: number;
  readonly write: boolean;
  /** Blocks of the namespace the requests spread over (512-byte blocks). */
  readonly spanBlocks: number;
  /**
   * Each job's buffer: false, one coherent DMA page (dma_alloc); true, an ordinary page mapped
   * for each request and unmapped after it (dma_map/dma_unmap: an IOVA, or a SWIOTLB bounce for
   * a device whose mask does not reach the page).
   */
  readonly streaming: boolean;
  /**
   * Which queue a request goes to: false, the queue of the CPU the job started on (fixed); true,
   * the queue of the CPU submitting it, looked up per request (blk-mq's blk_mq_map_queue on the
   * current CPU's software context), so a job moved off an offlined CPU stops using that CPU's
   * queue and its managed vector can drain (cpu-offline-io). sched_getcpu is a system call here
   * (Linux's is the vDSO): one more call per request.
   */
  readonly queueByCpu: boolean;
}

export interface NvmedResult {
  requests: number;
  elapsedNs: number;
  iops: number;
  p50Ns: number;
  p99Ns: number;
  maxNs: number;
  queues: number;
  irqMode: number;
  errors: number;
}

function attrOn(cpu: number): pthread_attr_t {
  const attr = new pthread_attr_t();
  pthread_attr_init(attr);
  if (pthread_attr_setaffinity_np(attr, [cpu]) !== 0) throw new Error(`nvmed: no CPU ${cpu}`);
  return attr;
}

function* spawn(t: Guest, cpu: number, body: (g: Guest) => Program<number>): Program<pthread_t> {
  const [err, th] = yield* pthread_create(t, cpu >= 0 ? attrOn(cpu) : null, body, null);
  if (err !== 0) throw new Error(`nvmed: pthread_create failed (${err})`);
  return th;
}

/** A 4 KiB-aligned block number for request `r` of job `j` (a fixed hash: runs repeat exactly). */
function blockFor(j: number, r: number, spanBlocks: number): number {
  const h = Math.imul((j + 1) * 0x9e37_79b1 + r, 0x85eb_ca6b) >>> 0;
  return (h % Math.max(1, Math.floor(spanBlocks / 8))) * 8;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

function* job(
  t: Guest,
  c: NvmeController,
  q: NvmeQueue,
  j: number,
  a: NvmedArgs,
  lat: number[],
  errs: number[],
): Program<number> {
  const scratch = yield* mmap_anonymous(t, 4096);
  const buf = a.streaming ? yield* mmap_anonymous(t, 4096) : yield* syscall(t, SYS_DMA_ALLOC, c.dev, scratch);
  if (buf < 0) throw new Error(`nvmed: buffer allocation failed (${buf})`);
  t.store32(buf, 0); // touch it: a streaming mapping needs the page present
  const coherentBus = t.load32(scratch) >>> 0;
  const dir = a.write ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
  for (let r = 0; r < a.requests; r++) {
    const t0 = yield* clock_gettime_ns(t);
    const submitQ = a.queueByCpu ? c.queues[(yield* sched_getcpu(t)) % c.queues.length]! : q;
    let bus = coherentBus;
    if (a.streaming) {
      const m = yield* syscall(t, SYS_DMA_MAP, c.dev, buf, dir, scratch);
      if (m < 0) throw new Error(`nvmed: dma_map failed (${m})`);
      bus = t.load32(scratch) >>> 0;
    }
    const status = yield* nvmeSubmit(t, c, submitQ, a.write, blockFor(j, r, a.spanBlocks), bus);
    if (a.streaming) yield* syscall(t, SYS_DMA_UNMAP, c.dev, bus, dir);
    lat.push((yield* clock_gettime_ns(t)) - t0);
    if (status !== 0) errs.push(status);
  }
  return 0;
}

export function* nvmedMain(t: Guest, a: NvmedArgs): Program<NvmedResult> {
  const f = yield* openFunction(t, 'nvmed', a.device);
  const { sources, irqMode } = f;
  const cpus = yield* onlineCpus(t);
  const wanted = a.queues > 0 ? a.queues : cpus;
  const c = yield* nvmeInit(
    t,
    f,
    a.device,
    Array.from({ length: wanted }, (_, i) => i % cpus),
  );
  const n = c.queues.length;
  const reapers: pthread_t[] = [];
  for (const h of c.handles) {
    const cpu = sources > 1 && a.queues === 0 ? h.queues[0]!.cpu : -1;
    reapers.push(yield* spawn(t, cpu, (g) => completionThread(g, c, h)));
  }
  const lat: number[] = [];
  const errs: number[] = [];
  const t0 = yield* clock_gettime_ns(t);
  const jobs: pthread_t[] = [];
  for (let j = 0; j < a.jobs; j++) {
    const cpu = j % cpus;
    const q = c.queues[cpu % c.queues.length]!;
    jobs.push(yield* spawn(t, cpu, (g) => job(g, c, q, j, a, lat, errs)));
  }
  for (const th of jobs) yield* pthread_join(t, th);
  const elapsedNs = (yield* clock_gettime_ns(t)) - t0;
  for (const h of c.handles) yield* irqClose(t, h.handle);
  for (const th of reapers) yield* pthread_join(t, th);
  lat.sort((x, y) => x - y);
  const requests = lat.length;
  return {
    requests,
    elapsedNs,
    iops: elapsedNs > 0 ? Math.round((requests * 1e9) / elapsedNs) : 0,
    p50Ns: percentile(lat, 50),
    p99Ns: percentile(lat, 99),
    maxNs: lat[lat.length - 1] ?? 0,
    queues: n,
    irqMode,
    errors: errs.length,
  };
}
