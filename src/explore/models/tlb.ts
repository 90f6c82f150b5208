/**
 * The TLB shootdown races K3/K10 (HW-9) as effect programs after models.md §6.3: two initiator
 * CPUs each unmap a page and shoot it down on a target CPU that holds both translations, then
 * free the page; the target takes the IPI (a pending bit: a second IPI while one is pending
 * coalesces, as a LAPIC's IRR bit does), reads its mailbox, flushes that page and acknowledges.
 * After the initiators are done the target touches its pages: a translation it still holds for
 * a freed page is a stale TLB read. Kept as `k3-stand-in`, `k3-one-word-stand-in` and
 * `k3-fixed-stand-in`: `k3`, `k3-one-word`, `k3-fixed` run the kernel's code (tlb-real.ts).
 *
 * - `k3`: flag and range in two words (set flag, then range, then IPI): a second initiator
 *   overwrites the range between them.
 * - `k3-one-word`: the plans' fix, flag and range in one atomic word; a second initiator still
 *   overwrites a mailbox its target has not read.
 * - `k3-fixed`: one word, and the initiator waits for the mailbox to be free (a CAS from 0).
 */
import { MemOrder } from '../../abi/effects.ts';
import type { Model, XProgram } from '../model.ts';
import type { XThread } from '../xthread.ts';
import { range } from './boot.ts';

type Variant = 'two-words' | 'one-word' | 'fixed';

const FLAG = 0x100;
const RANGE = 0x104;
const MAILBOX = 0x108;
const IRR = 0x10c;
const DONE = 0x110;
const FREED = 0x200;
const PAGE_BASE = 0x10;
const PENDING_BIT = 0x1000;

const pageOf = (initiator: number) => PAGE_BASE + initiator;
const freedWord = (page: number) => FREED + 4 * page;

function* initiator(t: XThread, v: Variant): XProgram<void> {
  const page = pageOf(t.index);
  const mine = PENDING_BIT | page;
  if (v === 'two-words') {
    yield t.await([FLAG], (w) => w[0] === 0); // wait while another shootdown is in flight
    yield t.store(FLAG, 1, MemOrder.SeqCst);
    yield t.store(RANGE, page, MemOrder.SeqCst);
  } else if (v === 'one-word') {
    yield t.store(MAILBOX, mine, MemOrder.SeqCst);
  } else {
    for (;;) {
      yield t.await([MAILBOX], (w) => w[0] === 0);
      if ((yield t.cas(MAILBOX, 0, mine)) === 0) break;
    }
  }
  yield t.xchg(IRR, 1); // the IPI
  if (v === 'two-words') yield t.await([FLAG], (w) => w[0] === 0);
  else yield t.await([MAILBOX], (w) => w[0] !== mine);
  yield t.store(freedWord(page), 1, MemOrder.SeqCst); // unmapped: the frame is reused
  yield t.fetchAdd(DONE, 1);
}

function* target(t: XThread, v: Variant, initiators: number[]): XProgram<void> {
  const tlb = new Set(initiators.map(pageOf));
  for (;;) {
    const [irr] = (yield t.await([IRR, DONE], (w) => w[0] === 1 || w[1] === initiators.length)) as number[];
    if (irr !== 1) break;
    yield t.store(IRR, 0, MemOrder.SeqCst); // the handler runs: the IRR bit moves to ISR
    if (v === 'two-words') {
      tlb.delete((yield t.load(RANGE, MemOrder.SeqCst)) as number);
      yield t.store(FLAG, 0, MemOrder.SeqCst);
    } else {
      const w = (yield t.load(MAILBOX, MemOrder.SeqCst)) as number;
      if (w === 0) continue;
      tlb.delete(w & ~PENDING_BIT);
      yield t.store(MAILBOX, 0, MemOrder.SeqCst);
    }
  }
  for (const page of tlb) {
    const freed = (yield t.load(freedWord(page), MemOrder.SeqCst)) as number;
    yield* t.check(
      freed === 0,
      'stale-tlb',
      `reads page ${page} through a stale translation after it was freed`,
    );
  }
}

function k3(v: Variant): Model {
  const name =
    v === 'two-words' ? 'k3-stand-in' : v === 'one-word' ? 'k3-one-word-stand-in' : 'k3-fixed-stand-in';
  const description = {
    'two-words': 'shootdown flag and range in two words: a second initiator overwrites the range',
    'one-word':
      "flag and range in one atomic word (the plans' fix alone): a second initiator overwrites the unread mailbox",
    fixed: 'one word, and the initiator waits for the mailbox to be free (CAS from 0)',
  }[v];
  return {
    name,
    description,
    claims: 'HW-9, K3, K10',
    buggy: v !== 'fixed',
    memory: 'sc',
    cpus: 3,
    cpusMin: 2,
    cpusMax: 5,
    source:
      'stand-in for the TLB shootdown mailbox, the program the explorer was built with (k3 runs the real code)',
    build: (cpus) => {
      const initiators = range(1, cpus);
      const names = new Map<number, string>([
        [FLAG, 'tlb_flag'],
        [RANGE, 'tlb_range'],
        [MAILBOX, 'tlb_mailbox'],
        [IRR, 'irr_tlb_vector'],
        [DONE, 'done'],
      ]);
      for (const i of initiators) names.set(freedWord(pageOf(i)), `freed[page ${pageOf(i)}]`);
      return {
        threads: [
          { name: 'CPU0 (target)', run: (t) => target(t, v, initiators) },
          ...initiators.map((i) => ({ name: `CPU${i}`, run: (t: XThread) => initiator(t, v) })),
        ],
        names,
      };
    },
  };
}

export const TLB_MODELS: Model[] = [k3('two-words'), k3('one-word'), k3('fixed')];
