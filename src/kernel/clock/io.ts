/**
 * The kernel's port I/O and RDTSC, as calibration code uses them: each access costs its time on
 * the CPU (the cost model's portIoNs, rdtscNs) and samples the device or the counter when it
 * completes, so the time a poll loop spends between two samples is what real hardware would spend.
 */
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';

export function* inb(k: Kernel, port: number): KernelGen<number> {
  yield spend(k.board.costs.portIoNs);
  return k.board.devices.portRead(port, 1);
}

export function* inl(k: Kernel, port: number): KernelGen<number> {
  yield spend(k.board.costs.portIoNs);
  return k.board.devices.portRead(port, 4);
}

export function* outb(k: Kernel, port: number, value: number): KernelGen<void> {
  yield spend(k.board.costs.portIoNs);
  k.board.devices.portWrite(port, 1, value);
}

/** RDTSC (get_cycles) on `cpu`: this CPU's own counter. */
export function* rdtsc(k: Kernel, cpu: Cpu): KernelGen<number> {
  yield spend(k.board.costs.rdtscNs);
  return k.board.tsc.read(cpu.id, k.nowNs);
}

/** One PAUSE (rep_nop, Rust's spin_loop): a fixed number of core cycles at the CPU's current clock. */
export function pauseNs(k: Kernel, cpu: Cpu): number {
  return Math.max(1, Math.round(k.board.costs.pauseCycles / cpu.cyclesPerNs));
}
