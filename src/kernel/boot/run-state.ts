/**
 * One bring-up in progress: the options, the kernel it brings up, each CPU's record, and the
 * frames each AP was given (its per-CPU block and stack), so a failed AP's can be given back.
 * Host-side bookkeeping for the report: the simulated code shares only the words of layout.ts.
 */
import type { Kernel } from '../kernel.ts';
import type { BootOptions, CpuBootRecord } from './plan.ts';

export interface ApFrames {
  pcr: number;
  stack: number[];
}

export class BootRun {
  readonly kernel: Kernel;
  readonly options: BootOptions;
  readonly records: CpuBootRecord[];
  readonly startNs: number;
  readonly log: string[] = [];
  readonly frames = new Map<number, ApFrames>();
  framesFreed = 0;
  halfInitialised = 0;
  nodeUnsetSeen = 0;
  doneNs = -1;

  constructor(kernel: Kernel, options: BootOptions) {
    this.kernel = kernel;
    this.options = options;
    this.startNs = kernel.nowNs;
    this.records = kernel.topology.cpus.map((c) => ({
      cpu: c.cpuId,
      apicId: c.apicId,
      initNs: null,
      sipiNs: [],
      callinNs: null,
      onlineNs: null,
      status: c.cpuId === 0 ? 'bsp' : c.present ? 'not-started' : 'not-listed',
      logicalId: c.cpuId === 0 ? 0 : null,
      reason: '',
    }));
  }

  /** Time since bring-up began, ns. */
  get sinceNs(): number {
    return this.kernel.nowNs - this.startNs;
  }

  note(message: string): void {
    this.log.push(`[${(this.sinceNs / 1e6).toFixed(3)} ms] ${message}`);
  }

  /** The AP is given up: logged, its frames freed, boot goes on (HW-2). */
  fail(cpu: number, reason: string): void {
    const rec = this.records[cpu]!;
    rec.status = 'failed';
    rec.reason = reason;
    this.note(`CPU ${cpu} (APIC id ${rec.apicId}) failed to boot: ${reason}; skipped`);
    const frames = this.frames.get(cpu);
    if (frames === undefined) return;
    const memory = this.kernel.board.memory;
    for (const f of [frames.pcr >>> 12, ...frames.stack]) memory.freeFrame(f);
    this.framesFreed += 1 + frames.stack.length;
    this.frames.delete(cpu);
  }
}
