/**
 * The tables `smpsim fidelity` prints (issue 23): primes times and speedups, futex hand-offs,
 * the mutex-contention loop, the condvar herd's rounds and schbench's wakeup latencies, each
 * with the host's median (and its spread, ± half of (max − min) / median) beside smpsim's and
 * the signed relative error (smpsim − host) / host.
 * @module
 */
import type { CondherdPoint } from '../report/fidelity/condherd-fidelity.ts';
import type { MutexPoint } from '../report/fidelity/mutex-fidelity.ts';
import type { HandoffPoint } from '../report/fidelity/pingpong-fidelity.ts';
import type { DivisionCheck } from '../report/fidelity/division-check.ts';
import type { FidelityPoint } from '../report/fidelity/primes-fidelity.ts';
import type { SchbenchPoint } from '../report/fidelity/schbench-fidelity.ts';
import { table } from './format.ts';

/** The goals the issue sets for this machine: speedups within 5%, absolute times within 10%. */
export const SPEEDUP_ERROR_GOAL = 0.05;
export const TIME_ERROR_GOAL = 0.1;

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const ms = (ns: number) => (ns / 1e6).toFixed(1);
const us = (ns: number) => (ns / 1000).toFixed(2);
const spread = (s: number) => `±${(s * 50).toFixed(0)}%`;

export function formatHandoffs(points: readonly HandoffPoint[]): string {
  const rows = points.map((p) => [
    `${p.pairs} pair`,
    String(p.cpus),
    `${us(p.host_ns_per_handoff)} ${spread(p.host_spread)}`,
    us(p.sim_ns_per_handoff),
    pct(p.time_error),
  ]);
  const headers = ['futex ping-pong', 'CPUs', 'host us/handoff', 'smpsim us/handoff', 'time err'];
  return `\n${table(headers, rows, 1).join('\n')}\n`;
}

export function formatMutex(points: readonly MutexPoint[]): string {
  const rows = points.map((p) => [
    `${p.threads}×${p.iterations}`,
    String(p.cpus),
    `${ms(p.host_ns)} ${spread(p.host_spread)}`,
    ms(p.sim_ns),
    pct(p.time_error),
    p.host_speedup.toFixed(2),
    p.sim_speedup.toFixed(2),
    pct(p.speedup_error),
    `${p.host_futex_waits}/${p.sim_futex_waits}`,
  ]);
  const headers = [
    'mutex loop',
    'CPUs',
    'host ms',
    'smpsim ms',
    'time err',
    'host speedup',
    'smpsim speedup',
    'speedup err',
    'futex waits host/smpsim',
  ];
  return `\n${table(headers, rows, 1).join('\n')}\n`;
}

export function formatCondherd(points: readonly CondherdPoint[]): string {
  const rows = points.map((p) => [
    `${p.waiters} waiters`,
    String(p.cpus),
    `${us(p.host_ns_per_round)} ${spread(p.host_spread)}`,
    us(p.sim_ns_per_round),
    pct(p.time_error),
  ]);
  const headers = ['condvar herd', 'CPUs', 'host us/round', 'smpsim us/round', 'time err'];
  return `\n${table(headers, rows, 1).join('\n')}\n`;
}

export function formatSchbench(points: readonly SchbenchPoint[]): string {
  const rows = points.map((p) => [
    `${p.messages}×${p.workers}`,
    String(p.cpus),
    `${us(p.host_p50_ns)} ${spread(p.host_p50_spread)}`,
    us(p.sim_p50_ns),
    pct(p.p50_error),
    `${us(p.host_p99_ns)} ${spread(p.host_p99_spread)}`,
    us(p.sim_p99_ns),
    pct(p.p99_error),
  ]);
  const headers = [
    'schbench',
    'CPUs',
    'host p50 us',
    'smpsim p50 us',
    'p50 err',
    'host p99 us',
    'smpsim p99 us',
    'p99 err',
  ];
  return `\n${table(headers, rows, 1).join('\n')}\n`;
}

/** The host's division probe against smpsim's charge for it, before and after the primes runs. */
export function formatDivisionCheck(c: DivisionCheck): string {
  const [lo, hi] = c.range;
  return `speed check: dividing [${lo}, ${hi}) took the host ${ms(c.host_before_ns)} ms before and ${ms(c.host_after_ns)} ms after (${pct(c.drift)}); smpsim charges ${ms(c.charged_ns)} ms (the host ${pct(c.host_vs_charge)} against it)\n`;
}

export function formatFidelity(
  points: readonly FidelityPoint[],
  profile: string | null,
  model: string,
): string {
  const costs = profile === null ? 'default costs' : `costs from ${profile}`;
  const title = `fidelity: ${model} vs smpsim fair (${costs})`;
  if (points.length === 0) return `${title}\n`;
  const rows = points.map((p) => [
    p.shape,
    String(p.workers),
    `${ms(p.host_ns)} ${spread(p.host_spread)}`,
    ms(p.sim_ns),
    pct(p.time_error),
    p.host_speedup.toFixed(2),
    p.sim_speedup.toFixed(2),
    pct(p.speedup_error),
  ]);
  const headers = [
    'primes',
    'workers',
    'host ms',
    'smpsim ms',
    'time err',
    'host speedup',
    'smpsim speedup',
    'speedup err',
  ];
  const speedupOk = points.every((p) => Math.abs(p.speedup_error) <= SPEEDUP_ERROR_GOAL);
  const timeOk = points.every((p) => Math.abs(p.time_error) <= TIME_ERROR_GOAL);
  return `${[
    title,
    '',
    ...table(headers, rows, 1),
    '',
    `goal: every speedup within ${SPEEDUP_ERROR_GOAL * 100}% ${speedupOk ? 'met' : 'NOT met'}; every time within ${TIME_ERROR_GOAL * 100}% ${timeOk ? 'met' : 'NOT met'}`,
    points.every((p) => p.same_work)
      ? 'work: the same primes and divisions on both sides'
      : 'work: the two sides DIFFER',
  ].join('\n')}\n`;
}
