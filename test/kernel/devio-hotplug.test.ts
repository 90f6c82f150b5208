// CPU hotplug and device vectors (kernel/devio/hotplug-vectors.ts, issue 18): a non-managed
// vector moves with its source reprogrammed (kernel/irq/cpuhotplug.c migrate_one_irq), an
// interrupt that still reaches the old vector is sent on (arch/x86/kernel/irq.c fixup_irqs), a
// managed queue vector is drained first (block/blk-mq.c blk_mq_hctx_notify_offline: msleep(5)
// while requests are out) and shut down with its MSI-X entry masked, and a completion while it
// is down is held in the pending bit and delivered when the CPU comes back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as E from '../../src/abi/e1000-regs.ts';
import type { Program } from '../../src/abi/effects.ts';
import { type Guest, sys } from '../../src/abi/guest.ts';
import { SYS_DMA_ALLOC, SYS_IRQ_OPEN, SYS_IRQ_READ, SYS_PCI_OPEN } from '../../src/abi/syscalls.ts';
import { CAP_ID_MSI, findCapability } from '../../src/hw/pci/config-space.ts';
import { MSIX_ENTRY_BYTES, MSIX_VECTOR_CTRL } from '../../src/hw/pci/msix-table.ts';
import { DRAIN_POLL_NS } from '../../src/kernel/devio/hotplug-vectors.ts';
import { cpu_set_online } from '../../src/libc/hotplug.ts';
import { pthread_attr_init, pthread_attr_setaffinity_np, pthread_attr_t } from '../../src/libc/pthread.ts';
import { pthread_create, pthread_join, type pthread_t } from '../../src/libc/pthread.ts';
import { mmap_anonymous, syscall } from '../../src/libc/sys.ts';
import { clock_gettime_ns, sleep_ns } from '../../src/libc/time.ts';
import type { DeviceSetupConfig } from '../../src/machine/device-config.ts';
import { completionThread, nvmeInit, nvmeSubmit } from '../../src/services/drivers/nvme-queues.ts';
import { irqClose } from '../../src/services/drivers/irq-handle.ts';
import { mmioWrite } from '../../src/services/drivers/bar.ts';
import { barOf, quietNic } from '../support/bar.ts';
import { openFunction } from '../../src/services/drivers/function.ts';
import { atTime, bootGuest } from '../support/guest.ts';
import { checkFaults } from '../support/guest-faults.ts';

const MS = 1_000_000;

function setup(readNs: number): DeviceSetupConfig {
  return {
    irqRouting: 'improved',
    iommu: false,
    devices: [
      quietNic('eth0'),
      {
        kind: 'nvme',
        name: 'nvme0',
        ioQueues: 4,
        queueEntries: 1024,
        readNs,
        writeNs: readNs,
        adminNs: 1000,
        parallelism: 4,
        blocks: 1024,
        quirks: [],
        dmaBits: 64,
      },
    ],
  };
}

function onCpu(cpu: number): pthread_attr_t {
  const attr = new pthread_attr_t();
  pthread_attr_init(attr);
  pthread_attr_setaffinity_np(attr, [cpu]);
  return attr;
}

test('a non-managed MSI vector moves off an offlined CPU, its message reprogrammed, and stays live', () => {
  const out: number[] = [];
  let handle = 0;
  const machine = bootGuest(
    function* (t: Guest): Program<number> {
      const nic = yield* sys(t, SYS_PCI_OPEN, 'eth0');
      handle = yield* sys(t, SYS_IRQ_OPEN, nic, 0, 2); // MSI (one message), not managed, on CPU 2
      out.push(yield* cpu_set_online(t, 2, false));
      const bar = yield* barOf(t, 'eth0');
      yield* mmioWrite(t, bar, E.E1000_IMS, E.ICR_RXT0);
      yield* mmioWrite(t, bar, E.E1000_ICS, E.ICR_RXT0);
      out.push(yield* sys(t, SYS_IRQ_READ, handle));
      return 0;
    },
    null,
    { cpus: 4, devices: setup(1000) },
  );
  machine.board.engine.run({ simNsMax: 100 * MS, eventsMax: 1_000_000 });
  const d = machine.kernel.devio!;
  const h = d.handles.get(handle)!;
  assert.deepEqual(out, [0, 1], 'offline done; the interrupt after it arrives (count 1)');
  assert.notEqual(h.cpu, 2);
  assert.equal(machine.kernel.hotplug.online[h.cpu], 1);
  const fn = d.functions[0]!;
  const msi = findCapability(fn.cfg, CAP_ID_MSI);
  const addressLo = fn.cfg.read(msi + 4, 4) >>> 0;
  assert.equal((addressLo >>> 12) & 0xff, d.apicIdOf(h.cpu), 'the MSI address names the new CPU');
  assert.equal(fn.cfg.read(msi + 12, 2) & 0xff, h.vector, 'the MSI data holds the new vector');
  assert.equal(d.stats.interruptsPerCpu[h.cpu], 1);
  assert.equal(d.stats.interruptsPerCpu[2], 0);
  assert.equal(machine.kernel.hotplug.offlines[0]!.vectorsMoved >= 1, true);
});

test('an interrupt that reaches the old vector after the move is sent on, not lost', () => {
  let handle = 0;
  let count = -1;
  const machine = bootGuest(
    function* (t: Guest): Program<number> {
      const nic = yield* sys(t, SYS_PCI_OPEN, 'eth0');
      handle = yield* sys(t, SYS_IRQ_OPEN, nic, 0, 2);
      yield* cpu_set_online(t, 2, false);
      // A thread with a timeout keeps the run from ending as a deadlock while the read waits.
      const [, sleeper] = yield* pthread_create(t, null, (g) => sleep_ns(g, 2 * MS), null);
      count = yield* sys(t, SYS_IRQ_READ, handle); // woken only by the forwarded interrupt
      yield* pthread_join(t, sleeper);
      return 0;
    },
    null,
    { cpus: 4, devices: setup(1000) },
  );
  // The vector CPU 2 had: found once the handle exists, then an interrupt on it at 1 ms, after
  // the offline (which takes microseconds here: nothing to drain).
  let old = -1;
  atTime(machine, 1 * MS, () => {
    const d = machine.kernel.devio!;
    for (let v = 0x20; v < 0xec; v++) {
      const moved = d.movedFrom(2, v);
      if (moved?.id === handle) {
        old = v;
        machine.board.apic.deliver(2, v, 0);
      }
    }
  });
  machine.board.engine.run({ simNsMax: 100 * MS, eventsMax: 1_000_000 });
  const d = machine.kernel.devio!;
  assert.ok(old >= 0x20, 'the old (CPU 2, vector) pair still named the handle');
  assert.equal(count, 1);
  assert.equal(d.forwarded, 1);
  assert.equal(d.stats.lostRaises, 0);
  assert.equal(machine.kernel.stats.spuriousInterrupts, 0);
});

interface ManagedOut {
  offlineNs: number;
  firstStatus: number;
  firstDoneNs: number;
  lateStatus: number;
  lateDoneNs: number;
  onlineAtNs: number;
}

/** A read on queue 2 in flight at the offline, then one submitted to queue 2 while it is down. */
function* managedMain(t: Guest, raw: unknown): Program<number> {
  const o = raw as ManagedOut;
  const fn = yield* openFunction(t, 'test', 'nvme0');
  const dev = fn.dev;
  const c = yield* nvmeInit(t, fn, 'nvme0', [0, 1, 2, 3]);
  const reapers: pthread_t[] = [];
  for (const h of c.handles)
    reapers.push(
      (yield* pthread_create(t, onCpu(h.queues[0]!.cpu), (g) => completionThread(g, c, h), null))[1],
    );
  const scratch = yield* mmap_anonymous(t, 4096);
  assert.ok((yield* syscall(t, SYS_DMA_ALLOC, dev, scratch)) > 0);
  const busAddr = t.load32(scratch) >>> 0;
  const q2 = c.queues[2]!;
  const first = function* (g: Guest): Program<number> {
    o.firstStatus = yield* nvmeSubmit(g, c, q2, false, 0, busAddr);
    o.firstDoneNs = yield* clock_gettime_ns(g);
    return 0;
  };
  const [, f] = yield* pthread_create(t, onCpu(2), first, null);
  yield* sleep_ns(t, 500_000);
  const t0 = yield* clock_gettime_ns(t);
  yield* cpu_set_online(t, 2, false);
  o.offlineNs = (yield* clock_gettime_ns(t)) - t0;
  const late = function* (g: Guest): Program<number> {
    o.lateStatus = yield* nvmeSubmit(g, c, q2, false, 8, busAddr);
    o.lateDoneNs = yield* clock_gettime_ns(g);
    return 0;
  };
  const [, l] = yield* pthread_create(t, onCpu(1), late, null);
  yield* sleep_ns(t, 5 * MS);
  o.onlineAtNs = yield* clock_gettime_ns(t);
  yield* cpu_set_online(t, 2, true);
  yield* pthread_join(t, f);
  yield* pthread_join(t, l);
  for (const h of c.handles) yield* irqClose(t, h.handle);
  for (const r of reapers) yield* pthread_join(t, r);
  return 0;
}

test('a managed queue vector drains its request, shuts down masked, and restarts with the held completion', () => {
  const o: ManagedOut = {
    offlineNs: 0,
    firstStatus: -1,
    firstDoneNs: 0,
    lateStatus: -1,
    lateDoneNs: 0,
    onlineAtNs: 0,
  };
  const machine = bootGuest(managedMain, o, { cpus: 4, devices: setup(2 * MS) });
  let maskedWhileDown = -1;
  atTime(machine, 9 * MS, () => {
    const d = machine.kernel.devio!;
    const fn = d.functions[1]!;
    maskedWhileDown = machine.board.devices.mmioRead(
      fn.bar0 + 0x2000 + 3 * MSIX_ENTRY_BYTES + MSIX_VECTOR_CTRL,
      4,
    );
  });
  const reason = machine.board.engine.run({ simNsMax: 200 * MS, eventsMax: 2_000_000 });
  assert.equal(machine.kernel.stopReason ?? '', '', reason);
  assert.equal(machine.kernel.finished, true);
  checkFaults(machine.kernel);
  const rec = machine.kernel.hotplug.offlines[0]!;
  assert.equal(o.firstStatus, 0, 'the request in flight at the offline completed');
  assert.ok(o.firstDoneNs < o.onlineAtNs);
  assert.equal(rec.vectorsShutDown, 1, "queue 2's managed vector");
  // One msleep(5): the 2 ms read was out at the first look and done at the second (the wakeup
  // and switch add microseconds, not a second poll).
  assert.ok(rec.drainNs >= DRAIN_POLL_NS && rec.drainNs < DRAIN_POLL_NS + 50_000, `${rec.drainNs}`);
  assert.ok(o.offlineNs >= DRAIN_POLL_NS && o.offlineNs < DRAIN_POLL_NS + 100_000);
  assert.equal(maskedWhileDown & 1, 1, "queue 2's MSI-X entry (qid 3) is masked while the CPU is down");
  assert.equal(o.lateStatus, 0, 'the completion held in the pending bit arrives once the CPU is back');
  assert.ok(o.lateDoneNs > o.onlineAtNs);
  const d = machine.kernel.devio!;
  assert.equal(d.stats.lostRaises, 0);
  const back = [...d.handles.values()];
  assert.equal(back.length, 0, 'every handle closed at the end');
});
