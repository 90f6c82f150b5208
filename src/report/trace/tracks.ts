/**
 * Where each kind of event goes (docs/trace.md is the contract the viewer reads): the machine's
 * tracks live in one pseudo-process, `MACHINE_PID`, with a scheduling track and an interrupt
 * track per CPU; each guest thread has its own track under its guest pid and tid. Guest pids and
 * tids are small (the kernel counts from 1), so the machine's ids, far above them, never collide
 * (Perfetto keys a thread by its tid).
 */

/** The pseudo-process that holds the CPU tracks, the machine's counters and the markers. */
export const MACHINE_PID = 1_000_000;
/** CPU n's scheduling track (sched_switch-style slices): tid MACHINE_PID + n. */
export function cpuTid(cpuId: number): number {
  return MACHINE_PID + cpuId;
}
/** CPU n's interrupt track (IPI and interrupt instants): tid MACHINE_PID + 500 + n. */
export function irqTid(cpuId: number): number {
  return MACHINE_PID + 500 + cpuId;
}
/** The track global markers are written on (Perfetto draws `s: "g"` instants across all tracks). */
export const MARKER_TID = MACHINE_PID + 999;

/** A metadata ("M") event naming a process or thread, or giving its sort index. */
export function meta(name: string, pid: number, tid: number, args: Record<string, string | number>): object {
  return { name, ph: 'M', pid, tid, args };
}

/** The machine process's metadata: its name and, per CPU, its two tracks' names and order. */
export function machineMetadata(cpus: number): object[] {
  const events: object[] = [
    meta('process_name', MACHINE_PID, MACHINE_PID, { name: 'machine' }),
    meta('process_sort_index', MACHINE_PID, MACHINE_PID, { sort_index: -1 }),
    meta('thread_name', MACHINE_PID, MARKER_TID, { name: 'markers' }),
    meta('thread_sort_index', MACHINE_PID, MARKER_TID, { sort_index: -1 }),
  ];
  for (let cpu = 0; cpu < cpus; cpu++) {
    events.push(meta('thread_name', MACHINE_PID, cpuTid(cpu), { name: `CPU ${cpu}` }));
    events.push(meta('thread_sort_index', MACHINE_PID, cpuTid(cpu), { sort_index: 2 * cpu }));
    events.push(meta('thread_name', MACHINE_PID, irqTid(cpu), { name: `CPU ${cpu} irq` }));
    events.push(meta('thread_sort_index', MACHINE_PID, irqTid(cpu), { sort_index: 2 * cpu + 1 }));
  }
  return events;
}
