// The kernel's device calls for userspace drivers (kernel/devio/, issue 18): vector placement
// per routing mode (K21), affinity per mode (K11), the count lock per mode (K13), the irq
// handle's read/ack handshake, and the calls on a machine without devices.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EINVAL, EIO, ENODEV, ENOENT } from '../../src/abi/errno.ts';
import { AT_FDCWD, O_RDWR } from '../../src/abi/fd.ts';
import * as E from '../../src/abi/e1000-regs.ts';
import { type Guest, sys } from '../../src/abi/guest.ts';
import type { Program } from '../../src/abi/effects.ts';
import {
  SYS_IRQ_AFFINITY,
  SYS_IRQ_OPEN,
  SYS_IRQ_READ,
  SYS_IRQ_WRITE,
  SYS_CLOSE,
  SYS_MMAP,
  SYS_OPENAT,
  SYS_PCI_OPEN,
  SYS_READ,
  SYS_WRITE,
} from '../../src/abi/syscalls.ts';
import type { DeviceSetupConfig } from '../../src/machine/device-config.ts';
import { mmioWrite } from '../../src/services/drivers/bar.ts';
import { barOf, quietNic } from '../support/bar.ts';
import { runGuest } from '../support/guest.ts';

function setup(irqRouting: 'redox' | 'improved'): DeviceSetupConfig {
  return {
    irqRouting,
    iommu: false,
    devices: [
      quietNic('eth0'),
      {
        kind: 'nvme',
        name: 'nvme0',
        ioQueues: 4,
        queueEntries: 64,
        readNs: 1000,
        writeNs: 1000,
        adminNs: 1000,
        parallelism: 4,
        blocks: 1024,
        quirks: [],
        dmaBits: 64,
      },
    ],
  };
}

test('redox: every vector on the BSP, first fit above its IDT reservations (K21)', () => {
  const seen: number[] = [];
  const run = runGuest(
    function* (t: Guest): Program<number> {
      const nic = yield* sys(t, SYS_PCI_OPEN, 'eth0');
      const nvme = yield* sys(t, SYS_PCI_OPEN, 'nvme0');
      seen.push(yield* sys(t, SYS_IRQ_OPEN, nic, 0, 3));
      seen.push(yield* sys(t, SYS_IRQ_OPEN, nvme, 2, 2));
      return 0;
    },
    null,
    { cpus: 4, devices: setup('redox') },
  );
  const handles = [...run.kernel.devio!.handles.values()];
  assert.deepEqual(
    handles.map((h) => [h.cpu, h.vector, h.mode]),
    [
      [0, 50, 'msi'],
      [0, 51, 'msix'],
    ],
  );
  assert.equal(seen.length, 2);
});

test('improved: each queue vector is managed on its own CPU', () => {
  const run = runGuest(
    function* (t: Guest): Program<number> {
      const nvme = yield* sys(t, SYS_PCI_OPEN, 'nvme0');
      for (let q = 1; q <= 3; q++) yield* sys(t, SYS_IRQ_OPEN, nvme, q, q);
      return 0;
    },
    null,
    { cpus: 4, devices: setup('improved') },
  );
  const handles = [...run.kernel.devio!.handles.values()];
  assert.deepEqual(
    handles.map((h) => [h.cpu, h.managed]),
    [
      [1, true],
      [2, true],
      [3, true],
    ],
  );
});

/** Opens eth0's vector, moves it to `target`, raises a software cause (ICS) and waits for it. */
function affinityRun(mode: 'redox' | 'improved', target: number) {
  const results: number[] = [];
  const run = runGuest(
    function* (t: Guest): Program<number> {
      const nic = yield* sys(t, SYS_PCI_OPEN, 'eth0');
      const h = yield* sys(t, SYS_IRQ_OPEN, nic, 0, -1);
      results.push(yield* sys(t, SYS_IRQ_AFFINITY, h, target));
      const bar = yield* barOf(t, 'eth0');
      yield* mmioWrite(t, bar, E.E1000_IMS, E.ICR_RXT0);
      yield* mmioWrite(t, bar, E.E1000_ICS, E.ICR_RXT0);
      if (results[0]! >= 0) {
        const count = yield* sys(t, SYS_IRQ_READ, h);
        results.push(count, yield* sys(t, SYS_IRQ_WRITE, h, count));
      }
      return 0;
    },
    null,
    { cpus: 4, devices: setup(mode) },
  );
  return { results, devio: run.kernel.devio!, reason: run.reason };
}

test('redox: affinity writes any APIC id; one no CPU has sends the interrupt nowhere (K11)', () => {
  const gone = affinityRun('redox', 9);
  assert.deepEqual(gone.results, [-1]);
  assert.equal(gone.devio.stats.lostRaises, 1);
  const moved = affinityRun('redox', 2);
  assert.deepEqual(moved.results, [2, 1, 1]);
  assert.equal(moved.devio.stats.interruptsPerCpu[2], 1);
});

test('improved: affinity to a CPU that is not online is EINVAL; a queue vector is EIO (K11)', () => {
  assert.deepEqual(affinityRun('improved', 9).results, [-EINVAL]);
  const moved = affinityRun('improved', 3);
  assert.deepEqual(moved.results, [3, 1, 1]);
  assert.equal(moved.devio.stats.interruptsPerCpu[3], 1);
  const managed: number[] = [];
  runGuest(
    function* (t: Guest): Program<number> {
      const nvme = yield* sys(t, SYS_PCI_OPEN, 'nvme0');
      const h = yield* sys(t, SYS_IRQ_OPEN, nvme, 1, 1);
      managed.push(yield* sys(t, SYS_IRQ_AFFINITY, h, 2));
      return 0;
    },
    null,
    { cpus: 4, devices: setup('improved') },
  );
  assert.deepEqual(managed, [-EIO]);
});

test('the count lock: one for every CPU in redox, one per CPU improved (K13)', () => {
  const redox = affinityRun('redox', 2).devio;
  assert.equal(redox.countLock(0), redox.countLock(3));
  assert.equal(redox.countLock(0).acquisitions, 1);
  const improved = affinityRun('improved', 3).devio;
  assert.notEqual(improved.countLock(0), improved.countLock(3));
  assert.equal(improved.countLock(3).acquisitions, 1);
  assert.equal(improved.countLock(0).acquisitions, 0);
});

test('a stale acknowledgement leaves the count unacknowledged', () => {
  const out: number[] = [];
  runGuest(
    function* (t: Guest): Program<number> {
      const nic = yield* sys(t, SYS_PCI_OPEN, 'eth0');
      const h = yield* sys(t, SYS_IRQ_OPEN, nic, 0, -1);
      const bar = yield* barOf(t, 'eth0');
      yield* mmioWrite(t, bar, E.E1000_IMS, E.ICR_RXT0);
      yield* mmioWrite(t, bar, E.E1000_ICS, E.ICR_RXT0);
      const count = yield* sys(t, SYS_IRQ_READ, h);
      out.push(count, yield* sys(t, SYS_IRQ_WRITE, h, count + 5), yield* sys(t, SYS_IRQ_READ, h));
      return 0;
    },
    null,
    { cpus: 2, devices: setup('redox') },
  );
  assert.deepEqual(out, [1, 0, 1], 'the wrong count is refused (0) and the next read returns at once');
});

test('without devices every device call is ENODEV', () => {
  const out: number[] = [];
  runGuest(function* (t: Guest): Program<number> {
    out.push(yield* sys(t, SYS_PCI_OPEN, 'nvme0'), yield* sys(t, SYS_IRQ_READ, 1));
    return 0;
  }, null);
  assert.deepEqual(out, [-ENODEV, -ENODEV]);
});

test('the irq: scheme: open a source, read its count, write it back, errors for bad paths', () => {
  const out: number[] = [];
  const run = runGuest(
    function* (t: Guest): Program<number> {
      const buf = yield* sys(t, SYS_MMAP, 0, 4096, 3, 0x22, -1, 0);
      out.push(yield* sys(t, SYS_OPENAT, AT_FDCWD, 'irq:eth1/0', O_RDWR, 0));
      out.push(yield* sys(t, SYS_OPENAT, AT_FDCWD, 'irq:eth0', O_RDWR, 0));
      const fd = yield* sys(t, SYS_OPENAT, AT_FDCWD, 'irq:eth0/0@1', O_RDWR, 0);
      const bar = yield* barOf(t, 'eth0');
      yield* mmioWrite(t, bar, E.E1000_IMS, E.ICR_RXT0);
      yield* mmioWrite(t, bar, E.E1000_ICS, E.ICR_RXT0);
      out.push(yield* sys(t, SYS_READ, fd, buf, 8), t.load32(buf));
      out.push(yield* sys(t, SYS_WRITE, fd, buf, 8), yield* sys(t, SYS_READ, fd, buf, 4));
      out.push(yield* sys(t, SYS_CLOSE, fd));
      return 0;
    },
    null,
    { cpus: 2, devices: setup('improved') },
  );
  assert.deepEqual(out, [-ENOENT, -EINVAL, 8, 1, 8, -EINVAL, 0]);
  assert.equal(run.kernel.devio!.handles.size, 0, 'the last close freed the handle');
  assert.equal(run.kernel.devio!.stats.interruptsPerCpu[1], 1, 'the @1 asked for CPU 1');
});
