/**
 * Kernel threads that hold donating MCS locks across preemption points (SCHED-10's inversion,
 * `[kernel] lock_demo`): where a kernel lock holder can be preempted, and so where donation
 * matters. The kernel's own spinlocks are held with interrupts off and never across a switch
 * (kernel frames take no interrupt until an interrupt window, and none of them schedules with
 * a lock held), so a holder of one always runs until it unlocks and donation could change no
 * pick: they do not donate. A lock held across `preemptPoint` (an interrupt window, then
 * schedule() if a reschedule is due: Linux's cond_resched under CONFIG_PREEMPT, or a
 * PREEMPT_RT spinlock_t, which is an rt_mutex) can have its holder preempted, and these do.
 *
 * The actors (SCHED_FIFO kernel threads, each pinned): `low` (FIFO 10, CPU 0) takes L1 and then
 * starts the others; `hog` (FIFO 50, CPU 0) computes `hog_ms` in preemptible chunks; with chain 2
 * `mid` (FIFO 20, CPU 2) takes L2 and spins for L1; `high` (FIFO 90, CPU 1) arrives after
 * `high_after_us` and spins for the top lock (L2 with chain 2, else L1). The hog preempts low at
 * low's first preemption point. Chain donation walks high -> L2 -> mid -> L1 -> low and boosts
 * low above the hog: high waits for the rest of low's hold (bounded). One-level donation boosts
 * only mid, which is spinning anyway: low waits for the hog to end (unbounded, as long as it runs).
 */
import { SCHED_FIFO } from '../../abi/sched.ts';
import { TraceKind } from '../../abi/trace.ts';
import { FrameKind, makeFrame } from '../../hw/context.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { IRQ_WINDOW, type KernelGen, lock, spend, unlock } from '../../hw/effects.ts';
import { SpinLock } from '../../hw/spinlock.ts';
import type { Kernel } from '../kernel.ts';
import { threadExit } from '../proc.ts';
import type { Process } from '../process.ts';
import { schedule } from '../sched/switch.ts';
import { isThread, type Thread } from '../thread.ts';
import { Donation, type DonationLock, type DonationMode, type DonationTask } from './donation.ts';
import { type DonationHost, McsLock } from './mcs-lock.ts';

export interface LockDemoOptions {
  /** 1: high waits for low's lock; 2: high waits for mid's, mid for low's. */
  chain: 1 | 2;
  holdUs: number;
  hogMs: number;
  highAfterUs: number;
}

export interface DonationOptions {
  mode: DonationMode;
  maxDepth: number;
}

/** Kernel work between two preemption points of the demo's threads (ns). */
const CHUNK_NS = 50_000;
/** What high and mid do holding their locks (ns). */
const CRITICAL_NS = 1_000;

/** An interrupt window, then the switch a pending reschedule asks for (cond_resched). */
export function* preemptPoint(k: Kernel, cpu: Cpu): KernelGen<void> {
  yield IRQ_WINDOW;
  if (k.needResched[cpu.id] === 1) yield* schedule(k, cpu);
}

/** The kernel side of donation: the running thread, and the scheduler told of new boosts. */
export function donationHost(k: Kernel, options: DonationOptions): DonationHost {
  return {
    donation: new Donation(options.mode, options.maxDepth),
    taskOn: (cpuId) => {
      const ctx = k.cpus[cpuId]!.current;
      return isThread(ctx) ? ctx : null;
    },
    *boostsChanged(cpuId: number, tasks: readonly DonationTask[]): KernelGen<void> {
      const cpu = k.cpus[cpuId]!;
      for (const t of tasks) {
        const thread = t as Thread;
        k.stats.lockBoostChanges++;
        k.board.trace.mix(
          TraceKind.LockBoost,
          thread.id,
          Number.isFinite(thread.lockBoost) ? thread.lockBoost : -1,
        );
        yield* k.policy.prioChanged(cpu, thread);
      }
    },
    cycle: (cpuId: number, _lock: DonationLock) => {
      k.stats.lockCycles++;
      k.board.trace.mix(TraceKind.LockCycle, cpuId, k.stats.lockCycles);
    },
  };
}

interface Demo {
  readonly options: LockDemoOptions;
  readonly process: Process;
  readonly l1: SpinLock;
  readonly l2: SpinLock;
}

function* spawnKthread(
  k: Kernel,
  cpu: Cpu,
  d: Demo,
  rtPriority: number,
  onCpu: number,
  body: (t: Thread) => KernelGen<void>,
): KernelGen<void> {
  const t = k.createThread(d.process);
  if (t === null) throw new Error('lock_demo: no thread for a kernel thread (limits.threads)');
  t.policy = SCHED_FIFO;
  t.rtPriority = rtPriority;
  t.affinity = new Uint8Array(k.cpus.length);
  t.affinity[onCpu] = 1;
  t.frames.push(makeFrame(body(t), FrameKind.Kernel));
  yield* k.policy.start(cpu, t);
}

function* low(k: Kernel, d: Demo, t: Thread): KernelGen<void> {
  const cpu = k.cpus[0]!;
  yield lock(d.l1);
  yield* spawnKthread(k, cpu, d, 50, 0, (h) => hog(k, d, h));
  if (d.options.chain === 2) yield* spawnKthread(k, cpu, d, 20, 2, (m) => mid(k, d, m));
  yield* spawnKthread(k, cpu, d, 90, 1, (h) => high(k, d, h));
  const chunks = Math.ceil((d.options.holdUs * 1000) / CHUNK_NS);
  for (let i = 0; i < chunks; i++) {
    yield spend(CHUNK_NS);
    yield* preemptPoint(k, cpu);
  }
  yield unlock(d.l1);
  yield* threadExit(k, cpu, t);
}

function* hog(k: Kernel, d: Demo, t: Thread): KernelGen<void> {
  const cpu = k.cpus[0]!;
  const chunks = Math.ceil((d.options.hogMs * 1_000_000) / CHUNK_NS);
  for (let i = 0; i < chunks; i++) {
    yield spend(CHUNK_NS);
    yield* preemptPoint(k, cpu);
  }
  yield* threadExit(k, cpu, t);
}

function* mid(k: Kernel, d: Demo, t: Thread): KernelGen<void> {
  const cpu = k.cpus[2]!;
  yield lock(d.l2);
  yield lock(d.l1);
  yield spend(CRITICAL_NS);
  yield unlock(d.l1);
  yield unlock(d.l2);
  yield* threadExit(k, cpu, t);
}

function* high(k: Kernel, d: Demo, t: Thread): KernelGen<void> {
  const cpu = k.cpus[1]!;
  yield spend(d.options.highAfterUs * 1000);
  const top = d.options.chain === 2 ? d.l2 : d.l1;
  const fromNs = k.nowNs;
  yield lock(top);
  k.stats.lockDemoHighWaitNs = k.nowNs - fromNs;
  k.stats.lockDemoHighLocked++;
  yield spend(CRITICAL_NS);
  yield unlock(top);
  yield* threadExit(k, cpu, t);
}

/** Boot work: the demo's locks and its first thread (low), in a process of the root's. */
export function startLockDemo(options: LockDemoOptions, donation: DonationOptions) {
  return function* (k: Kernel, bsp: Cpu): KernelGen<void> {
    const process = k.createProcess({ name: 'kthreads', main: noMain }, k.root);
    if (process === null) throw new Error('lock_demo: no process for the kernel threads');
    const host = donationHost(k, donation);
    const mem = k.lockWords;
    if (mem === null) throw new Error('lock_demo needs [kernel] locks = "mcs"');
    const make = (name: string) => {
      const l = new SpinLock(name);
      l.queued = new McsLock(mem, k.cpus.length, k.board.trace, name, host);
      return l;
    };
    const d: Demo = { options, process, l1: make('demo-L1'), l2: make('demo-L2') };
    yield* spawnKthread(k, bsp, d, 10, 0, (t) => low(k, d, t));
  };
}

function* noMain(): Generator<never, number, unknown> {
  throw new Error('lock_demo: a kernel thread entered user mode');
}
