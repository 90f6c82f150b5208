/**
 * Bring-up's shared words as effects (issue 16: every shared access an effect, so the explorer
 * can order them): loads, stores and read-modify-writes of physical memory and of the LAPIC's
 * MMIO page, yielded as atomic effects by kernel code in a CPU's idle context, where no address
 * space translates them. `bootAtomic` is what the kernel's atomic hook does with them.
 */
import { AtomicOp, type AtomicEffect, Op } from '../../abi/effects.ts';
import { LAPIC_MMIO_BASE, LAPIC_MMIO_END, type StartupController } from '../../hw/ap-startup.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { PAGE_SHIFT, type PhysicalMemory } from '../../hw/memory.ts';

function effect(kind: AtomicOp, addr: number, a = 0): AtomicEffect {
  return { op: Op.Atomic, kind, addr, a, b: 0 };
}

export const load = (addr: number) => effect(AtomicOp.Load, addr);
export const store = (addr: number, value: number) => effect(AtomicOp.Store, addr, value);
export const fetchAdd = (addr: number, value: number) => effect(AtomicOp.FetchAdd, addr, value);
export const fetchOr = (addr: number, value: number) => effect(AtomicOp.FetchOr, addr, value);

/**
 * Call-site annotations for the explorer (issue 17; src/explore/footprint.ts says why they are
 * sound). On the machine both are the plain effect: the extra field is not read there.
 *
 * - `setBit`: a fetchOr whose caller never reads the old value (Linux's cpumask_set_cpu, a
 *   `lock or`): it writes only `bits` and hands nothing back, so it commutes with another
 *   CPU's setBit of other bits of the word and with a wait on other bits.
 * - `spinLoad`: one load of a spin loop that runs until `(word & mask) !== 0` and uses the word
 *   only for that test: the explorer folds the whole loop into one wait reading only `mask`.
 */
export interface SetBitEffect extends AtomicEffect {
  readonly resultUnused: true;
}
export interface SpinLoadEffect extends AtomicEffect {
  readonly spinMask: number;
}

export const setBit = (addr: number, bits: number): SetBitEffect => ({
  ...effect(AtomicOp.FetchOr, addr, bits),
  resultUnused: true,
});
export const spinLoad = (addr: number, mask: number): SpinLoadEffect => ({
  ...effect(AtomicOp.Load, addr),
  spinMask: mask >>> 0,
});

export function isSetBit(e: AtomicEffect): e is SetBitEffect {
  return (e as Partial<SetBitEffect>).resultUnused === true;
}
export function isSpinLoad(e: AtomicEffect): e is SpinLoadEffect {
  return (e as Partial<SpinLoadEffect>).spinMask !== undefined;
}

/** Applies a bring-up access on `cpu`; returns the word's old value (a load's value). */
export function bootAtomic(
  memory: PhysicalMemory,
  startup: StartupController,
  cpu: Cpu,
  e: AtomicEffect,
): number {
  const addr = e.addr;
  if (addr >= LAPIC_MMIO_BASE && addr < LAPIC_MMIO_END) {
    if (e.kind === AtomicOp.Load) return startup.load(cpu, addr);
    if (e.kind !== AtomicOp.Store)
      throw new Error(`boot: read-modify-write of LAPIC register 0x${addr.toString(16)}`);
    startup.store(cpu, addr, e.a);
    return 0;
  }
  const frame = addr >>> PAGE_SHIFT;
  const index = (addr & 0xfff) >>> 2;
  const old = memory.load(frame, index);
  if (e.kind === AtomicOp.Store) memory.store(frame, index, e.a);
  else if (e.kind === AtomicOp.FetchAdd) memory.store(frame, index, old + e.a);
  else if (e.kind === AtomicOp.FetchOr) memory.store(frame, index, old | e.a);
  else if (e.kind !== AtomicOp.Load) throw new Error(`boot: atomic kind ${e.kind} not used by bring-up`);
  return old;
}
