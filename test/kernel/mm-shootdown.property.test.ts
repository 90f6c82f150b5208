// Property test of the memory system on a running kernel (issue 15 "done when"): three threads,
// one per CPU, each run a random sequence of mmap (private or shared), munmap, mprotect, mremap
// (move), fork (the child touches the pages and exits) and touches, while every thread also reads
// one shared buffer, so the space is in every CPU's TLB and each shootdown has targets. Under the
// `linux` protocol, with every paging x fork mode: after each call returns (its shootdown done),
// no CPU's TLB holds an entry whose frame was freed (TLB_STALE: vm.ts finishUnmap marks any
// such entry), no guest read went through one (tlb.stale_reads), every read returns what that
// thread last stored, a fork's child reads its parent's values, and the run frees every frame it
// took. Whenever no call is in progress on any CPU, every CPU up to date with its space caches
// only what the page table maps, writable only where the entry is (removing the copy-on-write
// fork's shootdown makes this fail).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { MAP_SHARED, MREMAP_MAYMOVE, SYS_FORK, SYS_MREMAP, SYS_MUNMAP } from '../../src/abi/syscalls.ts';
import { PTE_P, PTE_RW, pteFrame } from '../../src/hw/page-table.ts';
import { TLB_STALE } from '../../src/hw/tlb.ts';
import type { AddressSpace } from '../../src/kernel/vm.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { MM_OPTIONS_DEFAULT, type MmOptions } from '../../src/kernel/mm-options.ts';
import { TLB_OPTIONS_DEFAULT } from '../../src/kernel/tlb/state.ts';
import { pthread_join } from '../../src/libc/join.ts';
import { waitpid } from '../../src/libc/process.ts';
import { pthread_create, type pthread_t } from '../../src/libc/pthread.ts';
import { mmap_anonymous, mprotect, syscall } from '../../src/libc/sys.ts';
import { attrOnCpus } from '../../src/workloads/program.ts';
import { bootGuest } from '../support/guest.ts';

const PAGE = 4096;
const CPUS = 3;

type Op =
  | { k: 'mmap'; pages: number; shared: boolean }
  | { k: 'munmap'; region: number }
  | { k: 'mprotect'; region: number; prot: number }
  | { k: 'mremap'; region: number; pages: number }
  | { k: 'fork' }
  | { k: 'touch'; region: number; page: number; write: boolean; value: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    k: fc.constant('mmap' as const),
    pages: fc.integer({ min: 1, max: 40 }),
    shared: fc.boolean(),
  }),
  fc.record({ k: fc.constant('munmap' as const), region: fc.nat() }),
  fc.record({ k: fc.constant('mprotect' as const), region: fc.nat(), prot: fc.constantFrom(1, 3) }),
  fc.record({ k: fc.constant('mremap' as const), region: fc.nat(), pages: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ k: fc.constant('fork' as const) }),
  {
    arbitrary: fc.record({
      k: fc.constant('touch' as const),
      region: fc.nat(),
      page: fc.nat(39),
      write: fc.boolean(),
      value: fc.integer({ min: 1, max: 1 << 30 }),
    }),
    weight: 4,
  },
);

interface Region {
  addr: number;
  pages: number;
  prot: number;
  shared: boolean;
  values: Map<number, number>;
}

interface Plan {
  kernel: () => Kernel;
  shared: number;
  lists: Op[][];
  violations: string[];
  /** Memory calls in progress on any CPU: while 0, every shootdown has completed. */
  inCall: number;
}

/**
 * With no call in progress anywhere (every shootdown complete): each CPU up to date with the
 * space in its CR3 (not a lazy CPU still to catch up through the flush generation) caches only
 * what the page table maps, and writable only where the entry is (fork's write-protect reached it).
 */
function auditQuiet(plan: Plan, what: string): void {
  const k = plan.kernel();
  for (const [cpu, tlb] of k.board.tlbs.entries()) {
    const space = k.mmu.loaded[cpu] as AddressSpace | null;
    if (space === null || space.root === 0 || space.cpuGen[cpu]! < space.tlbGen) continue;
    for (const e of tlb.entries()) {
      const [lo, hi] = k.mmu.tables.pte(space.root, e.vpn * PAGE);
      if ((lo & PTE_P) === 0 || pteFrame(lo, hi) !== e.frame) {
        plan.violations.push(
          `${what}: CPU ${cpu} caches page ${e.vpn} as frame ${e.frame}, not what is mapped`,
        );
      } else if ((e.flags & PTE_RW) !== 0 && (lo & PTE_RW) === 0) {
        plan.violations.push(`${what}: CPU ${cpu} caches write-protected page ${e.vpn} writable`);
      }
    }
  }
}

/** After a call: no TLB may hold an entry to a freed frame. */
function audit(plan: Plan, what: string): void {
  if (plan.inCall === 0) auditQuiet(plan, what);
  for (const [cpu, tlb] of plan.kernel().board.tlbs.entries()) {
    for (const e of tlb.entries()) {
      if ((e.flags & TLB_STALE) !== 0)
        plan.violations.push(`${what}: CPU ${cpu} holds page ${e.vpn} of a freed frame ${e.frame}`);
    }
  }
}

function* doOp(t: Guest, plan: Plan, regions: Region[], o: Op): Program<void> {
  plan.inCall++;
  let pid = 0;
  try {
    pid = yield* call(t, plan, regions, o);
  } finally {
    plan.inCall--;
  }
  audit(plan, o.k);
  if (pid <= 0) return;
  const [, status] = yield* waitpid(t, pid);
  if (status !== 0)
    plan.violations.push(`a fork's child read values its parent did not store (status ${status})`);
}

/** One call (or touch); a fork returns the child's pid. */
function* call(t: Guest, plan: Plan, regions: Region[], o: Op): Program<number> {
  const r = regions[('region' in o ? o.region : 0) % Math.max(1, regions.length)];
  if (o.k === 'mmap') {
    const addr = yield* mmap_anonymous(t, o.pages * PAGE, o.shared ? MAP_SHARED : undefined);
    if (addr > 0) regions.push({ addr, pages: o.pages, prot: 3, shared: o.shared, values: new Map() });
  } else if (o.k === 'fork') {
    return yield* syscall(t, SYS_FORK, (c: Guest) => child(c, regions), null);
  } else if (r === undefined) {
    return 0;
  } else if (o.k === 'munmap') {
    assert.equal(yield* syscall(t, SYS_MUNMAP, r.addr, r.pages * PAGE), 0);
    regions.splice(regions.indexOf(r), 1);
  } else if (o.k === 'mprotect') {
    assert.equal(yield* mprotect(t, r.addr, r.pages * PAGE, o.prot), 0);
    r.prot = o.prot;
  } else if (o.k === 'mremap') {
    const to = yield* syscall(t, SYS_MREMAP, r.addr, r.pages * PAGE, o.pages * PAGE, MREMAP_MAYMOVE, 0);
    if (to < 0) return 0;
    const moved = new Map<number, number>();
    for (const [page, value] of r.values) if (page < o.pages) moved.set(page, value);
    Object.assign(r, { addr: to, pages: o.pages, values: moved });
  } else if (o.page < r.pages) {
    const addr = r.addr + o.page * PAGE;
    if (o.write && (r.prot & 2) !== 0) {
      t.store32(addr, o.value);
      r.values.set(o.page, o.value);
    } else if (!o.write) {
      const got = t.load32(addr);
      if (got !== (r.values.get(o.page) ?? 0))
        plan.violations.push(`read ${got} at page ${o.page}, stored ${r.values.get(o.page)}`);
    }
  }
  return 0;
}

/** The fork's child: reads its copy of every region, writes the writable private ones (its own copies), exits. */
function* child(c: Guest, regions: readonly Region[]): Program<number> {
  let bad = 0;
  for (const r of regions) {
    for (let p = 0; p < r.pages; p += 7) {
      if (c.load32(r.addr + p * PAGE) !== (r.values.get(p) ?? 0)) bad++;
      if ((r.prot & 2) !== 0 && !r.shared) c.store32(r.addr + p * PAGE, 0x5eed);
    }
  }
  return bad;
}

function* worker(t: Guest, raw: unknown): Program<number> {
  const { plan, index } = raw as { plan: Plan; index: number };
  const regions: Region[] = [];
  for (const o of plan.lists[index]!) {
    yield* doOp(t, plan, regions, o);
    t.load32(plan.shared); // the space stays in this CPU's TLB
    yield t.compute(500);
  }
  return 0;
}

function run(mm: MmOptions, lists: Op[][]): void {
  let kernel: Kernel | null = null;
  const plan: Plan = { kernel: () => kernel!, shared: 0, lists, violations: [], inCall: 0 };
  const machine = bootGuest(
    function* (t) {
      plan.shared = yield* mmap_anonymous(t, PAGE, MAP_SHARED);
      const threads: pthread_t[] = [];
      for (let i = 0; i < CPUS; i++) {
        const [err, th] = yield* pthread_create(t, attrOnCpus([i]), worker, { plan, index: i });
        assert.equal(err, 0);
        threads.push(th);
      }
      for (const th of threads) yield* pthread_join(t, th);
      return 0;
    },
    null,
    {
      cpus: CPUS,
      tlb: { ...TLB_OPTIONS_DEFAULT, protocol: 'linux' },
      mm,
      futex: { mode: 'linux', shards: 64 },
    },
  );
  kernel = machine.kernel;
  const used = machine.board.memory.framesInUse;
  machine.board.engine.run({ simNsMax: 10_000_000_000, eventsMax: 2_000_000 });
  assert.equal(machine.kernel.finished, true, machine.kernel.stopReason ?? 'the root process exited');
  assert.deepEqual(plan.violations, []);
  for (const f of machine.kernel.faults) assert.fail(`guest fault: pid ${f.pid} tid ${f.tid} ${f.message}`);
  assert.equal(machine.kernel.tlb.stats.staleReads.length, 0, 'no guest read through a stale entry');
  assert.ok(machine.board.memory.framesInUse <= used, 'every frame the run took went back');
}

const lists = fc.array(fc.array(op, { minLength: 5, maxLength: 25 }), { minLength: CPUS, maxLength: CPUS });

for (const mm of [MM_OPTIONS_DEFAULT, { paging: 'demand', fork: 'cow' } as const]) {
  test(`mm on a kernel (linux shootdowns, paging ${mm.paging}, fork ${mm.fork}): no TLB keeps a freed frame`, () => {
    fc.assert(
      fc.property(lists, (l) => run(mm, l)),
      { numRuns: 25 },
    );
  });
}

// A counterexample the property found in CI (fast-check seed -691750767, shrunk): two forks on
// CPUs 0 and 2 shoot each other down. A CPU's own (local) flush marked it up to date while the
// other's request still sat in its queue, so that request's flush found nothing to do and a
// write-protected page stayed writable in its TLB. Fixed in tlb/linux.ts: the local flush applies
// flush_tlb_func's one-generation test as a target does (arch/x86/mm/tlb.c).
test('two concurrent copy-on-write forks leave no writable entry to a write-protected page', () => {
  const parsed = JSON.parse(
    '[[{"k":"mmap","pages":1,"shared":true},{"k":"fork"},{"k":"touch","region":0,"page":0,"write":false,"value":1},{"k":"munmap","region":0},{"k":"munmap","region":0},{"k":"mprotect","region":0,"prot":1},{"k":"mprotect","region":0,"prot":1},{"k":"mmap","pages":1,"shared":false}],[{"k":"munmap","region":0},{"k":"touch","region":0,"page":0,"write":false,"value":1},{"k":"mmap","pages":1,"shared":false},{"k":"munmap","region":0},{"k":"touch","region":0,"page":0,"write":false,"value":1}],[{"k":"mmap","pages":3,"shared":false},{"k":"touch","region":0,"page":0,"write":false,"value":1},{"k":"touch","region":0,"page":0,"write":false,"value":1},{"k":"munmap","region":0},{"k":"fork"}]]',
  ) as Op[][];
  run({ paging: 'demand', fork: 'cow' }, parsed);
});
