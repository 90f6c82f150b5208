/**
 * The capring personality's metrics (issue 20): `capring.*`, reported when the kernel runs
 * `abi = "capring"`. Counts come from the kernel's capring state (kernel/capring/state.ts).
 */
import { endpointCensus } from '../kernel/capring/endpoint.ts';
import { type CapringCounts, type CapringKernel, capringIfAny } from '../kernel/capring/state.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { MetricInfo, MetricUnit } from '../kernel/stats.ts';

interface CapringRow extends MetricInfo {
  /** A count of the kernel's capring state, or what the state holds at the end of the run. */
  source: keyof CapringCounts | ((cs: CapringKernel) => number);
}

function row(name: string, unit: MetricUnit, meaning: string, source: CapringRow['source']): CapringRow {
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
  // --- issue 20, second wave (rings): timeouts, endpoints' end, grants ---
  row('timeouts_armed', 'count', 'Timeout operations armed on a ring (IORING_OP_TIMEOUT)', 'timeoutsArmed'),
  row('timeouts_fired', 'count', 'Timeout operations whose time passed (CQE -ETIME)', 'timeoutsFired'),
  row('endpoints_closed', 'count', 'endpoints closed because their server process exited', 'endpointsClosed'),
  row(
    'calls_epipe',
    'count',
    'calls completed -EPIPE: their endpoint\u2019s server had gone',
    'callsFailedEpipe',
  ),
  row('grants', 'count', 'capabilities handed to a server in a call (CallGrant)', 'grants'),
  row(
    'grants_refused',
    'count',
    'CallGrant calls refused: the caller did not hold the capability',
    'grantsRefused',
  ),
  row(
    'endpoints_live',
    'count',
    'endpoints still open at the end of the run',
    (cs) => endpointCensus(cs).live,
  ),
  row(
    'calls_in_flight',
    'count',
    'calls a server had taken and not answered at the end of the run',
    (cs) => endpointCensus(cs).inFlight,
  ),
];

/** The rows of a capring run. */
export function capringMetrics(k: Kernel, m: Record<string, number>): void {
  if (k.options.abi !== 'capring') return;
  const cs = capringIfAny(k);
  for (const r of CAPRING_METRICS) {
    m[r.name] = cs === null ? 0 : typeof r.source === 'function' ? r.source(cs) : cs.counts[r.source];
  }
}
