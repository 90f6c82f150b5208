/**
 * The timeline recorder: the kernel's trace sink (kernel/trace-sink.ts) that writes the Perfetto
 * trace: CPU tracks (cpu-slices.ts), thread-state tracks (thread-states.ts), wakeup flows,
 * counters (counters.ts), interrupt and IPI instants, and markers. docs/trace.md lists every
 * event, track and argument; `smpsim trace-check` (check.ts) validates a file against them.
 *
 * It only reads kernel state: a run traced has the trace hash of the same run untraced.
 */
import type { ExecContext } from '../../hw/context.ts';
import type { Cpu } from '../../hw/cpu.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import type { FairEntity } from '../../kernel/sched/fair/entity.ts';
import type { KernelTraceSink } from '../../kernel/trace-sink.ts';
import { effectivePrio, IdleContext, isThread, type Thread, ThreadState } from '../../kernel/thread.ts';
import { SCHED_POLICY_NAMES } from '../../abi/sched.ts';
import { CounterTracks } from './counters.ts';
import { type CpuSlice, CpuSlices } from './cpu-slices.ts';
import { sampleMachineCounters } from './machine-counters.ts';
import { type StateArgs, ThreadStates } from './thread-states.ts';
import { cpuTid, irqTid, MACHINE_PID, MARKER_TID, machineMetadata } from './tracks.ts';
import type { TraceWindow } from './window.ts';
import { type TraceWriter, us } from './writer.ts';

export class TimelineRecorder implements KernelTraceSink {
  readonly #k: Kernel;
  readonly #w: TraceWriter;
  readonly window: TraceWindow;
  readonly cpus: CpuSlices;
  readonly states: ThreadStates;
  readonly counters: CounterTracks;
  /** Per CPU, interrupts taken so far (a counter track). */
  readonly interrupts: Float64Array;
  /** IPIs sent and not yet taken, by target * 256 + vector: their senders. */
  readonly #ipiSenders = new Map<number, number[]>();
  #phase: 'before' | 'inside' | 'after' = 'before';
  slices = 0;

  constructor(kernel: Kernel, writer: TraceWriter, window: TraceWindow) {
    this.#k = kernel;
    this.#w = writer;
    this.window = window;
    const cpus = kernel.board.cpus;
    for (const e of machineMetadata(cpus.length)) writer.event(e, 0, true);
    this.counters = new CounterTracks((e, ns) => this.#timed(e, ns));
    this.interrupts = new Float64Array(cpus.length);
    this.cpus = new CpuSlices(
      cpus.map((c) => c.current),
      { write: (s, end) => this.#cpuSlice(s, end), flow: (a, b, ns) => writer.writeAll([a, b], ns) },
      window,
    );
    this.states = new ThreadStates({
      slice: (t, name, args, start, end) => this.#stateSlice(t, name, args, start, end),
      metadata: (e) => writer.event(e, kernel.nowNs, true),
    });
    this.#step(kernel.nowNs);
  }

  switched(cpu: Cpu, prev: ExecContext, next: ExecContext): void {
    const now = this.#step(this.#k.nowNs);
    const end = isThread(prev) ? endState(prev) : '';
    const slice = this.cpus.switchTo(cpu.id, next, now, end);
    if (isThread(prev)) this.#leftCpu(prev, now);
    if (isThread(next)) {
      this.states.onCpu(next, cpu.id, now);
      const track = this.states.track(next, now);
      if (track.wake !== null) {
        slice.wake = track.wake;
        track.wake.runSlice = slice;
        track.wake = null;
      }
    }
    sampleMachineCounters(this, this.#k, cpu.id, now, isThread(prev) && prev.state === ThreadState.Blocked);
  }

  woke(cpu: Cpu, t: Thread): void {
    const now = this.#step(this.#k.nowNs);
    if (t.running) return; // woken before it left its CPU: it never stopped running
    const waker = cpu.current;
    const wakerTid = isThread(waker) ? waker.id : -1;
    this.states.track(t, now).wake = this.cpus.wake(cpu.id, wakerTid, now);
    this.states.enter(t, now, 'Runnable', {
      ...queuedOn(this.#k, t),
      woken_by_tid: wakerTid,
      woken_by_cpu: cpu.id,
    });
    sampleMachineCounters(this, this.#k, -1, now, true);
  }

  timedOut(t: Thread): void {
    const now = this.#step(this.#k.nowNs);
    this.states.track(t, now).wake = null;
    this.states.enter(t, now, 'Runnable', { ...queuedOn(this.#k, t), woken_by: 'timeout' });
  }

  syscallEntered(t: Thread, nr: number): void {
    this.states.syscall(t, nr, this.#step(this.#k.nowNs));
  }

  syscallLeft(t: Thread): void {
    this.states.syscall(t, null, this.#step(this.#k.nowNs));
  }

  interrupted(cpu: Cpu, vector: number): void {
    const now = this.#step(this.#k.nowNs);
    const key = cpu.id * 256 + vector;
    const senders = this.#ipiSenders.get(key) ?? [];
    this.#ipiSenders.delete(key);
    const name = this.#k.irq.name(vector) || `vector 0x${vector.toString(16)}`;
    const args = {
      vector,
      cpu: cpu.id,
      source: senders.length === 0 ? 'device or local' : `IPI from CPU ${senders.join(',')}`,
    };
    this.#timed(
      { name, cat: 'irq', ph: 'i', s: 't', pid: MACHINE_PID, tid: irqTid(cpu.id), ts: us(now), args },
      now,
    );
    this.interrupts[cpu.id]!++;
    this.counters.sample(`CPU ${cpu.id} interrupts`, 'count', this.interrupts[cpu.id]!, now);
  }

  /** A fixed IPI sent (hw/lapic.ts's observer). */
  ipi(from: number, to: number, vector: number): void {
    const now = this.#step(this.#k.nowNs);
    const key = to * 256 + vector;
    const senders = this.#ipiSenders.get(key);
    if (senders === undefined) this.#ipiSenders.set(key, [from]);
    else if (!senders.includes(from)) senders.push(from);
    const args = { vector, from, to };
    const event = {
      name: `IPI to CPU ${to}`,
      cat: 'ipi',
      ph: 'i',
      s: 't',
      pid: MACHINE_PID,
      tid: irqTid(from),
      ts: us(now),
      args,
    };
    this.#timed(event, now);
  }

  /** Closes every open slice and state at the run's end (`reason`: why it ended). */
  finish(reason: string): void {
    const now = this.#k.nowNs;
    for (const cpu of this.#k.board.cpus) {
      const cur = cpu.current;
      this.cpus.close(cpu.id, now, isThread(cur) ? 'running' : '');
    }
    this.states.finish(now);
    this.#step(now);
    this.marker(`run end: ${reason}`, now);
  }

  /** A global instant on the markers track. */
  marker(name: string, atNs: number): void {
    const event = { name, cat: 'marker', ph: 'i', s: 'g', pid: MACHINE_PID, tid: MARKER_TID, ts: us(atNs) };
    this.#timed(event, atNs);
  }

  /** A timed event (instant, counter): written only inside the window. */
  #timed(event: object, atNs: number): boolean {
    if (atNs < this.window.startNs || atNs > this.window.endNs) return false;
    return this.#w.event(event, atNs);
  }

  /** Notes the window's edges as time passes: markers, and a full set of counters at its start. */
  #step(nowNs: number): number {
    if (this.#phase === 'before' && nowNs >= this.window.startNs) {
      this.#phase = 'inside';
      if (this.window.startNs > 0) {
        this.marker('trace window start', this.window.startNs);
        this.counters.reset();
      }
      this.marker('run start', 0);
    } else if (this.#phase === 'inside' && nowNs > this.window.endNs) {
      this.#phase = 'after';
      this.marker('trace window end', this.window.endNs);
    }
    return nowNs;
  }

  #leftCpu(t: Thread, now: number): void {
    if (t.state === ThreadState.Dead) this.states.exit(t, now);
    else if (t.state === ThreadState.Blocked) {
      this.states.enter(t, now, `Blocked (${t.blockedWhat || 'unknown'})`, {
        on: t.blockedOn,
        cpu: t.lastCpu,
      });
    } else this.states.enter(t, now, 'Runnable', { ...queuedOn(this.#k, t), preempted: 1 });
  }

  #clip(startNs: number, endNs: number): [number, number] | null {
    const start = Math.max(startNs, this.window.startNs);
    const end = Math.min(endNs, this.window.endNs);
    return end > start ? [start, end] : null;
  }

  #cpuSlice(s: CpuSlice, endNs: number): boolean {
    const span = this.#clip(s.startNs, endNs);
    if (span === null) return false;
    const event = {
      ...sliceName(s.ctx),
      ph: 'X',
      pid: MACHINE_PID,
      tid: cpuTid(s.cpuId),
      ts: us(span[0]),
      dur: us(span[1] - span[0]),
      args: sliceArgs(s),
    };
    const ok = this.#w.event(event, endNs);
    if (ok) this.slices++;
    return ok;
  }

  #stateSlice(t: Thread, name: string, args: StateArgs, startNs: number, endNs: number): boolean {
    const span = this.#clip(startNs, endNs);
    if (span === null) return false;
    const dur = us(span[1] - span[0]);
    const event = {
      name,
      cat: 'thread_state',
      ph: 'X',
      pid: t.process.pid,
      tid: t.id,
      ts: us(span[0]),
      dur,
      args,
    };
    const ok = this.#w.event(event, endNs);
    if (ok) this.slices++;
    return ok;
  }
}

/** How a thread leaves a CPU, as sched_switch's prev_state: R preempted, S blocked, X exited. */
function endState(t: Thread): string {
  if (t.state === ThreadState.Dead) return 'X';
  if (t.state === ThreadState.Blocked) return `S ${t.blockedOn}`;
  return 'R';
}

function sliceName(ctx: ExecContext): { name: string; cat: string } {
  if (isThread(ctx)) return { name: `${ctx.process.image.name} ${ctx.id}`, cat: 'sched' };
  return ctx instanceof IdleContext ? { name: 'idle', cat: 'idle' } : { name: 'kernel', cat: 'kernel' };
}

function sliceArgs(s: CpuSlice): Record<string, string | number> {
  const t = s.ctx;
  if (!isThread(t)) return { cpu: s.cpuId };
  const args: Record<string, string | number> = {
    tid: t.id,
    pid: t.process.pid,
    comm: t.process.image.name,
    prio: effectivePrio(t),
    policy: SCHED_POLICY_NAMES[t.policy] ?? String(t.policy),
    end_state: s.endState,
  };
  const wake = s.wake;
  if (wake !== null) {
    args.wake_latency_ns = s.startNs - wake.wakeNs;
    args.waker_tid = wake.wakerTid;
    args.waker_cpu = wake.wakerCpu;
  }
  return args;
}

/** The CPU a runnable thread is queued on, where the policy keeps per-CPU queues (fair's rq). */
function queuedOn(k: Kernel, t: Thread): StateArgs {
  if (k.policy.name === 'fair' && t.sched !== null) {
    const e = t.sched as FairEntity;
    if (e.onRq) return { queued_cpu: e.rq };
  }
  return { last_cpu: t.lastCpu };
}
