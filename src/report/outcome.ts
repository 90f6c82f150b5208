/**
 * Did the run do its work? A run passes only when it ended as its scenario declares
 * (`[outcome]`: by default every workload started and exited with status 0, no guest process
 * was killed, no limit was hit). Otherwise it fails with one line saying why (issue 12), so a
 * killed guest or a workload that never started cannot print PASSED.
 */
import { SIGABRT, SIGKILL, SIGSEGV } from '../abi/signal.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { type RunConfig, type RunEnd, workloadName } from '../machine/config.ts';

/** A guest's own error message can be long; the reason keeps its start. */
const MESSAGE_CHARS_MAX = 160;

const SIGNAL_NAMES: Record<number, string> = {
  [SIGABRT]: 'SIGABRT',
  [SIGKILL]: 'SIGKILL',
  [SIGSEGV]: 'SIGSEGV',
};

/** How the run ended, from its stop error (see report/run.ts `stopError`). */
export function runEnd(error: string | undefined): RunEnd | 'quiet' {
  if (error === undefined) return 'exit';
  if (error.startsWith('deadlock')) return 'deadlock';
  if (error.includes('limit hit')) return 'limit';
  return 'quiet';
}

/** Why the run failed to end as declared, in one line, or null when it did. */
export function outcomeFailure(config: RunConfig, kernel: Kernel, error: string | undefined): string | null {
  const declared = config.outcome;
  const ended = runEnd(error);
  const killed = [...[...kernel.processes.values()].filter((p) => p.killedBy !== 0), ...kernel.killedReleased]
    .map((p) => ({ pid: p.pid, name: 'image' in p ? p.image.name : p.name, killedBy: p.killedBy }))
    .sort((a, b) => a.pid - b.pid);
  if (killed.length !== declared.killed) return killedReason(kernel, killed, declared.killed);
  if (ended === 'exit' && declared.ends === 'exit') return workloadReason(config, kernel);
  if (ended === declared.ends) return null;
  const what = ended === 'exit' ? 'every workload exited' : firstLine(error ?? '');
  return declared.ends === 'exit'
    ? what
    : `the scenario declares outcome.ends = "${declared.ends}", but ${what}`;
}

function killedReason(
  kernel: Kernel,
  killed: readonly { pid: number; name: string; killedBy: number }[],
  declared: number,
): string {
  const n = killed.length;
  const head = `${n} guest process${n === 1 ? ' was' : 'es were'} killed (outcome.killed = ${declared})`;
  const first = killed[0];
  if (first === undefined) return head;
  const fault = kernel.faults.find((f) => f.pid === first.pid);
  const message = fault === undefined ? '' : `: ${clip(firstLine(fault.message))}`;
  const more = n > 1 ? ` (and ${n - 1} more)` : '';
  return `${head}: pid ${first.pid} (${first.name}) by ${signalName(first.killedBy)}${message}${more}`;
}

/** Every workload's process started, exited by itself, and with status 0. */
function workloadReason(config: RunConfig, kernel: Kernel): string | null {
  const children = kernel.root?.children ?? [];
  for (const [index, w] of config.workloads.entries()) {
    const p = children[index];
    const label = `workload.${index} (${workloadName(w)})`;
    if (p === undefined) {
      const missing = config.workloads.length - index;
      return `${label} never started${missing > 1 ? ` (nor ${missing - 1} after it)` : ''}`;
    }
    if (p.exitCode !== 0) return `${label} exited with status ${p.exitCode}`;
  }
  return null;
}

function signalName(signal: number): string {
  return SIGNAL_NAMES[signal] ?? `signal ${signal}`;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

function clip(text: string): string {
  return text.length <= MESSAGE_CHARS_MAX ? text : `${text.slice(0, MESSAGE_CHARS_MAX - 3)}...`;
}
