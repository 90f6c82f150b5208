/** `[kernel]`: the scheduler, futexes and each subsystem's keys (validate.ts reads the rest). */
import { KERNEL_PROC_KEYS, readKernelProc } from './proc.ts';
import { FUTEX_MODES, type KernelConfig, type SchedPolicyName } from '../machine/config.ts';
import { readSchedulerKey } from './module-keys.ts';
import { defaultRunConfig, presetFutex } from '../machine/defaults.ts';
import {
  fail,
  fieldPath,
  kindOf,
  own,
  type ReadContext,
  readChoice,
  readInt,
  readTable,
  type Table,
} from './fields.ts';
import { readKernelFd } from './files.ts';
import { KERNEL_ABIS, RING_MODES } from '../abi/capring.ts';
import { KERNEL_MM_KEYS, KERNEL_TLB_KEYS, ordinals, readKernelMm, readKernelTlb } from './tlb.ts';
import { KERNEL_LOCK_KEYS, readKernelLocks } from './locks.ts';
import { ORPHAN_MODES } from '../kernel/orphans.ts';

const KERNEL_KEYS = [
  'scheduler',
  'futex',
  'numa',
  'fd',
  'irq_routing',
  'abi',
  'rings',
  'sched_owner',
  'orphans',
  ...KERNEL_LOCK_KEYS,
  ...KERNEL_TLB_KEYS,
  ...KERNEL_PROC_KEYS,
  ...KERNEL_MM_KEYS,
];
const FUTEX_KEYS = ['mode', 'shards'];
const FUTEX_SHARDS_MAX = 4096;

export function readKernel(ctx: ReadContext, value: unknown, faults: unknown): KernelConfig {
  const table = readTable(ctx, value ?? {}, 'kernel', KERNEL_KEYS);
  const fallback = defaultRunConfig().kernel.scheduler;
  // issue 22: a built-in's name, or your own policy's module (module-keys.ts).
  const { scheduler, policyModule } = readSchedulerKey(ctx, table, fallback);
  const fd = readKernelFd(ctx, own(table, 'fd'));
  const proc = readKernelProc(ctx, table);
  const futex = readFutex(ctx, own(table, 'futex'), scheduler);
  const mm = readKernelMm(ctx, table);
  // `[faults] switch`: the schedule() calls (1-based, over all CPUs) that fault under the switch
  // lock (SCHED-9); readKernelTlb has checked the table's keys.
  const switchFaults = ordinals(ctx, (faults ?? {}) as Table, 'switch');
  // Redox and Red Bear key futexes by frame, which a copy-on-write copy moves (wait-wake.ts).
  if (mm.mm?.fork === 'cow' && futex.mode !== 'linux') {
    fail(
      ctx,
      'kernel.fork',
      `"cow" needs futex mode "linux", not "${futex.mode}"`,
      'copy, or futex mode linux',
    );
  }
  return {
    scheduler,
    ...(policyModule === undefined ? {} : { policyModule }),
    futex,
    numa: readBool(ctx, table, 'numa', 'kernel', true),
    tlb: readKernelTlb(ctx, table, faults),
    ...(fd === null ? {} : { fd }),
    ...(proc === undefined ? {} : { proc }),
    ...readPersonality(ctx, table),
    ...readSchedOwner(ctx, table, scheduler),
    ...readOrphans(ctx, table),
    ...readKernelLocks(ctx, table, scheduler),
    ...mm,
    ...(switchFaults.length === 0 ? {} : { switchFaults }),
  };
}

/**
 * `[kernel] orphans` (issue 19, kernel/orphans.ts): `redox` (an exiting process's children go to
 * its parent) or `linux` (to the nearest subreaper, else init). Absent when not given, so
 * configurations that never name it stay as they were (the kernel's default is redox).
 */
function readOrphans(ctx: ReadContext, table: Table): Pick<KernelConfig, 'orphans'> {
  if (own(table, 'orphans') === undefined) return {};
  const orphans = readChoice(ctx, table, 'orphans', 'kernel', {
    choices: ORPHAN_MODES,
    noun: 'an orphan rule',
    fallback: 'redox',
  });
  return { orphans };
}

/** `[kernel] sched_owner` (RING-5): latch | percpu; absent for percpu, so configurations stay as they were. */
function readSchedOwner(
  ctx: ReadContext,
  table: Table,
  scheduler: SchedPolicyName,
): Pick<KernelConfig, 'schedOwner'> {
  const owner = readChoice(ctx, table, 'sched_owner', 'kernel', {
    choices: ['latch', 'percpu'] as const,
    noun: 'a scheduler owner mode',
    fallback: 'percpu',
  });
  if (owner === 'percpu') return {};
  if (scheduler !== 'fair')
    fail(
      ctx,
      'kernel.sched_owner',
      'the owner latch is a mode of the fair scheduler',
      'scheduler = "fair", or sched_owner = "percpu"',
    );
  return { schedOwner: owner };
}

/**
 * `[kernel] abi` (redox | capring) and `rings` (process | thread, capring only; issue 20). Absent
 * for the Redox personality, so its configurations are what they were.
 */
function readPersonality(ctx: ReadContext, table: Table): Pick<KernelConfig, 'abi' | 'rings'> {
  const abi = readChoice(ctx, table, 'abi', 'kernel', {
    choices: KERNEL_ABIS,
    noun: 'a kernel ABI',
    fallback: 'redox',
  });
  const ringsGiven = own(table, 'rings') !== undefined;
  if (abi !== 'capring') {
    if (ringsGiven)
      fail(ctx, 'kernel.rings', 'ring modes belong to the capring personality', 'abi = "capring"');
    return {};
  }
  const rings = readChoice(ctx, table, 'rings', 'kernel', {
    choices: RING_MODES,
    noun: 'a ring mode',
    fallback: 'process',
  });
  return { abi, rings };
}

/** A boolean key; absent means `fallback`. */
function readBool(ctx: ReadContext, table: Table, key: string, prefix: string, fallback: boolean): boolean {
  const value = own(table, key);
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    fail(ctx, fieldPath(prefix, key), `expected a boolean, got ${kindOf(value)}`, 'true, false');
  return value;
}

/** `[kernel] futex = { mode, shards }`; defaults follow the scheduler's preset. */
function readFutex(ctx: ReadContext, value: unknown, scheduler: SchedPolicyName): KernelConfig['futex'] {
  const preset = presetFutex(scheduler);
  const table = readTable(ctx, value ?? {}, 'kernel.futex', FUTEX_KEYS);
  const mode = readChoice(ctx, table, 'mode', 'kernel.futex', {
    choices: FUTEX_MODES,
    noun: 'a futex mode',
    fallback: preset.mode,
  });
  const shardsDefault = mode === 'redox' ? 1 : mode === preset.mode ? preset.shards : 64;
  const shards = readInt(ctx, table, 'shards', 'kernel.futex', {
    min: 1,
    max: FUTEX_SHARDS_MAX,
    fallback: shardsDefault,
  });
  if (mode === 'redox' && shards !== 1) {
    fail(ctx, 'kernel.futex.shards', 'redox has one global futex lock', '1 (or mode redbear or linux)');
  }
  return { mode, shards };
}
