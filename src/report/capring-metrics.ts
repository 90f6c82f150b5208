/**
 * The capring personality's metrics (issue 20): `capring.*`, reported when the kernel runs
 * `abi = "capring"`. Counts come from the kernel's capring state (kernel/capring/state.ts).
 */
import { type CapringCounts, capringIfAny } from '../kernel/capring/state.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { MetricInfo, MetricUnit } from '../kernel/stats.ts';

interface CapringRow extends MetricInfo {
  source: keyof CapringCounts;
}

function row(name: string, unit: MetricUnit, meaning: string, source: keyof CapringCounts): CapringRow {
  return { name: `capring.${name}`, unit, meaning, source };
}

export const CAPRING_METRICS: readonly CapringRow[] = [
  row('enters', 'count', 'cap_enter calls (the personality has no other trap but exit)', 'enters'),
  row('sqes', 'count', 'SQEs the kernel consumed', 'sqes'),
  row('cqes', 'count', 'CQEs posted (to the CQ or its overflow list)', 'cqes'),
  row(
    'owner_queued',
    'count',
    'process rings: cap_enter calls that waited behind the process\u2019s one blocked waiter (RING-2)',
    'ownerQueued',
  ),
  row(
    'owner_queued_ns',
    'ns',
    'process rings: time threads spent waiting behind the one waiter',
    'ownerQueuedNs',
  ),
  row(
    'stale_rejected',
    'count',
    'thread rings: completions or wakes for a stale thread reference, rejected (RING-3)',
    'staleRejected',
  ),
  row(
    'stale_delivered',
    'count',
    'process rings: completions for an exited thread, delivered to the shared CQ anyway',
    'staleDelivered',
  ),
  row('overflowed', 'count', 'CQEs that went to the overflow list (CQ full)', 'overflowed'),
  row('dropped', 'count', 'CQEs dropped: CQ and overflow list full (cq_overflow)', 'dropped'),
  row('parks', 'count', 'PARK operations that queued their thread (RING-4)', 'parks'),
  row('unparks', 'count', 'threads an UNPARK woke', 'unparks'),
  row('threads_spawned', 'count', 'threads made by ThreadSpawn', 'threadsSpawned'),
  row('bad_cap', 'count', 'SQEs that named a capability slot of the wrong kind (-EBADF)', 'badCap'),
  row('sqpoll_sqes', 'count', 'SQEs consumed by SQ pollers rather than by cap_enter', 'sqpollSqes'),
  row('sqpoll_sleeps', 'count', 'times an idle SQ poller set NEED_WAKEUP and slept', 'sqpollSleeps'),
  row(
    'sqpoll_wakeups',
    'count',
    'cap_enter calls that woke a sleeping SQ poller (SQ_WAKEUP)',
    'sqpollWakeups',
  ),
];

/** The rows of a capring run. */
export function capringMetrics(k: Kernel, m: Record<string, number>): void {
  if (k.options.abi !== 'capring') return;
  const counts = capringIfAny(k)?.counts;
  for (const r of CAPRING_METRICS) m[r.name] = counts?.[r.source] ?? 0;
}
