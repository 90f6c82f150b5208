/**
 * A dead thread that is not its group's leader leaves the kernel's tables at its last switch,
 * as Linux's exit_notify calls release_task for an autoreaped non-leader thread (kernel/exit.c)
 * and finish_task_switch then drops its stack (put_task_stack, kernel/sched/core.c): once it has
 * switched out for the last time its kernel stack is no longer in use. The group leader stays
 * until the whole process is released (delay_group_leader; kernel.releaseProcess), so a process
 * that creates and joins many threads keeps a thread table the size of its live threads.
 *
 * What reports and tests read of a thread by tid after the run stays in a small record
 * (`kernel.releasedThreads`), as `kernel.killedReleased` keeps a released killed process: its
 * tid, pid, program name and CPU time. Its CPU time also joins the process's sum, as
 * __exit_signal adds it to signal->sum_sched_runtime, so CLOCK_PROCESS_CPUTIME_ID keeps it.
 */
import type { Kernel } from './kernel.ts';
import { type Thread, ThreadState } from './thread.ts';

/** What is kept of a released thread: the figures reports read by tid after the run. */
export interface ReleasedThread {
  readonly tid: number;
  readonly pid: number;
  /** Its process's program name when it died. */
  readonly name: string;
  readonly cpuTimeNs: number;
}

/**
 * Called when `t` has just been switched out, or has been killed before it was ever started
 * (doomThreads: no switch will ever come for it): releases it if it is a dead non-leader.
 */
export function releaseIfExited(k: Kernel, t: Thread): void {
  if (t.state !== ThreadState.Dead || t.running) return;
  const p = t.process;
  if (p.leader === t || !p.threads.has(t)) return;
  k.releasedThreads.set(t.id, { tid: t.id, pid: p.pid, name: p.image.name, cpuTimeNs: t.cpuTimeNs });
  p.releasedCpuNs += t.cpuTimeNs;
  p.threads.delete(t);
  k.forgetThread(t);
}

/** A thread's CPU time by tid, live, dead or released; undefined for a tid never seen. */
export function cpuTimeOfTid(k: Kernel, tid: number): number | undefined {
  return k.threads.get(tid)?.cpuTimeNs ?? k.releasedThreads.get(tid)?.cpuTimeNs;
}
