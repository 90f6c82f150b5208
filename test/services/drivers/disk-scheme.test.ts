// nvmed's disk.nvme: scheme (services/drivers/disk-scheme.ts, issue 18): a client process's
// open, write and read go through the user scheme to a server thread, the NVMe queues and the
// completion interrupt and back; the errors a client gets for what the driver does not serve.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import { EINVAL, ENOENT } from '../../../src/abi/errno.ts';
import { O_RDWR, SEEK_SET } from '../../../src/abi/fd.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import { MAP_SHARED } from '../../../src/abi/syscalls.ts';
import { openFunction } from '../../../src/services/drivers/function.ts';
import { errno } from '../../../src/libc/errno.ts';
import { fork } from '../../../src/libc/fork.ts';
import { close, lseek, open, read, write } from '../../../src/libc/io.ts';
import { getBytes, putBytes } from '../../../src/libc/io-bytes.ts';
import { waitpid } from '../../../src/libc/process.ts';
import { pthread_create, pthread_join } from '../../../src/libc/pthread.ts';
import { scheme_register } from '../../../src/libc/scheme-server.ts';
import { mmap_anonymous } from '../../../src/libc/sys.ts';
import type { DeviceSetupConfig } from '../../../src/machine/device-config.ts';
import { DISK_SCHEME, type DiskState, diskServer } from '../../../src/services/drivers/disk-scheme.ts';
import { irqClose } from '../../../src/services/drivers/irq-handle.ts';
import { completionThread, nvmeInit } from '../../../src/services/drivers/nvme-queues.ts';
import { runGuest } from '../../support/guest.ts';

const DEVICES: DeviceSetupConfig = {
  irqRouting: 'improved',
  iommu: false,
  devices: [
    {
      kind: 'nvme',
      name: 'nvme0',
      ioQueues: 2,
      queueEntries: 1024,
      readNs: 5000,
      writeNs: 5000,
      adminNs: 1000,
      parallelism: 4,
      blocks: 1 << 16,
      quirks: [],
      dmaBits: 64,
    },
  ],
};

/** The client's results, in order, written to the shared page (-errno for a failed call). */
function* client(t: Guest, shared: number): Program<number> {
  const out: number[] = [];
  const res = (r: number) => (r < 0 ? -errno(t) : r);
  out.push(res(yield* open(t, `${DISK_SCHEME}:1`, O_RDWR)));
  const fd = yield* open(t, `${DISK_SCHEME}:0`, O_RDWR);
  const buf = yield* mmap_anonymous(t, 8192);
  const msg = new Uint8Array(4096).map((_, i) => (i * 13 + 5) & 0xff);
  putBytes(t, buf, msg);
  yield* lseek(t, fd, 100, SEEK_SET);
  out.push(res(yield* write(t, fd, buf, 4096))); // not block-aligned
  yield* lseek(t, fd, 8192, SEEK_SET);
  out.push(res(yield* write(t, fd, buf, 4096)));
  yield* lseek(t, fd, 8192, SEEK_SET);
  out.push(res(yield* read(t, fd, buf + 4096, 512))); // not a whole block
  out.push(res(yield* read(t, fd, buf + 4096, 4096)));
  const back = getBytes(t, buf + 4096, 4096);
  out.push(back.every((b, i) => b === msg[i]) ? 1 : 0);
  yield* close(t, fd);
  for (const [i, v] of out.entries()) t.store32(shared + 4 * i, v >>> 0);
  return 0;
}

function* driver(t: Guest, results: number[]): Program<number> {
  const shared = yield* mmap_anonymous(t, 4096, MAP_SHARED);
  const fd = yield* scheme_register(t, DISK_SCHEME);
  const pid = yield* fork(t, (g) => client(g, shared));
  const c = yield* nvmeInit(t, yield* openFunction(t, 'test', 'nvme0'), 'nvme0', [0, 1]);
  const reapers = [];
  for (const h of c.handles)
    reapers.push((yield* pthread_create(t, null, (g) => completionThread(g, c, h), null))[1]);
  const s: DiskState = { c, quit: false, nextId: 1, open: new Set(), served: 0, deviceErrors: 0 };
  const [, server] = yield* pthread_create(t, null, (g) => diskServer(g, s, fd, c.queues[0]!), null);
  yield* waitpid(t, pid);
  const quit = yield* open(t, `${DISK_SCHEME}:quit`, O_RDWR);
  yield* pthread_join(t, server);
  yield* close(t, fd);
  yield* close(t, quit);
  for (const h of c.handles) yield* irqClose(t, h.handle);
  for (const r of reapers) yield* pthread_join(t, r);
  for (let i = 0; i < 6; i++) results.push(t.load32(shared + 4 * i) | 0);
  results.push(s.served);
  return 0;
}

test('a client reads back through disk.nvme: what it wrote; bad paths and ranges are refused', () => {
  const results: number[] = [];
  const run = runGuest((t) => driver(t, results), null, { cpus: 2, devices: DEVICES });
  assert.equal(run.kernel.finished, true, run.kernel.stopReason ?? '');
  assert.deepEqual(results, [-ENOENT, -EINVAL, 4096, -EINVAL, 4096, 1, 2]);
});
