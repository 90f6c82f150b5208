/**
 * The one cost model: every time a simulated operation takes, as a named parameter with a unit
 * in its name, a default, and where the default comes from (models.md §7). Scenarios override
 * any of them under `[costs]`.
 */

export interface CostParam {
  value: number;
  source: string;
  /** Largest allowed value when not the default for its unit (see {@link costRange}). */
  max?: number;
}

/**
 * The largest time any one cost may be: a second is a thousand times the slowest real operation
 * modelled (a process spawn), and keeps every sum of costs far inside a double's integers.
 */
export const COST_NS_MAX = 1_000_000_000;
/** Jitter and skew are parts per million of a speed; at a million a CPU would stop or run backwards. */
const JITTER_PPM_MAX = 500_000;
const SKEW_PPM_MAX = 100_000;

const PARAMS = {
  syscallNs: { value: 100, source: 'syscall entry+exit, 50-300 ns (models.md §7)' },
  atomicNs: { value: 20, source: 'uncontended CAS, L1-local, 10-20 ns (models.md §7)' },
  cacheLineNs: { value: 50, source: 'cache-line transfer same die, 20-100 ns (chipsandcheese 2023)' },
  cacheLineRemoteNs: { value: 150, source: 'cache-line transfer cross-socket, 100-200 ns (chipsandcheese)' },
  lockHoldMinNs: { value: 10, source: 'shortest critical section: one store to release' },
  contextSwitchNs: { value: 1000, source: 'thread switch direct cost, ~1 us (Linux 6.6 pipe ping-pong)' },
  addressSpaceSwitchNs: { value: 1400, source: 'process switch 2.4 us minus thread switch 1.0 us: CR3 load' },
  schedScanPerContextNs: { value: 30, source: 'Redox DWRR scan budget 20-50 ns per context visited' },
  schedPickNs: { value: 150, source: 'per-CPU run-queue pick/insert (rb-tree ops), estimate' },
  ipiSendNs: { value: 150, source: 'ICR write and delivery-status poll, estimate' },
  ipiLatencyNs: { value: 1000, source: 'IPI send to remote handler entry same socket, 0.5-2 us' },
  ipiLatencyRemoteNs: { value: 1750, source: 'IPI cross-socket, about 1.5-2 us' },
  irqEntryNs: { value: 250, source: 'interrupt entry, EOI and iret, estimate' },
  idleWakeNs: { value: 1500, source: 'C1 exit latency 1-2 us' },
  // Leaving a long idle on a VM (issue 23, kernel/idle-exit.ts): 0 on bare metal, where idleWakeNs
  // is the whole exit; `smpsim calibrate` measures both on the host it runs on.
  wakeFromIdleNs: {
    value: 0,
    source:
      'a halted vCPU descheduled by its host after the halt-polling window: the extra before a thread woken onto it runs, beyond idleWakeNs (smpsim calibrate, fidelity/calibrate.c wake; 0 on bare metal)',
  },
  coldAfterIdleNs: {
    value: 0,
    source:
      'the first system call a thread makes on a CPU back from a long idle, beyond a warm one: caches and TLB refilled after the host ran something else (smpsim calibrate; 0 on bare metal)',
  },
  idleDeepAfterNs: {
    value: 200_000,
    source:
      "the idle period after which wakeFromIdleNs and coldAfterIdleNs apply: KVM's halt polling window, KVM_HALT_POLL_NS_DEFAULT 200000 on x86 (Linux arch/x86/include/asm/kvm_host.h, virt/kvm/kvm_main.c halt_poll_ns)",
  },
  timerIrqNs: { value: 400, source: 'timer handler body: time update, timeout scan, estimate' },
  tscDeadlineWriteNs: {
    value: 40,
    source: 'WRMSR to IA32_TSC_DEADLINE, about 100-150 cycles at 3 GHz (estimate)',
  },
  portIoNs: {
    value: 1000,
    source:
      'one IN or OUT to a legacy port (the PIT, port 0x61, the PM timer) through the LPC bridge: about 1 us, estimate',
  },
  rdtscNs: { value: 8, source: 'RDTSC, about 25 cycles at 3 GHz (Agner Fog, instruction tables, Skylake)' },
  lapicRegNs: { value: 40, source: 'an xAPIC MMIO register read or write, about 100-150 cycles (estimate)' },
  pauseCycles: {
    value: 140,
    source:
      'one PAUSE in a spin-wait loop: about 140 cycles on Skylake-SP and later, 10 before (Intel optimization manual)',
  },
  perfCtlWriteNs: {
    value: 40,
    source: 'WRMSR to IA32_PERF_CTL (a P-state request), about 100-150 cycles at 3 GHz (estimate)',
  },
  futexHashNs: { value: 60, source: 'futex key translation and bucket lookup, estimate' },
  futexWakeOneNs: {
    value: 90,
    source: 'FUTEX_WAKE with no waiters 150 ns = syscall + bucket (models.md §7)',
  },
  futexPiChainStepNs: {
    value: 120,
    source: 'one step of rt_mutex_adjust_prio_chain: pi_lock, waiter requeue, prio update (Linux rtmutex.c)',
  },
  signalSendNs: {
    value: 250,
    source:
      'kill/tgkill: permission check, sigqueue allocation, pending-set update (Linux ~0.3 us, lmbench lat_sig)',
  },
  schemeCallNs: { value: 1200, source: 'one proc-scheme round trip (SCHED-12): dispatch, copy, reply' },
  // Descriptors and schemes (kernel/fd/, docs/schemes.md).
  fileSchemeCallNs: {
    value: 4000,
    source:
      'one file: call: Redox serves file: from redoxfs in userspace, so a call is a user-scheme round trip (client to kernel, packet to redoxfs, its answer back: two context switches of ~1 us plus packet copies and the fs work); estimate, here charged by the in-kernel file: scheme',
  },
  pipeCallNs: {
    value: 300,
    source:
      'pipe read or write without its copy: fd lookup, pipe lock, wakeup check (Linux pipe ping-pong ~2-3 us round trip is mostly the two switches); estimate',
  },
  unixStreamSendNs: {
    value: 400,
    source:
      'AF_UNIX stream send beyond a pipe write: sock_alloc_send_pskb skb allocation and charge, skb_queue_tail on the peer, the peer socket lock (net/unix/af_unix.c unix_stream_sendmsg); hackbench runs ~10-30% slower over sockets than pipes; estimate',
  },
  schemePacketNs: {
    value: 300,
    source:
      'the kernel side of one user-scheme packet: build or parse a 64-byte Sqe or 16-byte Cqe, tag lookup, queue and wake (redox-os/kernel src/scheme/user.rs); estimate',
  },
  pollFdNs: {
    value: 60,
    source: "poll: one descriptor looked at (fdget, the file's poll, the mask), per pass; estimate",
  },
  userCopyNsPerKiB: {
    value: 100,
    source: 'copy_to_user/copy_from_user of cached data at ~10 GB/s (rep movsb), per KiB',
  },
  threadSetupNs: { value: 3000, source: 'kernel stack, context struct and TLS setup for a new context' },
  contextAllocNs: {
    value: 2200,
    source:
      'the part of threadSetupNs that allocates and clears the kernel stack and context structure: what a context pool creates ahead (Linux kernel/fork.c alloc_thread_stack_node vs its per-CPU cached_stacks)',
  },
  contextPoolTakeNs: {
    value: 80,
    source:
      'pop of a pre-created context from the per-CPU pool with preemption off, estimate (a few cache lines)',
  },
  procRegsCopyNs: {
    value: 300,
    source:
      'copying and checking one register set (x86-64 user_regs_struct 216 bytes plus fs/gs base) between the caller and the proc scheme, the copy part of a proc:regs round trip; a shared page saves it (estimate)',
  },
  procHandleCopyNs: {
    value: 150,
    source:
      'one descriptor a fork copies through the proc scheme (a dup and a read of its state), part of processForkNs; a shared page saves it (estimate)',
  },
  execveNs: {
    value: 35000,
    source:
      'execve without its page teardown: ELF load, new stack and auxv, credentials (processSpawnNs 60 us minus processForkNs 25 us; lmbench lat_proc exec minus fork)',
  },
  vforkSpawnNs: {
    value: 8000,
    source:
      'clone(CLONE_VM|CLONE_VFORK) for posix_spawn: a task and its signal and descriptor tables, no mm copy (glibc sysdeps/unix/sysv/linux/spawni.c; estimate, a third of processForkNs)',
  },
  processSpawnNs: { value: 60000, source: 'fork-equivalent then exec: address space, ELF load (SCHED-12)' },
  processExitNs: { value: 20000, source: 'address-space teardown on exit' },
  processForkNs: {
    value: 25000,
    source:
      'fork without its page copies: task, mm and descriptor-table copies and the page-table walk (lmbench lat_proc fork+exit is 50-100 us on current x86 Linux, copies and exit included)',
  },
  pageCopyNs: { value: 400, source: 'copying a 4 KiB page (read and write) at ~10 GB/s of memcpy bandwidth' },
  pageZeroNs: { value: 250, source: 'zeroing a 4 KiB page at ~16 GB/s' },
  pageMapNs: { value: 100, source: 'page-table update per page' },
  capSqeNs: {
    value: 60,
    source:
      'capring: read and validate one SQE and dispatch it to its capability (io_uring io_submit_sqes per-SQE work), estimate',
  },
  capCqeNs: {
    value: 40,
    source: 'capring: write one CQE and advance cq_tail (io_uring io_fill_cqe), estimate',
  },
  sqpollIdleNs: {
    value: 1_000_000,
    source:
      'capring SQPOLL: idle time before the poller sets NEED_WAKEUP and sleeps (io_uring sq_thread_idle, default HZ = 1 s; 1 ms here so short runs see both)',
  },
  sqpollSpinNs: {
    value: 500,
    source:
      'capring SQPOLL: one pass of the poller over an empty SQ (io_uring io_sq_thread loop with cond_resched), estimate',
  },
  pageFaultNs: {
    value: 700,
    source:
      'a minor page fault, exception entry to return without the page zeroing or copy: Linux 0.5-1 us (lmbench lat_pagefault; Gorman, Understanding the Linux VM ch. 4); charged only with [kernel] paging = "demand" or fork = "cow"',
  },
  // TLBs (issue 15), charged only under a shootdown protocol ([kernel] tlb = redox|redbear|linux).
  pageWalkLevelNs: {
    value: 3,
    source: 'TLB-miss walk ~10 ns (20-50 cycles) with cached paging structures, over 4 levels (models.md §7)',
  },
  invlpgNs: { value: 100, source: 'INVLPG, ~100 ns per page (arch/x86/mm/tlb.c comment; models.md §7)' },
  tlbFlushNs: {
    value: 150,
    source: 'full flush by CR3 reload without PCID, 100-200 ns direct; refills are walks (models.md §7)',
  },
  // Cache warm-up after a migration (SCHED-5): what a context pays on its first run on a CPU whose
  // caches do not hold its working set. Linux treats a task as cache-hot for
  // sysctl_sched_migration_cost = 0.5 ms (kernel/sched/fair.c), an upper bound for these; Li, Ding
  // and Shen, "Quantifying the Cost of Context Switch" (ExpCS 2007) measure the indirect (cache)
  // cost of losing a working set at a few µs for small sets up to ~1.5 ms for multi-MiB ones.
  migrateSmtWarmNs: {
    value: 1000,
    source: 'to the SMT sibling: L1/L2 and TLBs are shared by the core, only per-thread state moves',
  },
  migrateCoreWarmNs: {
    value: 30000,
    source:
      'to another core of the package: refill a 1-2 MiB private L2 from the shared L3, ~20k lines at ~1.5 ns each with ~10 misses in flight (L3 hit ~15 ns)',
  },
  migratePackageWarmNs: {
    value: 150000,
    source:
      'to another package: L2 and L3 cold, ~20k lines from DRAM at ~80 ns with ~10 in flight; below sched_migration_cost 0.5 ms',
  },
  // AP bring-up (HW-1, HW-3, issue 16). The AP-side init figures are fitted, not measured: Linux's
  // serial bring-up of 96 cores took about 500 ms and parallel bring-up about 100 ms (the 6.5
  // parallel-bringup series, Thomas Gleixner, 2023), so ~5 ms per AP of which ~1 ms stays serial.
  apSipiStartNs: { value: 5000, source: 'SIPI arrival to the first trampoline instruction, estimate' },
  apTrampolineNs: {
    value: 20000,
    source: 'trampoline: real mode to long mode (GDT, CR4.PAE/PGE, EFER.LME/NXE, CR0.PG), estimate',
  },
  apEarlyInitNs: {
    value: 4_000_000,
    source:
      "AP init before its sync point (cpu_init, microcode, per-CPU setup): fitted, ~4 of Linux's ~5 ms per AP",
  },
  apOnlineNs: {
    value: 1_000_000,
    source: 'AP init the BSP serialises (TSC sync, set online): fitted to 96 cores in ~100 ms in parallel',
  },
  spinPauseCycles: {
    value: 140,
    source:
      'one spin-loop iteration with PAUSE: ~140 cycles on Skylake and later, ~10 before (Intel optimization manual)',
    max: 100_000,
  },
  // Devices and userspace drivers (issue 18).
  mmioReadNs: {
    value: 1000,
    source: 'uncached MMIO read of a PCIe BAR: a non-posted round trip, 0.5-1.5 us (PCIe latency studies)',
  },
  mmioWriteNs: {
    value: 150,
    source: 'uncached MMIO write: posted, the CPU waits only for the write-combining flush, estimate',
  },
  deviceIrqNs: {
    value: 300,
    source: 'Redox irq_trigger: mask a level pin, count, raise one event per open handle (irq.rs), estimate',
  },
  irqCountUpdateNs: {
    value: 10,
    source: 'one counter increment inside the count lock (kstat_irqs / COUNTS[irq])',
  },
  dmaMapNs: {
    value: 400,
    source: 'iommu_dma_map_page: IOVA allocation and an IO page-table update, 0.2-1 us (Linux iommu-dma)',
  },
  dmaUnmapNs: {
    value: 900,
    source:
      'iommu_dma_unmap_page in strict mode: page-table clear and a synchronous IOTLB invalidation, ~1 us',
  },
  bounceCopyBytesPerNs: {
    value: 8,
    source: 'SWIOTLB bounce memcpy, ~8 GB/s for a cold 4 KiB copy (one core, DDR4)',
    max: 100_000,
  },
  divisionCycles: {
    value: 26,
    source:
      "the primes workload's charge per trial division: a 32-bit DIV, ~26 cycles latency (Agner Fog's tables); smpsim calibrate measures the host's",
    max: 100_000,
  },
  candidateCycles: {
    value: 6,
    source:
      "the primes workload's loop overhead per candidate integer (load, compare, branch); smpsim calibrate measures the host's",
    max: 100_000,
  },
  computeJitterPpm: {
    value: 20000,
    source: 'run-to-run variation of a compute burst, +-2%',
    max: JITTER_PPM_MAX,
  },
  cpuSkewPpm: {
    value: 3000,
    source: 'per-CPU effective speed offset drawn at boot, +-0.3%',
    max: SKEW_PPM_MAX,
  },
} satisfies Record<string, CostParam>;

export type CostName = keyof typeof PARAMS;
export type CostModel = { readonly [K in CostName]: number };

export const COST_NAMES = Object.keys(PARAMS) as CostName[];

export function costSource(name: CostName): string {
  return PARAMS[name].source;
}

/** The values `name` may take, inclusive: every cost is at least 0. */
export function costRange(name: CostName): [number, number] {
  const param: CostParam = PARAMS[name];
  return [0, param.max ?? COST_NS_MAX];
}

/** True when `name` is a cost-model parameter (own keys only, so `constructor` is not one). */
export function isCostName(name: string): name is CostName {
  return Object.hasOwn(PARAMS, name);
}

/** The defaults with `overrides` applied; names must be COST_NAMES (the scenario loader checks). */
export function resolveCostModel(overrides: Readonly<Record<string, number>> = {}): CostModel {
  const model = {} as Record<CostName, number>;
  for (const name of COST_NAMES) model[name] = overrides[name] ?? PARAMS[name].value;
  for (const name of Object.keys(overrides)) {
    if (!isCostName(name)) throw new Error(`cost-model: unknown parameter ${name}`);
    const [min, max] = costRange(name);
    const value = overrides[name]!;
    if (!(value >= min && value <= max))
      throw new Error(`cost-model: ${name} = ${value} is outside ${min}..${max}`);
  }
  return model;
}
