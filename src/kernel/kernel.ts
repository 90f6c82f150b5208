/**
 * The kernel: contexts and processes, the active scheduling policy, futexes, and the hooks it
 * installs on every CPU (system calls, interrupts, guest faults, return to user mode).
 *
 * Why it is about 670 lines, above the house ~400: it is the one object that implements both the
 * CPU's hooks and the scheduler's host (SchedHost), and the blocking, timeout and wakeup paths
 * here share its private tables (threads, faults, the run's end) with those hooks. What needs
 * none of that has left: stats.ts, invariants.ts, deadlock.ts, cpu-state.ts, irq.ts,
 * sched/switch.ts (the switch accounting), hrtimer.ts, uaccess.ts (guest memory, atomics
 * included), mmu.ts and tlb/ (translation and shootdowns; the kernel keeps only their state),
 * discover.ts (the firmware), boot/ (bring-up). Issues 18-20, 23 and 24 added ~70 lines of state
 * handles and their construction (descriptor tables, devio, hotplug, the capring personality,
 * the context pool, the idle exits); their code lives in fd/, devio/, hotplug.ts, capring/,
 * context-pool.ts and idle-exit.ts;
 * releaseProcess (issue 19, ~15 lines) and forgetThread with its switch hook (a dead thread's
 * release, whose rule is in thread-release.ts) stay because they edit the private thread table.
 * Next out: those handles' construction into one subsystems record built from the options, and
 * the timed-block bookkeeping beside timeout.ts.
 */
import { ContextPool } from './context-pool.ts';
import { type ProcOptions, procFeaturesEnv } from './proc-options.ts';
import type { AtomicEffect, SyscallEffect } from '../abi/effects.ts';
import type { ProgramImage, ThreadEntry, ThreadReturnHook } from '../abi/guest.ts';
import { SIGABRT, SYSCALL_NAMES } from '../abi/syscalls.ts';
import { assert, fail } from '../engine/assert.ts';
import { NO_DEADLINE } from '../engine/deadline.ts';
import type { Board } from '../hw/board.ts';
import { type LapicPeriods, TscDeadlineTimer } from '../hw/timer.ts';
import { VEC_HRTIMER } from '../hw/vectors.ts';
import { type ExecContext, FrameKind, makeFrame } from '../hw/context.ts';
import type { Cpu, CpuHooks } from '../hw/cpu.ts';
import { IllegalEffect, type KernelGen } from '../hw/effects.ts';
import { type FutexOptions, FutexTable } from './futex/table.ts';
import { GuestHandle } from './guest-handle.ts';
import { programTimers } from './clockevent.ts';
import { ClockState } from './clock/clock.ts';
import type { Cpufreq } from './cpufreq/cpufreq.ts';
import type { Devio } from './devio/devio.ts';
import { registerKernelVectors } from './interrupts.ts';
import { irqEntry, VectorTable } from './irq.ts';
import { LockOrder } from './lock-order.ts';
import { type KernelLockKind, installMcs } from './locks/mcs-lock.ts';
import { type DonationOptions, type LockDemoOptions, startLockDemo } from './locks/lock-demo.ts';
import type { LockWords } from '../hw/lock-words.ts';
import { deadlockReport } from './deadlock.ts';
import { checkKernelInvariants } from './invariants.ts';
import { killProcess, startMainThread, threadExit } from './proc.ts';
import { KernelCpuState } from './cpu-state.ts';
import { SwitchFaultPlan } from './fault.ts';
import { settleRestart } from './restart.ts';
import { KernelStats } from './stats.ts';
import { deliverable, restoreSavedSigmask, takeSignal } from './signal.ts';
import { Process } from './process.ts';
import type { SchedHost, SchedPolicy } from './sched/policy.ts';
import { idleLoop, schedule } from './sched/switch.ts';
import { ExitStub } from './exit-stub.ts';
import { dispatchSyscall } from './syscall.ts';
import { coldSyscall, IdleExitState } from './idle-exit.ts';
import { Hrtimers } from './hrtimer.ts';
import { REALTIME_BOOT_NS } from './time.ts';
import { NO_TIMEOUT, type Timeout } from './timeout.ts';
import { nsToNumber } from './timespec.ts';
import { IdleContext, isThread, Thread, ThreadState } from './thread.ts';
import { guestAtomic32 } from './uaccess.ts';
import { AddressSpace, GuestFault } from './vm.ts';
import { Mmu } from './mmu.ts';
import { configureMm, MM_OPTIONS_DEFAULT, type MmOptions } from './mm-options.ts';
import { TLB_OPTIONS_DEFAULT, type TlbOptions, TlbState } from './tlb/state.ts';
import { watchStaleEntries } from './tlb/stale.ts';
import { TraceKind } from '../abi/trace.ts';
import { type KernelTraceSink, tracedSyscall } from './trace-sink.ts';
import type { FirmwareTopology, ParserName } from './acpi/types.ts';
import { bspBoot, onlineMask, prepareBringUp } from './boot/bringup.ts';
import type { BootOptions } from './boot/plan.ts';
import type { BootRun } from './boot/run-state.ts';
import { installTicket } from './locks/ticket-lock.ts';
import { bootAtomic } from './boot/words.ts';
import { discoverMachine } from './discover.ts';
import type { KernelTopology } from './topology.ts';
import type { FdOptions } from './fd/mode.ts';
import { ownerLatchMask } from './sched/owner-latch.ts';
import type { KernelAbi } from '../abi/capring.ts';
import type { CapringOptions } from './capring/state.ts';
import { HotplugState } from './hotplug.ts';
import { type ReleasedThread, releaseIfExited } from './thread-release.ts';
import type { OrphanMode } from './orphans.ts';

export interface KernelOptions {
  threadsMax: number;
  /** Check kernel invariants after every event and at every context switch (tests turn this on). */
  checkInvariants: boolean;
  /** The futex table's mode and shards; the baseline's (redox, one global lock) by default. */
  futex?: FutexOptions;
  /**
   * Fault injection (SCHED-9): the ordinals (1-based, counted over all CPUs) of the calls to
   * schedule() in which a kernel fault is raised while the switch lock is held.
   */
  injectSwitchFaults?: readonly number[];
  /**
   * The root process's environment (envp); every spawned process inherits its parent's. Guest
   * libc reads its configuration here, as a real one reads LD_LIBRARY_PATH or GLIBC_TUNABLES.
   */
  env?: Readonly<Record<string, string>>;
  /**
   * High-resolution timers (hrtimer.ts): timed waits end at their expiry (plus timer slack)
   * rather than at the next tick or switch. No default here: the machine's policy preset says
   * (machine/defaults.ts POLICY_PRESETS: the improved kernel, fair, has them; dwrr and redbear not).
   */
  hrtimers: boolean;
  /** TLB shootdown protocol, PCID, timeout and fault injection (tlb/state.ts); ideal by default. */
  tlb?: TlbOptions;
  /** Demand paging and copy-on-write fork (mm-options.ts); eager and copy by default. */
  mm?: MmOptions;
  /** The firmware-table parser (HW-14): `redox` (128 CPUs) or `hardened` (256, the default). */
  firmwareParser?: ParserName;
  /** Simulate AP bring-up (kernel/boot/) instead of starting every CPU at once. */
  bringUp?: BootOptions;
  /** Thread and process creation (proc-options.ts, issue 24); absent: Redox's proc scheme as it is. */
  proc?: ProcOptions;
  /** Descriptor semantics (kernel/fd/mode.ts): redox or linux; by default the futex ABI's. */
  fd?: FdOptions;
  /** The kernel personality (issue 20): `redox` (the default) or `capring` (kernel/capring/). */
  abi?: KernelAbi;
  /** The capring personality's ring mode and overflow bound (kernel/capring/state.ts). */
  capring?: Partial<CapringOptions>;
  /**
   * RING-5's first multi-CPU step (issue 20): `latch` hands scheduling to one AP for good (a
   * one-way owner latch: the BSP starts the root and then idles, and every context stays on the
   * owner); `percpu` (the default) is the policy's per-CPU run queues with reschedule IPIs.
   */
  schedOwner?: 'latch' | 'percpu';
  /**
   * The kernel's spinlocks (SCHED-10): `tas`, the CAS word of hw/spinlock.ts (a test-and-set
   * lock whose winner among spinners is drawn), by default; `mcs`, locks/mcs-lock.ts's queue.
   */
  locks?: KernelLockKind;
  /** Donation of the donating MCS locks (`[kernel] donation`, `donation_max_depth`): chain, 4. */
  donation?: DonationOptions;
  /** Kernel threads holding donating MCS locks across preemption points (`[kernel] lock_demo`). */
  lockDemo?: LockDemoOptions;
  /** Where an exiting parent's children go (orphans.ts): `redox`, the default, or `linux`. */
  orphans?: OrphanMode;
}

export interface GuestFaultRecord {
  pid: number;
  tid: number;
  timeNs: number;
  signal: number;
  message: string;
  /** For a memory fault: si_addr (the faulting address) and si_code (abi/signal.ts); else absent. */
  addr?: number;
  code?: number;
}

/** Why a run ended before its root process exited. */
export class KernelStop extends Error {
  override name = 'KernelStop';
}

/** Called at every context switch (the trace exporter and tests listen). */
export type SwitchListener = (cpuId: number, prev: ExecContext, next: ExecContext) => void;

export class Kernel implements SchedHost {
  readonly board: Board;
  readonly options: KernelOptions;
  /** What the firmware tables say (discover.ts), and the machine and CPUs the kernel takes from them. */
  readonly firmware: FirmwareTopology;
  readonly topology: KernelTopology;
  readonly cpus: readonly Cpu[];
  /** The simulated bring-up, when there is one (its report: boot/bringup.ts `bootReport`). */
  bringUp: BootRun | null = null;
  readonly needResched: Uint8Array;
  readonly processes = new Map<number, Process>();
  /** Killed processes that have left the table (releaseProcess), for the run's outcome. */
  readonly killedReleased: { pid: number; name: string; killedBy: number }[] = [];
  /** Dead non-leader threads that have left the thread table (thread-release.ts), by tid. */
  readonly releasedThreads = new Map<number, ReleasedThread>();
  readonly futex: FutexTable;
  /** The MCS locks' words (`locks = "mcs"`), else null. */
  lockWords: LockWords | null = null;
  readonly frameRefs = new Map<number, number>();
  /** Page tables, TLBs, each CPU's CR3 and the flushes (mmu.ts). */
  readonly mmu: Mmu;
  /** The shootdown protocol's mailboxes and counters (tlb/state.ts). */
  readonly tlb: TlbState;
  /** Interrupt handlers by vector; drivers' vectors will register here too. */
  readonly irq = new VectorTable();
  /** CLOCK_REALTIME minus CLOCK_MONOTONIC, exact: boot is at a real date (time.ts). */
  realtimeOffsetNs = REALTIME_BOOT_NS;
  /** Threads blocked with a realtime deadline (`realtimeDeadlineNs`), re-armed when the clock is set. */
  readonly realtimeWaiters = new Set<Thread>();
  /** Counters, per-CPU switch and migration counts, system calls, wakeup latencies (stats.ts). */
  readonly stats: KernelStats;
  /** The online-CPU mask and what CPU offline/online did (hotplug.ts). */
  readonly hotplug: HotplugState;
  /** Per-CPU switch and preemption state (cpu-state.ts). */
  readonly percpu: KernelCpuState;
  /** Per-CPU idle periods and the cold start owed after a deep one (idle-exit.ts). */
  readonly idleExit: IdleExitState;
  /** The clocks as the kernel knows them: the calibrated TSC and LAPIC rates (clock/clock.ts). */
  readonly clock = new ClockState();
  /** CPU frequency policies and their governor (cpufreq/cpufreq.ts), or null: fixed clocks. */
  cpufreq: Cpufreq | null = null;
  /** PCI functions, irq handles and DMA for userspace drivers (devio/devio.ts), or null: no devices. */
  devio: Devio | null = null;
  /** Kernel code the BSP runs at boot before it starts the root process (calibration, bring-up). */
  readonly bootWork: ((k: Kernel, bsp: Cpu) => KernelGen<void>)[] = [];
  /** The nominal tick period: the policies count their quanta in it. */
  tickPeriodNs = 0;
  /** The TSC-deadline timer when the kernel runs tickless (HW-12), else null. */
  deadlineTimer: TscDeadlineTimer | null = null;
  /** The periodic LAPIC timer's per-CPU periods, when the boot calibrates it (`[clock]`). */
  lapicPeriods: LapicPeriods | null = null;
  /** The improved kernel's per-CPU hrtimer queues and their one-shot (hrtimer.ts), else null. */
  hrtimers: Hrtimers | null = null;
  /** When each CPU's current deadline was programmed. */
  readonly deadlineProgrammedNs: Float64Array;
  /** Which schedule() calls take an injected kernel fault (SCHED-9), and the calls so far. */
  readonly switchFaultPlan: SwitchFaultPlan;
  /** Called at every context switch, in the order added. */
  readonly switchListeners: SwitchListener[] = [];
  /** The timeline exporter's observer (trace-sink.ts), or null: no trace, one null check a site. */
  traceSink: KernelTraceSink | null = null;
  /** Programs execve and posix_spawn find by path (exec.ts); the machine registers /bin. */
  readonly executables = new Map<string, ProgramImage>();
  /** Pre-created contexts per CPU (context-pool.ts); its target is 0 without `proc.contextPool`. */
  readonly contextPool: ContextPool;
  /** The service init, the reaper of orphans no subreaper takes (orphans.ts); null: the root. */
  childReaper: Process | null = null;
  /** The root process's environment: `options.env` and what the kernel offers (proc-options.ts). */
  readonly #rootEnv: Readonly<Record<string, string>>;
  #policy!: SchedPolicy;
  readonly #idle: IdleContext[] = [];
  readonly #threads = new Map<number, Thread>();
  readonly #faults: GuestFaultRecord[] = [];
  #root: Process | null = null;
  #finished = false;
  #stopReason: string | null = null;
  #nextPid = 1;
  #nextTid = 1;
  #liveThreads = 0;

  constructor(board: Board, options: KernelOptions) {
    this.board = board;
    this.options = options;
    this.futex = new FutexTable(options.futex ?? { mode: 'redox', shards: 1 });
    ({
      firmware: this.firmware,
      topology: this.topology,
      cpus: this.cpus,
    } = discoverMachine(board, options.firmwareParser ?? 'hardened'));
    const tlb = options.tlb ?? TLB_OPTIONS_DEFAULT;
    const speeds = board.cpus.map((c) => c.cyclesPerNs);
    this.mmu = new Mmu(
      board.pageTables,
      board.tlbs,
      tlb.pcid,
      (id) => this.topology.memoryNodeOf(id),
      speeds,
    );
    configureMm(this.mmu, options.mm ?? MM_OPTIONS_DEFAULT, board.costs);
    this.tlb = new TlbState(board.cpus.length, tlb);
    if (tlb.protocol !== 'ideal') watchStaleEntries(this);
    const n = this.cpus.length;
    this.needResched = new Uint8Array(n);
    this.stats = new KernelStats(n);
    this.percpu = new KernelCpuState(n);
    this.idleExit = new IdleExitState(n);
    this.hotplug = new HotplugState(n);
    this.deadlineProgrammedNs = new Float64Array(n);
    this.switchFaultPlan = new SwitchFaultPlan(options.injectSwitchFaults ?? []);
    this.contextPool = new ContextPool(n, options.proc?.contextPool ?? 0);
    this.#rootEnv = { ...(options.env ?? {}), ...procFeaturesEnv(options.proc) };
    registerKernelVectors(this.irq);
    if (options.checkInvariants) board.engine.observe(() => checkKernelInvariants(this));
  }

  /** The scheduling policy, set once at boot. */
  get policy(): SchedPolicy {
    return this.#policy;
  }

  /** Each CPU's idle context, by CPU id. */
  get idle(): readonly IdleContext[] {
    return this.#idle;
  }

  /**
   * The thread table by tid: live threads, and dead ones not yet released (a group leader until
   * its process is released, a thread not yet switched out; thread-release.ts).
   */
  get threads(): ReadonlyMap<number, Thread> {
    return this.#threads;
  }

  /** Guest faults that killed a process, in order. */
  get faults(): readonly GuestFaultRecord[] {
    return this.#faults;
  }

  /** The root process, whose exit ends the run. */
  get root(): Process | null {
    return this.#root;
  }

  /** Whether the root process exited. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Why the run stopped abnormally (a deadlock), or null. */
  get stopReason(): string | null {
    return this.#stopReason;
  }

  get nowNs(): number {
    return this.board.engine.nowNs;
  }

  /** Whether a switch or tick must program a one-shot timer (tickless, or hrtimers). */
  get programsTimers(): boolean {
    return this.deadlineTimer !== null || this.hrtimers !== null;
  }

  /** Installs the hooks and idle contexts on every CPU, starts the root process, runs the CPUs. */
  boot(policy: SchedPolicy, rootImage: ProgramImage, rootArg: unknown): void {
    this.#policy = policy;
    const locks = [...policy.locks(), ...this.futex.locks()];
    // Lockdep in tests: every blocking acquisition checked against the lock order.
    if (this.options.checkInvariants) new LockOrder(locks).install();
    if (this.options.locks === 'mcs') this.lockWords = installMcs(locks, this.cpus.length, this.board.trace);
    if (this.options.locks === 'ticket') this.lockWords = installTicket(locks);
    const demo = this.options.lockDemo;
    if (demo !== undefined)
      this.bootWork.push(startLockDemo(demo, this.options.donation ?? { mode: 'chain', maxDepth: 4 }));
    if (this.options.hrtimers) this.#startHrtimers();
    const hooks = this.#hooks();
    for (const cpu of this.cpus) {
      const idle = new IdleContext(cpu.id);
      idle.frames.push(makeFrame(idleLoop(this, cpu), FrameKind.Kernel));
      this.#idle.push(idle);
      cpu.hooks = hooks;
      cpu.current = idle;
    }
    const plan = this.options.bringUp;
    const run = plan === undefined ? null : prepareBringUp(this, plan); // before any frame is taken
    const root = this.createProcess(rootImage, null);
    assert(root !== null, 'kernel: no memory for the root process');
    this.#root = root;
    const bsp = this.cpus[0]!;
    if (run !== null) {
      // Simulated bring-up: only the BSP runs; APs start at their SIPI. The root may run only on
      // the CPUs that came up, and its children inherit that mask (cpu_online_mask, HW-2).
      this.bringUp = run;
      const mask = () =>
        run.records.every((r) => r.status === 'bsp' || r.status === 'online') ? null : onlineMask(run);
      const then = () => startMainThread(this, bsp, root, rootArg, mask());
      bsp.current.frames.push(makeFrame(bspBoot(run, bsp, then), FrameKind.Kernel));
      // Clock calibration runs on the BSP before the APs are started, as Linux's tsc_init
      // precedes smp_init.
      this.#pushBootWork(bsp);
      bsp.start();
      return;
    }
    // The root's first thread is started from the BSP's boot path, before any CPU runs; CPUs the
    // tables do not name are not started, nor in its mask.
    const mask = this.options.schedOwner === 'latch' ? ownerLatchMask(this) : this.topology.presentMask;
    const starter = startMainThread(this, bsp, root, rootArg, mask);
    bsp.current.frames.push(makeFrame(starter, FrameKind.Kernel));
    this.#pushBootWork(bsp);
    for (const cpu of this.cpus) if (this.topology.cpus[cpu.id]!.present) cpu.start();
  }

  /** Boot work (clock calibration) above the BSP's first frame, last first, so it runs in order. */
  #pushBootWork(bsp: Cpu): void {
    for (const work of [...this.bootWork].reverse())
      bsp.current.frames.push(makeFrame(work(this, bsp), FrameKind.Kernel));
  }

  /**
   * The hrtimer queues, on the tickless TSC deadline when there is one, else on a one-shot of
   * their own (the LAPIC in TSC-deadline mode, vector VEC_HRTIMER) beside the periodic tick.
   */
  #startHrtimers(): void {
    const shared = this.deadlineTimer;
    const device = shared ?? new TscDeadlineTimer(this.board.engine, this.cpus, VEC_HRTIMER);
    this.hrtimers = new Hrtimers(this.cpus.length, device, shared !== null);
  }

  createProcess(image: ProgramImage, parent: Process | null): Process | null {
    const pid = this.#nextPid++;
    const vm = new AddressSpace(this.board.memory, this.frameRefs, this.mmu, pid);
    const p = new Process(pid, parent, image, vm, parent?.env ?? this.#rootEnv);
    p.cpuOnline = this.hotplug.online;
    p.uid = parent?.uid ?? 0; // a child runs as its parent's user (SCHED-11 permission checks)
    p.ruid = parent?.ruid ?? 0;
    p.suid = parent?.suid ?? 0;
    parent?.vm.inheritShared(vm);
    parent?.children.push(p);
    if (image.childReaper === true) this.childReaper ??= p;
    this.processes.set(p.pid, p);
    this.stats.processesSpawned++;
    return p;
  }

  /**
   * A reaped process leaves the process and thread tables and its parent's children, as Linux's
   * release_task (kernel/exit.c); pids and tids only grow, so none is reused, before or after.
   * The root's children stay: they are the harness's workload table, read after the run (an
   * orphan it adopted is no workload: it goes, orphans.ts).
   */
  releaseProcess(p: Process): void {
    if (p.parent === null || (p.parent === this.#root && !p.adopted)) return;
    if (p.killedBy !== 0) this.killedReleased.push({ pid: p.pid, name: p.image.name, killedBy: p.killedBy });
    this.processes.delete(p.pid);
    const at = p.parent.children.indexOf(p);
    if (at >= 0) p.parent.children.splice(at, 1);
    for (const t of p.threads) this.#threads.delete(t.id);
  }

  /** A released thread leaves the thread table (thread-release.ts decides when). */
  forgetThread(t: Thread): void {
    this.#threads.delete(t.id);
  }

  createThread(p: Process): Thread | null {
    if (this.#liveThreads >= this.options.threadsMax) {
      this.stats.threadLimitHits++;
      return null;
    }
    const t = new Thread(this.#nextTid++, p);
    p.threads.add(t);
    p.leader ??= t; // startMainThread names it again (execve's new main)
    p.liveThreads++;
    this.#liveThreads++;
    this.#threads.set(t.id, t);
    this.stats.threadsCreated++;
    return t;
  }

  /**
   * Gives a not-yet-started thread its user program: `entry(arg)` returning into an exit stub
   * (the return address a real thread's stack starts with), which exits with its value.
   */
  setEntry(
    t: Thread,
    entry: ThreadEntry,
    arg: unknown,
    processMain: boolean,
    onReturn: ThreadReturnHook | null = null,
  ): void {
    assert(t.frames.length === 0, 'kernel: thread already has an entry');
    const guest = new GuestHandle(t);
    const stub = new ExitStub(guest, processMain, onReturn);
    stub.next(); // run the stub up to where it receives the entry's return value
    t.frames.push(makeFrame(stub, FrameKind.User));
    t.frames.push(makeFrame(entry(guest, arg), FrameKind.User));
    // ret_from_fork: the first thing a new thread runs is a return to user mode.
    t.frames.push(makeFrame(retFromFork(), FrameKind.Kernel));
  }

  /**
   * Blocks the running thread `t` (the caller then releases its locks and schedules), until
   * `timeout` if it has one (NO_TIMEOUT: none). A futex wait also names its word's `addr` and a
   * note (see Thread.blockedOn).
   */
  blockCurrent(
    cpu: Cpu,
    t: Thread,
    reason: string,
    timeout: Timeout,
    addr = -1,
    note = '',
    noteValue = 0,
  ): void {
    assert(cpu.current === t, 'kernel: blocking a thread that is not current');
    t.state = ThreadState.Blocked;
    t.setBlockedOn(reason, addr, note, noteValue);
    t.timedOut = false;
    t.interrupted = false;
    t.wakeNs = NO_DEADLINE;
    if (timeout === NO_TIMEOUT) return;
    t.timerSlackNs = timeout.slackNs;
    if (timeout.realtimeNs !== null) {
      t.realtimeDeadlineNs = timeout.realtimeNs;
      this.realtimeWaiters.add(t);
    }
    // A realtime deadline's monotonic time is taken now: a clock step may have moved it.
    const rt = timeout.realtimeNs;
    this.#armTimeout(cpu.id, t, rt === null ? timeout.monotonicNs : nsToNumber(rt - this.realtimeOffsetNs));
  }

  /** Arms `t`'s timed block for `deadlineNs` (monotonic): an hrtimer, or the policy's timer. */
  #armTimeout(blockCpuId: number, t: Thread, deadlineNs: number): void {
    // A thread blocking on a CPU that just went offline (before its switch moved it): the
    // timer goes to an online CPU, as hrtimer_start picks a base of an online CPU (hotplug.ts).
    const online = this.hotplug.online;
    const cpuId = online[blockCpuId] === 1 ? blockCpuId : online.indexOf(1);
    if (this.hrtimers === null) {
      this.policy.armTimeout(this.cpus[cpuId]!, t, deadlineNs);
      return;
    }
    t.wakeNs = deadlineNs;
    this.hrtimers.arm(cpuId, t, deadlineNs, t.timerSlackNs);
  }

  /**
   * A clock step moved the monotonic expiry of `t`'s realtime-timed block: re-arm it where its
   * timer is (an hrtimer stays on its CPU's queue; that CPU's one-shot is re-programmed by the
   * caller) and return that CPU.
   */
  rearmTimeout(t: Thread, deadlineNs: number): number {
    if (this.hrtimers === null) {
      const cpuId = t.lastCpu >= 0 ? t.lastCpu : 0;
      this.policy.armTimeout(this.cpus[cpuId]!, t, deadlineNs);
      return cpuId;
    }
    t.wakeNs = deadlineNs;
    return this.hrtimers.rearm(t, deadlineNs, t.timerSlackNs);
  }

  /** A timed block ended (woken, timed out, killed): its timer and clock-step entry go. */
  #endTimedBlock(t: Thread): number {
    this.realtimeWaiters.delete(t);
    return this.hrtimers === null ? -1 : this.hrtimers.cancel(t);
  }

  /**
   * The CPU a thread runs on now. Kernel code that called schedule() must ask again: a context
   * can come back on a different CPU than the one it blocked on.
   */
  cpuOf(t: Thread): Cpu {
    if (!t.running) fail(`kernel: context ${t.id} is not running`);
    return this.cpus[t.lastCpu]!;
  }

  /** Makes a blocked thread runnable (Context::unblock) and lets the policy queue it. */
  *wakeThread(cpu: Cpu, t: Thread): KernelGen<boolean> {
    if (t.state !== ThreadState.Blocked) return false;
    t.state = ThreadState.Runnable;
    t.wakeNs = NO_DEADLINE;
    t.wokenAtNs = this.nowNs;
    this.board.trace.mix(TraceKind.Wake, cpu.id, t.id);
    // hrtimer_cancel: a timer cancelled on its own CPU re-programs that CPU's one-shot (remove_hrtimer
    // reprograms only the local base; a remote CPU's device fires and finds nothing due).
    const timerCpu = this.#endTimedBlock(t);
    yield* this.policy.wake(cpu, t);
    this.traceSink?.woke(cpu, t);
    if (timerCpu === cpu.id && !this.hrtimers!.sharedWithTick) yield* programTimers(this, cpu);
    return true;
  }

  expireTimeout(t: Thread): void {
    assert(t.state === ThreadState.Blocked, 'kernel: timeout of a thread that is not blocked');
    t.state = ThreadState.Runnable;
    t.timedOut = true;
    t.wakeNs = NO_DEADLINE;
    t.wokenAtNs = this.nowNs;
    this.#endTimedBlock(t);
    this.board.trace.mix(TraceKind.TimeoutExpired, t.id, 0);
    this.traceSink?.timedOut(t);
  }

  markDead(t: Thread): void {
    if (t.state === ThreadState.Dead) return;
    this.#endTimedBlock(t);
    t.state = ThreadState.Dead;
    t.setBlockedOn('');
    t.process.liveThreads--;
    this.#liveThreads--;
    this.policy.remove(t);
  }

  traceDecision(kind: number, a: number, b: number): void {
    this.board.trace.mix(kind, a, b);
  }

  /** Ends the run with `reason`: a hang the kernel itself sees (K16's unanswered shootdown). */
  stopRun(reason: string): void {
    this.#stopReason ??= reason;
    this.board.engine.stop();
  }

  /** A CPU is about to halt: if every CPU is halting and nothing can ever wake, it is a deadlock. */
  noteHalt(cpu: Cpu): void {
    if (this.finished) return;
    const report = deadlockReport(this, cpu);
    if (report === null) return;
    this.#stopReason = report;
    this.board.engine.stop();
  }

  finish(root: Process): void {
    assert(root === this.root, 'kernel: finish by a process that is not the root');
    this.#finished = true;
    this.board.engine.stop();
  }

  #hooks(): CpuHooks {
    return {
      syscall: (cpu, ctx, effect: SyscallEffect) => {
        const body = coldSyscall(
          this,
          cpu,
          effect.nr,
          dispatchSyscall(this, cpu, ctx as Thread, effect.nr, effect.args),
        );
        const sink = this.traceSink;
        return sink === null ? body : tracedSyscall(sink, ctx as Thread, effect.nr, body);
      },
      interrupt: (cpu, vector) => irqEntry(this, cpu, vector),
      guestFault: (cpu, ctx, error) => this.#onGuestFault(cpu, ctx as Thread, error),
      atomic: (cpu, ctx, effect) =>
        isThread(ctx)
          ? this.#atomic(ctx, effect)
          : bootAtomic(this.board.memory, this.board.startup, cpu, effect),
      memoryNode: (_cpu, ctx, addr, memPermille) => {
        const t = ctx as Thread;
        const node = t.process.vm.nodeOf(addr);
        t.memNode = node;
        t.memPermille = memPermille;
        return node;
      },
      returnToUser: (cpu, ctx) => this.#returnToUser(cpu, ctx),
      onSwitch: (cpu, prev, next) => {
        for (const listener of this.switchListeners) listener(cpu.id, prev, next);
        this.traceSink?.switched(cpu, prev, next);
        if (isThread(prev)) releaseIfExited(this, prev); // its stack is no longer in use
      },
    };
  }

  #onGuestFault(cpu: Cpu, t: Thread, error: unknown): KernelGen<void> {
    // A memory fault carries its signal, an effect the CPU refused is SIGILL, anything else a
    // guest threw is an abort (an uncaught exception, a failed assert).
    const signal = error instanceof GuestFault || error instanceof IllegalEffect ? error.signal : SIGABRT;
    const message = error instanceof Error ? error.message : String(error);
    const record: GuestFaultRecord = { pid: t.process.pid, tid: t.id, timeNs: this.nowNs, signal, message };
    if (error instanceof GuestFault) Object.assign(record, { addr: error.addr, code: error.code });
    this.#faults.push(record);
    this.board.trace.mix(TraceKind.GuestFault, t.id, signal);
    return killProcess(this, cpu, t, signal);
  }

  #atomic(t: Thread, effect: AtomicEffect): number {
    const addr = effect.addr;
    const old = guestAtomic32(t, effect.kind, addr, effect.a, effect.b);
    this.board.trace.mix(TraceKind.AtomicBase + effect.kind, addr, old);
    return old;
  }

  #returnToUser(cpu: Cpu, ctx: ExecContext): KernelGen<void> | null {
    if (!isThread(ctx)) return null;
    if (ctx.killPending) return threadExit(this, cpu, ctx);
    if (deliverable(ctx) !== 0) {
      const work = takeSignal(this, cpu, ctx);
      if (work !== null || this.needResched[cpu.id] === 0) return work;
    } else {
      restoreSavedSigmask(ctx); // a masked wait's signal was taken elsewhere (signal.ts)
      settleRestart(ctx, null); // no handler runs: a call that asked to be restarted is
    }
    if (this.needResched[cpu.id] === 1) return reschedule(this, cpu);
    return null;
  }

  /** Name of a system call for reports. */
  static syscallName(nr: number): string {
    return SYSCALL_NAMES[nr] ?? `sys_${nr}`;
  }
}

function* reschedule(k: Kernel, cpu: Cpu): KernelGen<void> {
  yield* schedule(k, cpu);
}

function* retFromFork(): KernelGen<void> {}
