/**
 * The scenario keys of the kernel's locks (SCHED-10): `[kernel] locks`, `donation`,
 * `donation_max_depth` and `lock_demo = { chain, hold_us, hog_ms, high_after_us }`
 * (kernel/locks/). Each bad value is one line naming the field and what is allowed.
 */
import { DONATION_MAX_DEPTH_DEFAULT, DONATION_MODES } from '../kernel/locks/donation.ts';
import { KERNEL_LOCK_KINDS } from '../kernel/locks/mcs-lock.ts';
import type { KernelConfig } from '../machine/config.ts';
import { fail, own, type ReadContext, readChoice, readInt, readTable, type Table } from './fields.ts';

export const KERNEL_LOCK_KEYS = ['locks', 'donation', 'donation_max_depth', 'lock_demo'] as const;
const DEMO_KEYS = ['chain', 'hold_us', 'hog_ms', 'high_after_us'];

type LockConfig = Pick<KernelConfig, 'locks' | 'donation' | 'lockDemo'>;

/**
 * `locks`: `tas`, today's lock (hw/spinlock.ts: one CAS word, the winner among spinners drawn),
 * `mcs` (kernel/locks/mcs-lock.ts) or `ticket` (kernel/locks/ticket-lock.ts: FIFO by ticket).
 */
export function readKernelLocks(ctx: ReadContext, table: Table, scheduler: string): LockConfig {
  const out: LockConfig = {};
  if (own(table, 'locks') !== undefined)
    out.locks = readChoice(ctx, table, 'locks', 'kernel', {
      choices: KERNEL_LOCK_KINDS,
      noun: 'a lock kind',
    });
  if (own(table, 'donation') !== undefined || own(table, 'donation_max_depth') !== undefined) {
    out.donation = {
      mode: readChoice(ctx, table, 'donation', 'kernel', {
        choices: DONATION_MODES,
        noun: 'a donation mode',
        fallback: 'chain',
      }),
      maxDepth: readInt(ctx, table, 'donation_max_depth', 'kernel', {
        min: 1,
        max: 1024,
        fallback: DONATION_MAX_DEPTH_DEFAULT,
      }),
    };
  }
  const demo = own(table, 'lock_demo');
  if (demo !== undefined) {
    if (out.locks !== 'mcs') fail(ctx, 'kernel.lock_demo', 'needs the MCS locks', 'kernel.locks = "mcs"');
    if (scheduler !== 'fair')
      fail(ctx, 'kernel.lock_demo', 'its threads are SCHED_FIFO', 'scheduler = "fair"');
    const t = readTable(ctx, demo, 'kernel.lock_demo', DEMO_KEYS);
    const p = 'kernel.lock_demo';
    out.lockDemo = {
      chain: readInt(ctx, t, 'chain', p, { min: 1, max: 2, fallback: 2 }) as 1 | 2,
      holdUs: readInt(ctx, t, 'hold_us', p, { min: 1, max: 1_000_000, fallback: 2_000 }),
      hogMs: readInt(ctx, t, 'hog_ms', p, { min: 1, max: 10_000, fallback: 50 }),
      highAfterUs: readInt(ctx, t, 'high_after_us', p, { min: 0, max: 1_000_000, fallback: 200 }),
    };
  }
  return out;
}

/** The machine must have the CPUs the demo pins its threads to (0, 1, and 2 for chain 2). */
export function checkLockDemoCpus(ctx: ReadContext, config: LockConfig, cpus: number): void {
  const need = config.lockDemo === undefined ? 0 : config.lockDemo.chain + 1;
  if (cpus < need)
    fail(
      ctx,
      'kernel.lock_demo.chain',
      `chain ${need - 1} pins threads to CPUs 0..${need - 1}`,
      `machine.cpus >= ${need}`,
    );
}

/** The lock keys as a scenario file writes them (render.ts), only those the config has. */
export function renderKernelLocks(k: LockConfig): Record<string, unknown> {
  const demo = k.lockDemo;
  return {
    ...(k.locks === undefined ? {} : { locks: k.locks }),
    ...(k.donation === undefined
      ? {}
      : { donation: k.donation.mode, donation_max_depth: k.donation.maxDepth }),
    ...(demo === undefined
      ? {}
      : {
          lock_demo: {
            chain: demo.chain,
            hold_us: demo.holdUs,
            hog_ms: demo.hogMs,
            high_after_us: demo.highAfterUs,
          },
        }),
  };
}
