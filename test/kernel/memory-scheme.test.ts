// The memory: scheme (kernel/devio/memory-scheme.ts, issue 18) as Redox's src/scheme/memory.rs:
// its path grammar, root-only physical borrows (EACCES), mmap of a descriptor (fmap), a BAR
// window whose registers the mmio calls reach, and the errors of each step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EACCES, EBADF, EFAULT, EINVAL, ENODEV, ENOENT, ENOTSUP } from '../../src/abi/errno.ts';
import { E1000_ITR } from '../../src/abi/e1000-regs.ts';
import type { Program } from '../../src/abi/effects.ts';
import { O_RDONLY, O_RDWR } from '../../src/abi/fd.ts';
import type { Guest } from '../../src/abi/guest.ts';
import {
  MAP_PRIVATE,
  MAP_SHARED,
  PROT_READ,
  PROT_WRITE,
  SYS_MMAP,
  SYS_MMIO_READ,
  SYS_MMIO_WRITE,
  SYS_MUNMAP,
} from '../../src/abi/syscalls.ts';
import { parseMemoryPath } from '../../src/kernel/devio/memory-scheme.ts';
import { errno } from '../../src/libc/errno.ts';
import { fork } from '../../src/libc/fork.ts';
import { close, open, pipe, read } from '../../src/libc/io.ts';
import { setuid } from '../../src/libc/proc-handles.ts';
import { waitpid } from '../../src/libc/process.ts';
import { mmap_anonymous, syscall } from '../../src/libc/sys.ts';
import type { DeviceSetupConfig } from '../../src/machine/device-config.ts';
import { quietNic } from '../support/bar.ts';
import { runGuest } from '../support/guest.ts';

const DEVICES: DeviceSetupConfig = {
  irqRouting: 'improved',
  iommu: false,
  devices: [quietNic('eth0')],
};
/** Function 0's BAR0 (machine/devices.ts: 0xC000_0000 + i * 128 KiB). */
const BAR0 = 0xc000_0000;
const BAR_BYTES = 128 * 1024;
const RW = PROT_READ | PROT_WRITE;

test("memory scheme: memory.rs's path grammar", () => {
  const ok = (handle: string, type: string, physContiguous = false) => ({ handle, type, physContiguous });
  assert.deepEqual(parseMemoryPath(''), ok('zeroed', 'wb'));
  assert.deepEqual(parseMemoryPath('zeroed@uc?phys_contiguous'), ok('zeroed', 'uc', true));
  assert.deepEqual(parseMemoryPath('/physical@wc'), ok('physical', 'wc'));
  assert.deepEqual(parseMemoryPath('physical@dev'), ok('physical', 'dev'));
  assert.deepEqual(parseMemoryPath('translation'), ok('translation', 'wb'));
  assert.deepEqual(parseMemoryPath('zeroed@?'), ok('zeroed', 'wb'));
  // Flags follow the memory type: without an `@` the `?` is part of the kind (as memory.rs splits).
  const wrong = [
    'physical@xx',
    'phys',
    'zeroed@?bogus',
    'zeroed@wb?phys_contiguous,32',
    'zeroed?phys_contiguous',
  ];
  for (const bad of [...wrong, `zeroed@${'w'.repeat(60)}`]) assert.equal(parseMemoryPath(bad), -ENOENT, bad);
});

test('memory scheme: a root driver maps BAR0 and reaches its registers; each wrong step has its errno', () => {
  const seen: Record<string, unknown> = {};
  runGuest(
    function* (t: Guest): Program<number> {
      const res = (r: number) => (r < 0 ? -errno(t) : r);
      const mmap = (len: number, prot: number, flags: number, fd: number, off: number) =>
        syscall(t, SYS_MMAP, 0, len, prot, flags, fd, off);
      const phys = yield* open(t, 'memory:physical@uc', O_RDWR);
      const bar = yield* mmap(BAR_BYTES, RW, MAP_SHARED, phys, BAR0);
      seen.barAligned = bar > 0 && bar % 4096 === 0;
      seen.write = yield* syscall(t, SYS_MMIO_WRITE, bar + E1000_ITR, 195);
      seen.readBack = yield* syscall(t, SYS_MMIO_READ, bar + E1000_ITR);
      seen.outside = yield* syscall(t, SYS_MMIO_READ, bar + BAR_BYTES);
      seen.unaligned = yield* syscall(t, SYS_MMIO_READ, bar + 2);
      seen.unalignedPhys = yield* mmap(4096, RW, MAP_SHARED, phys, BAR0 + 8);
      seen.ram = yield* mmap(4096, RW, MAP_SHARED, phys, 0x10_0000);
      seen.pastBar = yield* mmap(2 * BAR_BYTES, RW, MAP_SHARED, phys, BAR0);
      seen.readHandle = res(yield* read(t, phys, bar, 8));
      yield* close(t, phys);
      seen.afterClose = yield* syscall(t, SYS_MMIO_READ, bar + E1000_ITR); // the mapping stays
      yield* syscall(t, SYS_MUNMAP, bar, BAR_BYTES);
      seen.afterMunmap = yield* syscall(t, SYS_MMIO_READ, bar + E1000_ITR);
      const ro = yield* open(t, 'memory:physical', O_RDONLY);
      seen.readOnlyShared = yield* mmap(4096, RW, MAP_SHARED, ro, BAR0);
      const tr = yield* open(t, 'memory:translation', O_RDWR);
      seen.translation = yield* mmap(4096, RW, MAP_SHARED, tr, 0);
      const contiguous = yield* open(t, 'memory:zeroed@wb?phys_contiguous', O_RDWR);
      seen.contiguousShared = yield* mmap(4096, RW, MAP_SHARED, contiguous, 0);
      seen.noFd = yield* mmap(4096, RW, MAP_SHARED, 99, 0);
      const fds = yield* mmap_anonymous(t, 4096);
      yield* pipe(t, fds);
      seen.pipe = yield* mmap(4096, PROT_READ, MAP_PRIVATE, t.load32(fds), 0);
      seen.bogus = res(yield* open(t, 'memory:bogus', O_RDWR));
      const pid = yield* fork(t, function* (g) {
        yield* setuid(g, 1000);
        const r = (x: number) => (x < 0 ? -errno(g) : x);
        seen.userPhysical = r(yield* open(g, 'memory:physical@uc', O_RDWR));
        seen.userZeroedUc = r(yield* open(g, 'memory:zeroed@uc', O_RDWR));
        const z = yield* open(g, 'memory:zeroed', O_RDWR);
        const page = yield* syscall(g, SYS_MMAP, 0, 8192, RW, MAP_PRIVATE, z, 0);
        const zero = g.load32(page + 4100);
        g.store32(page + 4100, 7);
        seen.userZeroed = [zero, g.load32(page + 4100)];
        return 0;
      });
      yield* waitpid(t, pid);
      return 0;
    },
    null,
    { cpus: 2, devices: DEVICES },
  );
  assert.deepEqual(seen, {
    barAligned: true,
    write: 0,
    readBack: 195,
    outside: -EFAULT,
    unaligned: -EINVAL,
    unalignedPhys: -EINVAL,
    ram: -EINVAL,
    pastBar: -EINVAL,
    readHandle: -EBADF,
    afterClose: 195,
    afterMunmap: -EFAULT,
    readOnlyShared: -EACCES,
    translation: -ENOTSUP,
    contiguousShared: -ENOTSUP,
    noFd: -EBADF,
    pipe: -ENODEV,
    bogus: -ENOENT,
    userPhysical: -EACCES,
    userZeroedUc: -EACCES,
    userZeroed: [0, 7],
  });
});
