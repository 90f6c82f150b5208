/**
 * The built-in models, by the names `smpsim explore --list` prints and scripts rely on (issue
 * 17): the bring-up races (k1, k2, k8), the shootdown races (k3, k3-one-word, k3-fixed), the MCS
 * handoff (k4) and the ticket lock's (k4-ticket), kernel spinlocks taken in pairs (lock-pair), condition-variable wakeups on the real libc, Dekker, and the litmus tests. A
 * model plugs in by being listed here; the real boot and TLB code of other issues replaces the
 * stand-ins' threads without changing their names.
 */
import type { Model } from './model.ts';
import { BOOT_MODELS } from './models/boot.ts';
import { CONDVAR_MODELS } from './models/condvar.ts';
import { DEKKER_MODELS } from './models/dekker.ts';
import { LITMUS_MODELS } from './models/litmus.ts';
import { MCS_MODELS } from './models/mcs.ts';
import { TICKET_MODELS } from './models/ticket.ts';
import { LOCK_PAIR_MODELS } from './models/lock-pair.ts';
import { TLB_MODELS } from './models/tlb.ts';
import { TLB_REAL_MODELS } from './models/tlb-real.ts';

export const MODELS: readonly Model[] = [
  ...BOOT_MODELS,
  ...TLB_REAL_MODELS,
  ...TLB_MODELS,
  ...MCS_MODELS,
  ...TICKET_MODELS,
  ...LOCK_PAIR_MODELS,
  ...CONDVAR_MODELS,
  ...DEKKER_MODELS,
  ...LITMUS_MODELS,
];

export function findModel(name: string): Model | undefined {
  return MODELS.find((m) => m.name === name);
}
