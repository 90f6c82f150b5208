/**
 * The scenario fields of the TLB model (issue 15): `[kernel] tlb` (the shootdown protocol),
 * `pcid` and `tlb_timeout_us`; `[machine] tlb` (each CPU's TLB sizes); `[faults]` (a lost
 * shootdown IPI, a skipped target flush). Defaults keep every scenario as it was: the ideal
 * protocol, no PCID, Skylake's sizes, no faults.
 */
import { TLB_DEFAULTS, type TlbSpec } from '../hw/tlb.ts';
import { FORK_MODES, MM_OPTIONS_DEFAULT, type MmOptions, PAGING_MODES } from '../kernel/mm-options.ts';
import { TLB_OPTIONS_DEFAULT, TLB_PROTOCOLS, type TlbOptions } from '../kernel/tlb/state.ts';
import {
  checkInt,
  fail,
  kindOf,
  own,
  type ReadContext,
  readChoice,
  readInt,
  readTable,
  type Table,
} from './fields.ts';

export const KERNEL_TLB_KEYS = ['tlb', 'pcid', 'tlb_timeout_us'];
export const KERNEL_MM_KEYS = ['paging', 'fork'];
/** `switch` is the scheduler's (SCHED-9), read by kernel-table.ts; the rest are the TLB's. */
const FAULT_KEYS = ['tlb_drop_ipi', 'tlb_skip_flush', 'switch'];
const MACHINE_TLB_KEYS = ['l1', 'l1_ways', 'l2', 'l2_ways'];
const TLB_ENTRIES_MAX = 65_536;
const TIMEOUT_US_MAX = 1_000_000;

/** `[kernel] tlb, pcid, tlb_timeout_us` and `[faults]`, as the kernel's TLB options. */
export function readKernelTlb(ctx: ReadContext, kernel: Table, faults: unknown): TlbOptions {
  const protocol = readChoice(ctx, kernel, 'tlb', 'kernel', {
    choices: TLB_PROTOCOLS,
    noun: 'a TLB shootdown protocol',
    fallback: TLB_OPTIONS_DEFAULT.protocol,
  });
  const pcidValue = own(kernel, 'pcid');
  if (pcidValue !== undefined && typeof pcidValue !== 'boolean') {
    fail(ctx, 'kernel.pcid', `expected a boolean, got ${kindOf(pcidValue)}`, 'true, false');
  }
  const timeoutUs = readInt(ctx, kernel, 'tlb_timeout_us', 'kernel', {
    min: 0,
    max: TIMEOUT_US_MAX,
    fallback: 0,
  });
  if (timeoutUs > 0 && protocol !== 'linux') {
    fail(ctx, 'kernel.tlb_timeout_us', `the ${protocol} protocol has no timeout`, '0, or tlb = "linux"');
  }
  const table = readTable(ctx, faults ?? {}, 'faults', FAULT_KEYS);
  return {
    protocol,
    pcid: pcidValue === true,
    timeoutNs: timeoutUs * 1000,
    dropIpi: ordinals(ctx, table, 'tlb_drop_ipi'),
    skipFlush: ordinals(ctx, table, 'tlb_skip_flush'),
  };
}

/**
 * `[kernel] paging = "eager" | "demand"` and `fork = "copy" | "cow"` (kernel/mm-options.ts): absent
 * from the config when neither is given, so every scenario without them runs as before.
 */
export function readKernelMm(ctx: ReadContext, kernel: Table): { mm?: MmOptions } {
  if (own(kernel, 'paging') === undefined && own(kernel, 'fork') === undefined) return {};
  const paging = readChoice(ctx, kernel, 'paging', 'kernel', {
    choices: PAGING_MODES,
    noun: 'a paging mode',
    fallback: MM_OPTIONS_DEFAULT.paging,
  });
  const fork = readChoice(ctx, kernel, 'fork', 'kernel', {
    choices: FORK_MODES,
    noun: 'a fork mode',
    fallback: MM_OPTIONS_DEFAULT.fork,
  });
  return { mm: { paging, fork } };
}

/** A `[faults]` list of 1-based ordinals (the first shootdown IPI is 1); absent means none. */
export function ordinals(ctx: ReadContext, table: Table, key: string): number[] {
  const value = own(table, key);
  if (value === undefined) return [];
  if (!Array.isArray(value))
    fail(ctx, `faults.${key}`, `expected an array, got ${kindOf(value)}`, 'integers >= 1');
  return (value as unknown[]).map((v, i) =>
    checkInt(ctx, v, `faults.${key}.${i}`, 1, Number.MAX_SAFE_INTEGER),
  );
}

/** `[machine] tlb = { l1, l1_ways, l2, l2_ways }`: entries must be a multiple of ways. */
export function readMachineTlb(ctx: ReadContext, value: unknown): TlbSpec {
  if (value === undefined) return { ...TLB_DEFAULTS };
  const table = readTable(ctx, value, 'machine.tlb', MACHINE_TLB_KEYS);
  const p = 'machine.tlb';
  const spec: TlbSpec = {
    l1Entries: readInt(ctx, table, 'l1', p, {
      min: 1,
      max: TLB_ENTRIES_MAX,
      fallback: TLB_DEFAULTS.l1Entries,
    }),
    l1Ways: readInt(ctx, table, 'l1_ways', p, {
      min: 1,
      max: TLB_ENTRIES_MAX,
      fallback: TLB_DEFAULTS.l1Ways,
    }),
    l2Entries: readInt(ctx, table, 'l2', p, {
      min: 1,
      max: TLB_ENTRIES_MAX,
      fallback: TLB_DEFAULTS.l2Entries,
    }),
    l2Ways: readInt(ctx, table, 'l2_ways', p, {
      min: 1,
      max: TLB_ENTRIES_MAX,
      fallback: TLB_DEFAULTS.l2Ways,
    }),
  };
  if (spec.l1Entries % spec.l1Ways !== 0)
    fail(ctx, 'machine.tlb.l1', 'not a multiple of l1_ways', 'a multiple of l1_ways');
  if (spec.l2Entries % spec.l2Ways !== 0)
    fail(ctx, 'machine.tlb.l2', 'not a multiple of l2_ways', 'a multiple of l2_ways');
  return spec;
}
