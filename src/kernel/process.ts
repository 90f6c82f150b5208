/** Processes: an address space, threads, a parent, children and an exit status. */
import type { ProgramImage } from '../abi/guest.ts';
import type { SigAction } from '../abi/signal.ts';
import type { AddressSpace } from './vm.ts';
import type { Thread } from './thread.ts';

export enum ProcessState {
  Alive = 0,
  /** Exited, status not yet collected by the parent's wait4. */
  Zombie = 1,
  Reaped = 2,
}

export class Process {
  readonly pid: number = 0;
  /** Its parent: the one that spawned it, or the reaper that adopted it (orphans.ts). */
  parent: Process | null;
  /** Its program: replaced by execve (exec.ts). */
  image: ProgramImage;
  readonly vm: AddressSpace;
  /**
   * Its threads in creation order, the group leader and the live ones; a dead non-leader leaves
   * at its last switch (thread-release.ts). A Set, so a kernel path iterating it across a yield
   * (doomThreads) skips a thread released meanwhile and sees one created meanwhile.
   */
  readonly threads = new Set<Thread>();
  /**
   * The group leader (Linux's group_leader): the thread started as its main (startMainThread;
   * execve's new main replaces it). It stays in the tables while the process lives, as
   * delay_group_leader keeps it a zombie until the group is gone.
   */
  leader: Thread | null = null;
  /** CPU time of its released threads (Linux's signal->sum_sched_runtime), for its CPU clock. */
  releasedCpuNs = 0;
  readonly children: Process[] = [];
  /** PR_SET_CHILD_SUBREAPER (prctl): orphans below it are reparented to it (orphans.ts). */
  childSubreaper = false;
  /** Reparented after its parent died (orphans.ts); the root does not keep an adoptee as a workload. */
  adopted = false;
  state = ProcessState.Alive;
  /** wait4 status, Linux encoding (abi/syscalls.ts). */
  status = 0;
  /** The process-wide data segment guest code (libc) keeps its globals in. */
  readonly data: Record<string, unknown> = {};
  liveThreads = 0;
  /** Process group (setpgid): a process starts in its parent's; the root in its own. */
  pgid = 0;
  /**
   * The kernel's online-CPU mask (kernel/hotplug.ts, cpu_active_mask), shared by every process
   * of a kernel: a thread may run only where its affinity and this both allow. Null: all online.
   */
  cpuOnline: Uint8Array | null = null;
  /**
   * The effective user, the one every permission check uses: 0 is root. Inherited on spawn;
   * see setuid. Root is privileged for scheduling (CAP_SYS_NICE: RT and deadline classes,
   * lowering nice).
   */
  uid = 0;
  /** The real and saved user ids (getuid; setresuid, kernel/uids.ts): equal to `uid` unless changed. */
  ruid = 0;
  suid = 0;
  /** Exit code given by exit_group, or by the last thread's exit. */
  exitCode = 0;
  /** Process-directed signals not yet taken by a thread. */
  sigPending = 0;
  /** Dispositions by signal number (rt_sigaction); undefined is SIG_DFL. */
  readonly sigActions: (SigAction | undefined)[] = [];
  /** Set once a fatal signal has been taken (the status reports it). */
  killedBy = 0;

  /** The environment (envp), inherited from the parent at spawn. */
  readonly env: Readonly<Record<string, string>>;

  constructor(
    pid: number,
    parent: Process | null,
    image: ProgramImage,
    vm: AddressSpace,
    env: Readonly<Record<string, string>>,
  ) {
    this.pid = pid;
    this.env = env;
    this.parent = parent;
    this.image = image;
    this.vm = vm;
    this.pgid = parent?.pgid ?? pid;
  }
}
