/**
 * Deadlock detection and the wait-for report. A CPU about to halt asks whether the machine can
 * still make progress: some other CPU awake, a thread runnable, or a blocked one with a timeout
 * that will expire. If none, no thread can ever run again (ticks may still come, but nothing is
 * left to wake anyone), and the run stops with the wait-for report: what each live thread waits
 * on, as Linux's hung-task detector lists blocked tasks.
 */
import type { Cpu } from '../hw/cpu.ts';
import type { Kernel } from './kernel.ts';
import { THREAD_STATE_NAMES, ThreadState } from './thread.ts';
import { NO_DEADLINE } from '../engine/deadline.ts';

/** The stop reason if `halting` halting leaves nothing that can ever wake, else null. */
export function deadlockReport(k: Kernel, halting: Cpu): string | null {
  for (const other of k.cpus) if (other !== halting && !other.halted) return null;
  if (k.devio?.busy() === true) return null; // a device's interrupt can still wake a driver
  for (const t of k.threads.values()) {
    if (t.state === ThreadState.Runnable) return null;
    if (t.state === ThreadState.Blocked && t.wakeNs !== NO_DEADLINE) return null;
  }
  return `deadlock: every thread is blocked with no timeout\n${waitForGraph(k)}`;
}

/** The live threads and what each waits for (a blocked one's reason, else its state), one per line. */
export function waitForGraph(k: Kernel): string {
  const lines: string[] = [];
  for (const t of k.threads.values()) {
    if (t.state === ThreadState.Dead) continue;
    const what = t.state === ThreadState.Blocked ? t.blockedOn : THREAD_STATE_NAMES[t.state];
    lines.push(`  tid ${t.id} (pid ${t.process.pid} ${t.process.image.name}) waits on ${what}`);
  }
  return lines.join('\n');
}
