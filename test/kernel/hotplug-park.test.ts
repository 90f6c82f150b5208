/**
 * The dying CPU's park (kernel/hotplug-park.ts, issue 18): once its offline finished it leaves
 * every address space's CPU set (idle_task_exit), answers the flush requests queued for it
 * (smpcfd_dying_cpu) and software-disables its LAPIC (apic_soft_disable), so shootdowns skip
 * it and an IPI sent to it is not delivered; `cpu online` enables it again and it takes work.
 *
 * Redox's protocol has no lazy mode: a CPU idling with a space in CR3 stays in its used_by, so
 * without the park every shootdown of the space would still send CPU 2 the TLB IPI (the
 * control test below shows it does before the offline).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { PROT_READ, PROT_WRITE } from '../../src/abi/syscalls.ts';
import { VEC_IPI_SWITCH, VEC_IPI_TLB } from '../../src/hw/vectors.ts';
import { type TlbProtocol, TLB_OPTIONS_DEFAULT } from '../../src/kernel/tlb/state.ts';
import { cpu_set_online } from '../../src/libc/hotplug.ts';
import { pthread_create, pthread_join } from '../../src/libc/pthread.ts';
import { sched_getcpu } from '../../src/libc/sched.ts';
import { mmap_anonymous, mprotect } from '../../src/libc/sys.ts';
import { sleep_ns } from '../../src/libc/time.ts';
import { attrOnCpus } from '../../src/workloads/program.ts';
import { answerPendingForOffline, linuxQueued } from '../../src/kernel/tlb/flush.ts';
import { atTime, bootGuest, type GuestMachine } from '../support/guest.ts';

const US = 1000;
const MS = 1_000_000;
const PAGES = 4;

interface Seen {
  offline: number;
  online: number;
  after: number;
  usedByBefore: number;
  usedByParked: number;
}

/** Touches the mapping on CPU 2 (so the space's set has it), then computes on. */
function* toucher(t: Guest, raw: unknown): Program<number> {
  const addr = raw as number;
  for (let i = 0; i < PAGES; i++) t.store32(addr + i * 4096, i);
  yield t.compute(3 * MS * 3);
  return 0;
}

/** mprotects the mapping twice: one shootdown each (the space is loaded on CPUs 0, 1, and 2 or not). */
function* shootdowns(t: Guest, addr: number): Program<void> {
  yield* mprotect(t, addr, PAGES * 4096, PROT_READ);
  yield* mprotect(t, addr, PAGES * 4096, PROT_READ | PROT_WRITE);
}

function run(protocol: TlbProtocol, seen: Seen): GuestMachine {
  let machine: GuestMachine | null = null;
  const k = () => machine!.kernel;
  const main = function* (t: Guest): Program<number> {
    const addr = yield* mmap_anonymous(t, PAGES * 4096);
    const [, busy] = yield* pthread_create(
      t,
      attrOnCpus([1]),
      function* (g) {
        yield g.compute(12 * MS * 3);
        return 0;
      },
      null,
    );
    const [, touch] = yield* pthread_create(t, attrOnCpus([2]), toucher, addr);
    yield* sleep_ns(t, 500 * US);
    seen.usedByBefore = k().processes.get(1)!.vm.usedBy[2]!;
    yield* shootdowns(t, addr); // control: CPU 2 runs the toucher, so it gets the TLB IPIs
    seen.offline = yield* cpu_set_online(t, 2, false);
    yield* sleep_ns(t, 2 * MS);
    seen.usedByParked = k().processes.get(1)!.vm.usedBy[2]!;
    yield* shootdowns(t, addr); // CPU 2 parked: out of the set, no IPI
    yield* sleep_ns(t, 3 * MS);
    seen.online = yield* cpu_set_online(t, 2, true);
    const [, again] = yield* pthread_create(
      t,
      attrOnCpus([2]),
      function* (g) {
        return yield* sched_getcpu(g);
      },
      null,
    );
    seen.after = (yield* pthread_join(t, again))[1] as number;
    yield* pthread_join(t, touch);
    yield* pthread_join(t, busy);
    return 0;
  };
  machine = bootGuest(main, null, {
    policy: 'fair',
    cpus: 4,
    futex: { mode: 'linux', shards: 64 },
    costs: { computeJitterPpm: 0 },
    tlb: { ...TLB_OPTIONS_DEFAULT, protocol },
  });
  return machine;
}

test('hotplug park: the offline CPU leaves the address space, shootdowns skip it, an IPI to it is not delivered', () => {
  const seen: Seen = { offline: -1, online: -1, after: -1, usedByBefore: -1, usedByParked: -1 };
  const machine = run('redox', seen);
  const { board, kernel } = machine;
  const tlbTo2: number[] = [];
  board.apic.ipiObserver = (_from, to, vector) => {
    if (to === 2 && vector === VEC_IPI_TLB) tlbTo2.push(board.engine.nowNs);
  };
  // An IPI straight from CPU 0's ICR to parked CPU 2 (4 ms: offline at ~0.5 ms, parked soon after).
  let acceptedBefore = -1;
  atTime(machine, 4 * MS, () => {
    acceptedBefore = board.apic.lapics[2]!.accepted;
    board.apic.lapics[0]!.sendIpi(2, VEC_IPI_SWITCH);
  });
  let acceptedAfter = -1;
  atTime(machine, 4 * MS + 50 * US, () => {
    acceptedAfter = board.apic.lapics[2]!.accepted;
  });
  board.engine.run({ simNsMax: 100 * MS, eventsMax: 2_000_000 });
  assert.equal(kernel.stopReason, null);
  assert.ok(kernel.finished, 'the root exited');
  assert.deepEqual(seen, { offline: 0, online: 0, after: 2, usedByBefore: 1, usedByParked: 0 });
  const offlineAt = kernel.hotplug.offlines[0]!.atNs;
  // Before the offline: both shootdowns reached CPU 2 (redox has no lazy skip). After the park: none.
  assert.equal(tlbTo2.filter((at) => at < offlineAt).length, 2);
  assert.equal(tlbTo2.filter((at) => at >= offlineAt).length, 0);
  const park = kernel.hotplug.park;
  assert.equal(park.parks, 1);
  assert.equal(park.spacesLeft, 1, 'the root process space, loaded when its thread left');
  // The direct IPI set no IRR bit and ran no handler on CPU 2.
  assert.equal(acceptedAfter, acceptedBefore);
  assert.equal(board.apic.lapics[2]!.refused, 1);
  // Online again: the LAPIC is enabled and the pinned thread ran on CPU 2 (seen.after).
  assert.equal(board.apic.lapics[2]!.softwareEnabled, true);
  assert.equal(park.parked[2], 0);
});

test('hotplug park: a redbear shorthand shootdown reaches the parked CPU, is dropped there, and does not wait for it', () => {
  const seen: Seen = { offline: -1, online: -1, after: -1, usedByBefore: -1, usedByParked: -1 };
  const machine = run('redbear', seen);
  machine.board.engine.run({ simNsMax: 100 * MS, eventsMax: 2_000_000 });
  const kernel = machine.kernel;
  assert.equal(kernel.stopReason, null, 'no shootdown hung');
  assert.deepEqual(seen, { offline: 0, online: 0, after: 2, usedByBefore: 1, usedByParked: 0 });
  // IPI_ALL_BUT_SELF from CPU 0 after the park: two shootdowns, each dropped at CPU 2's LAPIC.
  assert.equal(machine.board.apic.lapics[2]!.refused, 2);
  assert.equal(kernel.tlb.stats.timeouts.length, 0);
});

/** Runs a kernel generator that makes no effect to its end, returning its value. */
function finish<T>(gen: Generator<unknown, T, unknown>): T {
  const r = gen.next();
  assert.equal(r.done, true, 'no effect was needed');
  return r.value as T;
}

test('hotplug park: flush requests queued for the parking CPU are answered without their IPIs (smpcfd_dying_cpu)', () => {
  for (const protocol of ['linux', 'redox', 'redbear'] as const) {
    const machine = bootGuest(
      function* () {
        return 0;
      },
      null,
      { policy: 'fair', cpus: 2, tlb: { ...TLB_OPTIONS_DEFAULT, protocol } },
    );
    const k = machine.kernel;
    const cpu1 = machine.board.cpus[1]!;
    // Nothing queued: nothing answered, and no step taken.
    assert.equal(finish(answerPendingForOffline(k, cpu1)), 0, `${protocol}: nothing queued`);
    if (protocol === 'redox') {
      const space = k.processes.get(1)!.vm;
      const req = { initiator: 0, space, vpn: 16, pages: 1, gen: 1, pending: 1 };
      k.tlb.redoxFlag[1] = req;
      assert.equal(finish(answerPendingForOffline(k, cpu1)), 1);
      assert.equal(req.pending, 0);
      assert.equal(k.tlb.redoxFlag[1], null);
    }
    if (protocol === 'linux') {
      // Two csds on CPU 1's list (head -> a -> b), read off the machine's words.
      const { words, layout } = k.tlb;
      const a = layout.csd(0, 1);
      const b = k.tlb.spareCsd();
      words.set(layout.queue(1), a);
      words.set(layout.csdNext(a), b);
      assert.equal(linuxQueued(k, 1), 2);
      words.set(layout.queue(1), 0);
    }
  }
});
