/**
 * K3 on the kernel's own shootdown code (issue 17, HW-9, K3, K10): kernel/tlb/flush.ts's
 * `flushTlbRange` and TLB IPI handler, i.e. redbear.ts and linux.ts as the machine runs them,
 * with their shared words on the explorer's memory (tlb-port.ts). CPU 0 is a probe that holds
 * translations of every page; CPUs 1..N-1 each unmap one page of the same address space (all N
 * have it loaded, so the initiators are also each other's targets), shoot it down and free it;
 * then every CPU keeps taking TLB IPIs until all initiators are done. The check, when the run
 * ends: a TLB that still translates a freed page (the probe would read a reused frame).
 *
 * - `k3` (and `k3-one-word`, the same code): Red Bear's patches as written, the range and flag
 *   in one packed word (P15-3, the plans' fix) stored without waiting for the previous request
 *   to be taken: a second initiator overwrites it and the first frees a page still mapped.
 * - `k3-fixed`: `redbear-fixed`, the full fix: CAS the mailbox from 0 and wait for the target to
 *   clear it after its flush.
 * - `k3-linux`: Linux's per-CPU call-function queue of csds (flush generation, llist_add,
 *   csd_unlock by store-release).
 *
 * Host state the code also reads is small and fixed: each CPU's TLB (a real hw/tlb.ts `Tlb`,
 * written only by its own CPU's code), the address space's usedBy (all 1) and cpuGen (each
 * CPU's own entry), nothing lazy, no PCID, the default costs (spends are dropped).
 */
import { MemOrder, Op } from '../../abi/effects.ts';
import { resolveCostModel } from '../../hw/cost-model.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { IPI_ALL_BUT_SELF, type KernelGen, KernelOp } from '../../hw/effects.ts';
import { PTE_P, PTE_RW } from '../../hw/page-table.ts';
import { Tlb } from '../../hw/tlb.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { flushTlbRange } from '../../kernel/tlb/flush.ts';
import { TLB_OPTIONS_DEFAULT, type TlbProtocol, TlbState } from '../../kernel/tlb/state.ts';
import type { AddressSpace } from '../../kernel/vm.ts';
import type { Model, ModelInstance, XEffect, XProgram } from '../model.ts';
import { explorerTlbPort, takeIpi } from '../tlb-port.ts';
import type { XThread } from '../xthread.ts';
import { range } from './boot.ts';

const IRR = 0x100;
const DONE = 0x104;
const WORDS = 0x1000;
const PAGE_BASE = 0x400;
const FRAME_BASE = 0x80;
const ALL = 0xffff_ffff;
const SMALL_TLB = { l1Entries: 8, l1Ways: 8, l2Entries: 8, l2Ways: 8 };
const COSTS = resolveCostModel();

const pageOf = (initiator: number) => PAGE_BASE + initiator;

interface TlbHost {
  k: Kernel;
  cpus: Cpu[];
  space: AddressSpace;
  tlbs: Tlb[];
}

/** A fresh host for `n` CPUs: every TLB holds every initiator's page. */
function tlbHost(n: number, protocol: TlbProtocol): TlbHost {
  const space = {
    usedBy: new Uint8Array(n).fill(1),
    pcid: 0,
    tlbGen: 0,
    cpuGen: new Float64Array(n),
  } as unknown as AddressSpace;
  const tlbs = range(0, n).map(() => new Tlb(SMALL_TLB));
  for (const tlb of tlbs) for (const i of range(1, n)) tlb.fill(pageOf(i), 0, FRAME_BASE + i, PTE_P | PTE_RW);
  const mmu = { loaded: tlbs.map(() => space), tlbs, lazy: new Uint8Array(n), pcidEnabled: false };
  const tlb = new TlbState(n, { ...TLB_OPTIONS_DEFAULT, protocol }, explorerTlbPort(IRR), WORDS);
  const k = {
    tlb,
    mmu: { ...mmu, invlpgPages: 0, fullFlushes: 0 },
    board: { cpus: { length: n }, costs: COSTS },
    nowNs: 0,
    stopRun: (why: string) => {
      throw new Error(`explore: the shootdown code stopped the run: ${why}`);
    },
  } as unknown as Kernel;
  const cpus = range(0, n).map((id) => ({ id }) as unknown as Cpu);
  return { k, cpus, space, tlbs };
}

function ipiBits(target: number, self: number, n: number): number {
  if (target === IPI_ALL_BUT_SELF) return (((1 << n) - 1) & ~(1 << self)) >>> 0;
  if (target < 0 || target >= n) throw new Error(`explore: IPI target ${target} is not modelled`);
  return (1 << target) >>> 0;
}

/** Runs shootdown kernel code as an explorer thread: spends dropped, an IPI sets IRR bits. */
function* explored<T>(t: XThread, n: number, code: KernelGen<T>): XProgram<T> {
  let resume: unknown;
  for (;;) {
    const r = code.next(resume);
    if (r.done) return r.value;
    const e = r.value;
    resume = undefined;
    if (e.op === KernelOp.Spend || e.op === Op.Compute) continue;
    if (e.op === KernelOp.SendIpi) {
      yield t.bits('or', IRR, ipiBits(e.target, t.index, n));
      continue;
    }
    if (e.op >= KernelOp.Spend && e.op < 32)
      throw new Error(`explore: shootdown effect op ${e.op} is not modelled`);
    resume = yield e as XEffect;
  }
}

/** A CPU after its own work: takes TLB IPIs until every initiator is done. */
function* serve(t: XThread, h: TlbHost, initiators: number): XProgram<void> {
  const bit = (1 << t.index) >>> 0;
  for (;;) {
    const until = (w: readonly number[]) => w[0] !== 0 || w[1] === initiators;
    const [irr] = (yield t.await([IRR, DONE], until, MemOrder.Acquire, [bit, ALL])) as number[];
    if (irr === 0) return;
    yield* explored(t, h.tlbs.length, takeIpi(h.k, h.cpus[t.index]!, IRR));
  }
}

function* initiator(t: XThread, h: TlbHost, initiators: number): XProgram<void> {
  const n = h.tlbs.length;
  yield* explored(t, n, flushTlbRange(h.k, h.cpus[t.index]!, h.space, pageOf(t.index), 1));
  yield t.fetchAdd(DONE, 1); // the shootdown returned: the page's frame is freed (reused)
  yield* serve(t, h, initiators);
}

function names(h: TlbHost, protocol: TlbProtocol): Map<number, string> {
  const n = h.tlbs.length;
  const l = h.k.tlb.layout;
  const out = new Map<number, string>([
    [IRR, 'irr_tlb_vector'],
    [DONE, 'initiators_done'],
    [l.generation(), 'mm.tlb_gen'],
  ]);
  for (const c of range(0, n)) {
    if (protocol === 'linux') {
      out.set(l.queue(c), `call_single_queue[${c}]`);
      for (const i of range(0, n)) {
        out.set(l.csdFlags(l.csd(i, c)), `csd[${i}->${c}].flags`);
        out.set(l.csdNext(l.csd(i, c)), `csd[${i}->${c}].next`);
      }
    } else {
      out.set(l.mailbox(c), `mailbox[${c}]`);
      out.set(l.served(c), `served[${c}]`);
    }
  }
  return out;
}

function instance(cpus: number, protocol: TlbProtocol): ModelInstance {
  const h = tlbHost(cpus, protocol);
  const initiators = cpus - 1;
  return {
    threads: [
      { name: 'CPU0 (probe)', run: (t) => serve(t, h, initiators) },
      ...range(1, cpus).map((i) => ({ name: `CPU${i}`, run: (t: XThread) => initiator(t, h, initiators) })),
    ],
    names: names(h, protocol),
    finalCheck: (read) => {
      if (read(DONE) !== initiators) return null;
      for (const [c, tlb] of h.tlbs.entries()) {
        const kept = tlb.entries().find((e) => e.vpn >= pageOf(1) && e.vpn < pageOf(cpus));
        if (kept === undefined) continue;
        const owner = kept.vpn - PAGE_BASE;
        return {
          kind: 'stale-tlb',
          message: `CPU ${c} reads page 0x${kept.vpn.toString(16)} through a stale translation (frame ${kept.frame}) after CPU ${owner}'s shootdown returned and freed it`,
        };
      }
      return null;
    },
  };
}

function k3Real(name: string, protocol: TlbProtocol, buggy: boolean, description: string): Model {
  return {
    name,
    description,
    claims: 'HW-9, K3, K10',
    buggy,
    memory: 'sc',
    cpus: 3,
    cpusMin: 2,
    cpusMax: 5,
    source: `real code: kernel/tlb/flush.ts flushTlbRange + tlbIpi, [kernel] tlb = "${protocol}" (${protocol === 'linux' ? 'linux.ts' : 'redbear.ts'})`,
    build: (cpus) => instance(cpus, protocol),
  };
}

export const TLB_REAL_MODELS: Model[] = [
  k3Real(
    'k3',
    'redbear',
    true,
    "Red Bear's shootdown: a second initiator overwrites a target's unread mailbox word; the first frees a page still mapped",
  ),
  k3Real(
    'k3-one-word',
    'redbear',
    true,
    "the plans' fix alone (range and flag in one word: Red Bear's P15-3, the code k3 runs): the overwrite remains",
  ),
  k3Real(
    'k3-fixed',
    'redbear-fixed',
    false,
    'one word, taken only when free (CAS from 0), cleared by the target after its flush: no request lost',
  ),
  k3Real(
    'k3-linux',
    'linux',
    false,
    "Linux's per-CPU queue of csds: every request is queued and acknowledged",
  ),
];
