/**
 * The kernel's shootdown code (kernel/tlb/redbear.ts, linux.ts) under the explorer (issue 17,
 * K3): a `TlbPort` whose every access is an explored step on the explorer's memory (a peek and a
 * poke too: nothing is free when time is abstracted), and whose wait is one `Await` over the
 * words waited on, the CPU's own pending-work word and its bit of the IPI request word, so a
 * waiting CPU never spins: it wakes when the wait is over, when its own queue or mailbox fills
 * (the service the machine runs every round), or when a TLB IPI is pending for it (the
 * interrupt window the machine opens every round), and then runs that work and waits again.
 *
 * IPIs: `IRR` holds one bit per CPU (the TLB vector's IRR bit of its LAPIC); a send sets the
 * target's bit (the all-but-self shorthand every other CPU's, in one step), a CPU taking the
 * interrupt clears its own bit and runs the kernel's handler (flush.ts `tlbIpi`). A second IPI
 * while one is pending coalesces, as an IRR bit does.
 *
 * The effects are yielded through the kernel code's generators, whose type says kernel effects;
 * `tlbExplored` (models/tlb-real.ts) is their only driver, hence the casts here.
 */
import { AtomicOp, MemOrder, Op } from '../abi/effects.ts';
import type { Cpu } from '../hw/cpu.ts';
import type { KernelGen } from '../hw/effects.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { tlbIpi } from '../kernel/tlb/flush.ts';
import type { TlbPort, TlbWait } from '../kernel/tlb/words.ts';
import { XOp } from './model.ts';

const ALL = 0xffff_ffff;

// biome-ignore lint/suspicious/noExplicitAny: explorer effects travel through kernel generators.
type Any = any;

function* effect(e: object): KernelGen<number> {
  return (yield e as Any) as number;
}
const atomic = (kind: AtomicOp, addr: number, a = 0, b = 0) => effect({ op: Op.Atomic, kind, addr, a, b });

/** The explorer's port; `irr` is the address of the IPI request word. */
export function explorerTlbPort(irr: number): TlbPort {
  const load = (_k: Kernel, addr: number, order: MemOrder) => effect({ op: Op.Load, addr, order });
  function* store(_k: Kernel, addr: number, value: number, order: MemOrder): KernelGen<void> {
    yield* effect({ op: Op.Store, addr, value, order });
  }
  return {
    load,
    store,
    xchg: (_k, addr, value) => atomic(AtomicOp.Exchange, addr, value),
    cas: (_k, addr, expected, desired) => atomic(AtomicOp.CompareExchange, addr, expected, desired),
    fetchAdd: (_k, addr, value) => atomic(AtomicOp.FetchAdd, addr, value),
    *readThenStore(k, readAddr, addr, value, order) {
      const old = yield* load(k, readAddr, MemOrder.Relaxed);
      yield* store(k, addr, value, order);
      return old;
    },
    peek: load,
    poke: store,
    *llistAdd(k, head, node, nextAddr) {
      for (;;) {
        const first = yield* load(k, head, MemOrder.Relaxed);
        yield* store(k, nextAddr, first, MemOrder.Relaxed);
        if ((yield* atomic(AtomicOp.CompareExchange, head, first, node)) === first) return;
      }
    },
    readGen: (k) => load(k, k.tlb.layout.generation(), MemOrder.Relaxed),
    *bumpGen(k) {
      return (yield* atomic(AtomicOp.FetchAdd, k.tlb.layout.generation(), 1)) + 1;
    },
    wait: (k, cpu, w) => explorerWait(k, cpu, w, irr),
  };
}

/** The machine's spin loop (shootdown.ts spinUntil) folded into Await steps (the header). */
function* explorerWait(k: Kernel, cpu: Cpu, w: TlbWait, irr: number): KernelGen<boolean> {
  const n = w.addrs.length;
  const bit = (1 << cpu.id) >>> 0;
  const addrs = [...w.addrs, irr, ...(w.service === null ? [] : [w.service.addr])];
  const masks = [...w.addrs.map(() => ALL), bit, ...(w.service === null ? [] : [ALL])];
  const ready = (v: readonly number[]) => w.until(v.slice(0, n)) || v[n] !== 0 || (v[n + 1] ?? 0) !== 0;
  for (;;) {
    const v = (yield {
      op: XOp.Await,
      addrs,
      until: ready,
      order: MemOrder.Acquire,
      masks,
    } as Any) as number[];
    if (w.until(v.slice(0, n))) return true;
    if (v[n] !== 0) yield* takeIpi(k, cpu, irr);
    else yield* w.service!.run(k, cpu);
  }
}

/** The TLB vector delivered on `cpu`: its IRR bit cleared, the kernel's handler run. */
export function* takeIpi(k: Kernel, cpu: Cpu, irr: number): KernelGen<void> {
  yield { op: XOp.Bits, kind: 'and', addr: irr, bits: (1 << cpu.id) >>> 0 } as Any;
  const handler = tlbIpi(k, cpu);
  if (handler !== null) yield* handler;
}
