/**
 * The one registry of trace-record kinds: the first operand of every `TraceHash.mix`. A run's
 * trace hash is only as good as its records are distinct, so each kind has one meaning and one
 * value here, and test/abi/trace.test.ts checks that no two share a value. Record operands are
 * listed as (a, b). Values are the ones the records had before the registry, so hashes did not
 * move, except the two that meant two things (see TRACE_KIND_HISTORY).
 */

export const TraceKind = {
  /** A guest compute effect (running context id, cycles); the value of Op.Compute. */
  Compute: 0x00,
  /** A system call entered (context id, call number); the value of Op.Syscall. */
  Syscall: 0x01,
  /** A context switch (prev id, next id); the value of Op.Switch. */
  Switch: 0x16,
  /** An interrupt raised at a CPU (cpu id, vector). */
  InterruptRaised: 0x1f,
  /** A STARTUP IPI reached a CPU (cpu id, 0x100 | vector); bring-up only (issue 16). */
  StartupIpi: 0x20,
  /** A CPU starts spinning on a held spinlock (cpu id, the lock's acquisitions so far). */
  SpinStart: 0x2a,
  /** A spinner wins a released spinlock (winner cpu id, acquisitions). */
  SpinWinner: 0x2b,
  /** A blocked thread made runnable (waking cpu id, tid). */
  Wake: 0x41,
  /** A blocked thread's timeout expired (tid, 0). */
  TimeoutExpired: 0x42,
  /** CLOCK_REALTIME set (high 32 bits of the ns, low 32 bits). */
  RealtimeSet: 0x43,
  /** dwrr picked a context (cpu id, tid or -1). */
  DwrrPick: 0x51,
  /** fair picked a context (cpu id, tid or -1). */
  FairPick: 0x52,
  /** fair moved a queued context while balancing or stealing (source cpu id, tid). */
  FairPull: 0x53,
  /** fair moved a context to a CPU its affinity allows (destination cpu id, tid). */
  FairAffinityMove: 0x54,
  /** redbear stole a context from another CPU (victim cpu id, tid). */
  RedbearSteal: 0x55,
  /** redbear's balancer migrated a context (target cpu id, tid). */
  RedbearBalance: 0x56,
  /** redbear picked a context (cpu id, tid or -1). Was 0x54, which fair's affinity move also used. */
  RedbearPick: 0x57,
  /** A proc-scheme affinity write (target tid, CPUs in the new mask). */
  AffinityWrite: 0x58,
  /** sched_setscheduler/sched_setattr applied (tid, policy * 256 + RT priority). */
  SetScheduler: 0x5a,
  /** setpriority/nice changed a thread's priority (tid, new prio). */
  SetNice: 0x5b,
  /** fair pulled an RT/deadline context from another run queue (source rq, tid). */
  FairRtPull: 0x5c,
  /** fair changed a context's effective priority (a PI boost or its end) (tid, new prio). */
  FairPrioChange: 0x5d,
  /** One seed's hash folded into a sweep's combined hash (high 32 bits, low 32 bits). */
  SweepHash: 0x5e,
  /** A kernel fault inside a switch was unwound (cpu id, schedule() calls so far). */
  SwitchFaultUnwound: 0x5f,
  /** An atomic effect, 0x60 + its AtomicOp (address, old value); 0x60..0x6f are kept for them. */
  AtomicBase: 0x60,
  /** A process forked (parent pid, child pid). */
  Fork: 0x70,
  /** A shared-memory object mapped (inode, address). */
  ShmMap: 0x71,
  /** A guest fault (tid, signal). Was 0x66, which an atomic FetchAnd (0x60 + 6) also used. */
  GuestFault: 0x72,
  /** A guest read or wrote through a TLB entry whose frame was freed (cpu id, virtual address). */
  TlbStaleRead: 0x73,
  /** A TLB shootdown began (initiating cpu id, pages). */
  TlbShootdown: 0x74,
  /** Idle periodic ticks of a halted CPU folded into one step (cpu id, ticks). */
  IdleTicksFolded: 0x75,
  /** A descriptor was opened (pid, fd): open, openat, pipe2 (two records), dup (kernel/fd/). */
  FdOpen: 0x80,
  /** A thread blocked on a pipe (tid, 0 reading / 1 writing). */
  PipeBlock: 0x81,
  /** A user-scheme request was queued (tag, opcode). */
  SchemeRequest: 0x82,
  /** A user-scheme request was answered (tag, result as u32). */
  SchemeAnswer: 0x83,
  /** A user scheme was registered (server pid, 1) or went away (server pid, 0). */
  SchemeRegister: 0x84,
  /** posix_spawn's vfork-style spawn made a process (parent pid, child pid; issue 24). */
  SpawnVfork: 0xc0,
  /** A process replaced its program by execve (pid, new main thread's tid; issue 24). */
  Execve: 0xc1,
  /** capring (issue 20): cap_enter consumed SQEs (tid, SQEs consumed). Range 0xb0-0xbf is capring's. */
  CapEnter: 0xb0,
  /** capring: a CQE posted (tid of the ring's owner or -1 for the process ring, result). */
  CapPost: 0xb1,
  /** capring: a completion's thread reference was stale and it was rejected (slot, generation). */
  CapStaleRejected: 0xb2,
  /** capring: a thread waits behind the process's one cap_enter waiter (tid, waiter tid). */
  CapOwnerQueued: 0xb3,
  /** capring: a CQE went to the overflow list (1) or was dropped (2) (tid, how). */
  CapOverflow: 0xb4,
  /** capring: an SQ poller consumed SQEs (tid of the ring's owner, SQEs) or slept (tid, -1). */
  CapSqpoll: 0xb5,
  // capring, second wave (rings): 0xb6-0xbf
  /** capring: a ring timeout fired and posted -ETIME (tid of the submitter, deadline ms). */
  CapTimeout: 0xb6,
  /** capring: an endpoint's server exited; its calls completed -EPIPE (endpoint id, calls failed). */
  CapEndpointGone: 0xb7,
  /** capring: a capability moved in a call (endpoint id granted, receiving pid). */
  CapGrant: 0xb8,
  /** A CPU queued behind another on a kernel MCS lock (cpu id, predecessor's cpu id). 0xa4-0xab: locks/. */
  McsQueued: 0xa4,
  /** An MCS lock handed over (releasing cpu id, successor's cpu id). */
  McsHandoff: 0xa5,
  /** A donating lock changed a thread's boost (tid, new boost or -1 for none). */
  LockBoost: 0xa6,
  /** A donation walk met a cycle in the lock graph, EDEADLK (cpu id, cycles so far). */
  LockCycle: 0xa7,
  /** shm_truncate: object inode, its new size in pages (kernel/shm.ts). */
  ShmTruncate: 0x76,
  /** A CPU was taken offline (cpu id, threads migrated off it) (kernel/hotplug.ts). */
  CpuOffline: 0xa0,
  /** A CPU was brought back online (cpu id, 1) (kernel/hotplug.ts). */
  CpuOnline: 0xa1,
  /** A thread was moved off a CPU going offline (to cpu id, tid). */
  HotplugMigrate: 0xa2,
  /** A thread's affinity named only the dying CPU: broken to every online CPU (tid, dying cpu). */
  HotplugAffinityBroken: 0xa3,
  /** An offline CPU parked: out of every address space's CPU set, LAPIC software-disabled (cpu id, spaces left). 0xd4-0xdb: devices. */
  CpuParked: 0xd4,
  /** A fixed interrupt reached a software-disabled LAPIC (an offline CPU's) and was dropped (cpu id, vector). */
  InterruptRefused: 0xd5,
  /** gedf linked a deadline job to a CPU at its decision (cpu id, tid; -1: no job) (kernel/sched/gedf). */
  GedfLink: 0xf0,
  /** gedf released a parked job at its period's start (tid, the job's absolute deadline low 32 bits). */
  GedfRelease: 0xf1,
  /** gedf: a job ended with sched_yield (tid, 1 when it was late). */
  GedfJobEnd: 0xf2,
  /** gedf picked for a CPU at a switch (cpu id, tid or -1). */
  GedfPick: 0xf3,
} as const;

export type TraceKindName = keyof typeof TraceKind;

/** The record kinds an atomic effect may take: `AtomicBase + op` for op in [0, ATOMIC_KINDS). */
export const ATOMIC_KINDS = 16;

/** Kinds whose value changed when the registry was made, and so moved the runs' trace hashes. */
export const TRACE_KIND_HISTORY: readonly { kind: TraceKindName; was: number }[] = [
  { kind: 'RedbearPick', was: 0x54 },
  { kind: 'GuestFault', was: 0x66 },
];
