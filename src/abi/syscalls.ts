/**
 * System-call numbers and their flags. Calls that Linux has keep Linux x86-64 numbers; the
 * Redox proc-scheme steps of thread creation (SCHED-12) and process spawn get numbers from 1000.
 * A raw system call returns a non-negative result or a negated errno, as Linux's do.
 */

/** Descriptors and schemes (kernel/fd/): Linux x86-64 numbers. */
export const SYS_READ = 0;
export const SYS_WRITE = 1;
export const SYS_OPEN = 2;
export const SYS_CLOSE = 3;
export const SYS_FSTAT = 5;
export const SYS_POLL = 7;
export const SYS_LSEEK = 8;
export const SYS_PIPE = 22;
export const SYS_DUP = 32;
export const SYS_DUP2 = 33;
export const SYS_FCNTL = 72;
export const SYS_MKDIR = 83;
export const SYS_RMDIR = 84;
export const SYS_UNLINK = 87;
export const SYS_GETDENTS64 = 217;
export const SYS_OPENAT = 257;
export const SYS_PIPE2 = 293;
/** socketpair(domain, type, protocol, sv): AF_UNIX SOCK_STREAM only (kernel/fd/unix-stream.ts). */
export const SYS_SOCKETPAIR = 53;
export const SYS_MMAP = 9;
export const SYS_MPROTECT = 10;
export const SYS_RT_SIGACTION = 13;
export const SYS_RT_SIGPROCMASK = 14;
export const SYS_RT_SIGRETURN = 15;
export const SYS_MUNMAP = 11;
export const SYS_SCHED_YIELD = 24;
export const SYS_MREMAP = 25;
export const SYS_MADVISE = 28;
export const SYS_NANOSLEEP = 35;
export const SYS_GETPID = 39;
export const SYS_FORK = 57;
/** execve(path, arg): replaces the process's program with the one registered at `path` (kernel/exec.ts). */
export const SYS_EXECVE = 59;
export const SYS_EXIT = 60;
export const SYS_WAIT4 = 61;
/** wait4 options (include/uapi/linux/wait.h): return 0 at once when no child has changed state. */
export const WNOHANG = 1;
/** Stopped and continued children: accepted by Linux; smpsim has no job-control stops, so none ever reports. */
export const WUNTRACED = 2;
export const WCONTINUED = 8;
export const SYS_KILL = 62;
/** getppid: the parent's pid, which changes when an exiting parent's children are reparented (kernel/orphans.ts). */
export const SYS_GETPPID = 110;
/**
 * prctl(option, arg2): only the child-subreaper options (include/uapi/linux/prctl.h): a process
 * that sets PR_SET_CHILD_SUBREAPER adopts its descendants' orphans (kernel/orphans.ts).
 * ENOSYS from the Redox kernel, which has no prctl (`[kernel] orphans = "redox"`).
 */
export const SYS_PRCTL = 157;
export const PR_SET_CHILD_SUBREAPER = 36;
export const PR_GET_CHILD_SUBREAPER = 37;
export const SYS_GETUID = 102;
export const SYS_SETUID = 105;
/** geteuid and setresuid (Linux x86_64 107, 117): glibc's seteuid is setresuid(-1, euid, -1). */
export const SYS_GETEUID = 107;
export const SYS_SETRESUID = 117;
export const SYS_RT_SIGPENDING = 127;
export const SYS_RT_SIGTIMEDWAIT = 128;
export const SYS_GETPRIORITY = 140;
export const SYS_SETPRIORITY = 141;
export const SYS_SCHED_SETPARAM = 142;
export const SYS_SCHED_GETPARAM = 143;
export const SYS_SCHED_SETSCHEDULER = 144;
export const SYS_SCHED_GETSCHEDULER = 145;
export const SYS_SCHED_GET_PRIORITY_MAX = 146;
export const SYS_SCHED_GET_PRIORITY_MIN = 147;
export const SYS_SCHED_RR_GET_INTERVAL = 148;
export const SYS_GETTID = 186;
export const SYS_TKILL = 200;
export const SYS_SET_TID_ADDRESS = 218;
export const SYS_FUTEX = 202;
export const SYS_SCHED_SETAFFINITY = 203;
export const SYS_SCHED_GETAFFINITY = 204;
export const SYS_CLOCK_SETTIME = 227;
export const SYS_CLOCK_GETTIME = 228;
export const SYS_CLOCK_NANOSLEEP = 230;
export const SYS_EXIT_GROUP = 231;
export const SYS_TGKILL = 234;
export const SYS_SET_ROBUST_LIST = 273;
export const SYS_GET_ROBUST_LIST = 274;
export const SYS_SCHED_SETATTR = 314;
export const SYS_SCHED_GETATTR = 315;
export const SYS_GETCPU = 309;

/** proc scheme, round trip 1: open `proc:<pid>/new-thread`; returns the new context's tid. */
export const SYS_PROC_NEW_THREAD = 1000;
/** proc scheme, round trip 2: write the new context's registers (entry, argument, stack). */
export const SYS_PROC_SET_REGS = 1001;
/** proc scheme, round trip 3: write `start` to the context's handle, making it runnable. */
export const SYS_PROC_START = 1002;
/** fork-equivalent plus exec of a registered guest program; returns the child's pid. */
export const SYS_SPAWN = 1010;
/** Blocks until the thread `tid` of this process exits; returns its exit value slot. */
export const SYS_THREAD_JOIN = 1020;
/**
 * Per-thread proc handles (SCHED-11): open `/proc/<tid>/<name>` (name, sched-policy, priority,
 * sched-affinity) and get a descriptor; read and write move the value through guest memory.
 */
export const SYS_PROC_HANDLE_OPEN = 1030;
/** read(fd, bufAddr, len): copies the handle's value to guest memory; returns the bytes copied. */
export const SYS_PROC_HANDLE_READ = 1031;
/** write(fd, bufAddr, len): sets the handle's value from guest memory; returns the bytes taken. */
export const SYS_PROC_HANDLE_WRITE = 1032;
export const SYS_PROC_HANDLE_CLOSE = 1033;
/**
 * The `shm:` scheme (Redox's ipcd; Linux has no system call for it: glibc's shm_open opens a file
 * under /dev/shm), open and fmap in one round trip: shm_open(name, oflag, mode, bytes, inoAddr,
 * init) maps the named object MAP_SHARED and returns its address (kernel/shm.ts).
 */
export const SYS_SHM_OPEN = 1040;
/** shm_unlink(name): removes the name; the object lives until its last mapping goes. */
export const SYS_SHM_UNLINK = 1041;
/**
 * Batched thread creation (issue 24, SCHED-12 improved): proc:new-thread carrying the new
 * context's registers, stack and TLS base, so creation is this call then SYS_PROC_START (two
 * round trips). Args: entry, arg, stackTop, clearTidAddr, onReturn, tlsBase; returns the tid.
 * ENOSYS from a kernel that does not offer it (`[kernel] thread_create = "redox"`).
 */
export const SYS_PROC_NEW_THREAD_REGS = 1050;
/**
 * posix_spawn's vfork-style process creation (issue 24): a new process that does not copy the
 * caller's address space, runs the spawn's file actions and attributes, then execs `image`;
 * the exec's failure comes back as the return value (-errno). Args: image, arg, attr, actions.
 */
export const SYS_PROC_SPAWN_VFORK = 1051;
/** setpgid(pid, pgid) and getpgid(pid): process groups, as posix_spawn's POSIX_SPAWN_SETPGROUP needs. */
export const SYS_SETPGID = 109;
export const SYS_GETPGID = 121;

/**
 * The environment variable through which the kernel tells the libc what thread and process
 * creation it offers, as Linux tells glibc through the auxiliary vector (AT_HWCAP2): a
 * comma-separated list of `batched`, `shm` and `vfork`; absent for the baseline kernel.
 */
export const PROC_FEATURES_ENV = 'SMPSIM_PROC';

/**
 * Device access for userspace drivers (issue 18) beside the `pci:`, `memory:` and `irq:`
 * schemes (kernel/devio/syscalls.ts), numbers 1230-1249:
 * pci_open(name) -> device handle: which function has the scenario's name (the stand-in for
 * pcid-spawner handing a driver its channel; the driver then opens that function's
 * `pci:<function>/channel`, services/drivers/pcid-client.ts); 1231 (pci_info) is retired: its
 * answers come from pcid's channel protocol (abi/pcid.ts);
 * mmio_read(addr) / mmio_write(addr, value): a register at `addr` in a BAR window mapped through
 * `memory:physical` (kernel/devio/memory-scheme.ts);
 * dma_alloc(dev, busAddrOut) -> address of one zeroed page the device reaches at *busAddrOut;
 * dma_map(dev, addr, dir, busAddrOut) / dma_unmap(dev, busAddr, dir): a streaming mapping of
 * one page of the caller's memory (IOMMU IOVA, the physical address, or a SWIOTLB bounce);
 * irq_open(dev, source, cpu) -> irq handle; irq_read(h) blocks until the count passes the last
 * ack and returns it; irq_write(h, count) acknowledges (a level line unmasks on a match);
 * irq_affinity(h, target) -> the CPU it now reaches; irq_close(h).
 */
export const SYS_PCI_OPEN = 1230;
export const SYS_MMIO_READ = 1232;
export const SYS_MMIO_WRITE = 1233;
export const SYS_DMA_ALLOC = 1234;
export const SYS_DMA_MAP = 1235;
export const SYS_DMA_UNMAP = 1236;
export const SYS_IRQ_OPEN = 1237;
export const SYS_IRQ_READ = 1238;
export const SYS_IRQ_WRITE = 1239;
export const SYS_IRQ_AFFINITY = 1240;
export const SYS_IRQ_CLOSE = 1241;
/**
 * shm_truncate(name, bytes): ftruncate on a shared-memory object by name, since shm_open here
 * maps the object and returns no descriptor (Linux's ftruncate is 77 on an fd; kernel/shm.ts). Shrinking unmaps the
 * pages past the new end from every mapping: touching one is SIGBUS (BUS_ADRERR).
 */
export const SYS_SHM_TRUNCATE = 1042;

/**
 * CPU hotplug (kernel/hotplug.ts): cpu_set_online(cpu, online) takes CPU `cpu` offline (0) or
 * brings it online (1), as a write of "0" or "1" to Linux's /sys/devices/system/cpu/cpuN/online.
 */
export const SYS_CPU_SET_ONLINE = 1250;

// services (issue 19), numbers 1060-1069:
/**
 * sys_census(bufAddr): the kernel's object counts as Redox's `sys:` scheme files report them
 * (`sys:context`, `sys:memory`), written as CENSUS_FIELDS u32s at bufAddr; returns how many.
 * The stress run (SVC-9) compares two censuses to find leaked frames, threads and descriptors.
 */
export const SYS_CENSUS = 1060;
/** The census's fields, in the order sys_census writes them. */
export const CENSUS_FIELDS = ['frames', 'threads', 'processes', 'zombies', 'fds'] as const;

export const SYSCALL_NAMES: Readonly<Record<number, string>> = {
  [SYS_READ]: 'read',
  [SYS_WRITE]: 'write',
  [SYS_OPEN]: 'open',
  [SYS_CLOSE]: 'close',
  [SYS_FSTAT]: 'fstat',
  [SYS_POLL]: 'poll',
  [SYS_LSEEK]: 'lseek',
  [SYS_PIPE]: 'pipe',
  [SYS_DUP]: 'dup',
  [SYS_DUP2]: 'dup2',
  [SYS_FCNTL]: 'fcntl',
  [SYS_MKDIR]: 'mkdir',
  [SYS_RMDIR]: 'rmdir',
  [SYS_UNLINK]: 'unlink',
  [SYS_GETDENTS64]: 'getdents64',
  [SYS_OPENAT]: 'openat',
  [SYS_PIPE2]: 'pipe2',
  [SYS_SOCKETPAIR]: 'socketpair',
  [SYS_MMAP]: 'mmap',
  [SYS_MPROTECT]: 'mprotect',
  [SYS_RT_SIGACTION]: 'rt_sigaction',
  [SYS_RT_SIGPROCMASK]: 'rt_sigprocmask',
  [SYS_RT_SIGRETURN]: 'rt_sigreturn',
  [SYS_RT_SIGPENDING]: 'rt_sigpending',
  [SYS_RT_SIGTIMEDWAIT]: 'rt_sigtimedwait',
  [SYS_TKILL]: 'tkill',
  [SYS_TGKILL]: 'tgkill',
  [SYS_SET_TID_ADDRESS]: 'set_tid_address',
  [SYS_SET_ROBUST_LIST]: 'set_robust_list',
  [SYS_GET_ROBUST_LIST]: 'get_robust_list',
  [SYS_CLOCK_SETTIME]: 'clock_settime',
  [SYS_MUNMAP]: 'munmap',
  [SYS_MREMAP]: 'mremap',
  [SYS_MADVISE]: 'madvise',
  [SYS_SCHED_YIELD]: 'sched_yield',
  [SYS_NANOSLEEP]: 'nanosleep',
  [SYS_GETPID]: 'getpid',
  [SYS_FORK]: 'fork',
  [SYS_EXECVE]: 'execve',
  [SYS_EXIT]: 'exit',
  [SYS_WAIT4]: 'wait4',
  [SYS_KILL]: 'kill',
  [SYS_GETPPID]: 'getppid',
  [SYS_PRCTL]: 'prctl',
  [SYS_GETUID]: 'getuid',
  [SYS_SETUID]: 'setuid',
  [SYS_GETEUID]: 'geteuid',
  [SYS_SETRESUID]: 'setresuid',
  [SYS_GETPRIORITY]: 'getpriority',
  [SYS_SETPRIORITY]: 'setpriority',
  [SYS_SCHED_SETPARAM]: 'sched_setparam',
  [SYS_SCHED_GETPARAM]: 'sched_getparam',
  [SYS_SCHED_SETSCHEDULER]: 'sched_setscheduler',
  [SYS_SCHED_GETSCHEDULER]: 'sched_getscheduler',
  [SYS_SCHED_GET_PRIORITY_MAX]: 'sched_get_priority_max',
  [SYS_SCHED_GET_PRIORITY_MIN]: 'sched_get_priority_min',
  [SYS_SCHED_RR_GET_INTERVAL]: 'sched_rr_get_interval',
  [SYS_GETTID]: 'gettid',
  [SYS_FUTEX]: 'futex',
  [SYS_SCHED_SETAFFINITY]: 'sched_setaffinity',
  [SYS_SCHED_GETAFFINITY]: 'sched_getaffinity',
  [SYS_CLOCK_GETTIME]: 'clock_gettime',
  [SYS_CLOCK_NANOSLEEP]: 'clock_nanosleep',
  [SYS_EXIT_GROUP]: 'exit_group',
  [SYS_SCHED_SETATTR]: 'sched_setattr',
  [SYS_SCHED_GETATTR]: 'sched_getattr',
  [SYS_GETCPU]: 'getcpu',
  [SYS_CPU_SET_ONLINE]: 'cpu_set_online',
  [SYS_PROC_NEW_THREAD]: 'proc:new-thread',
  [SYS_PROC_SET_REGS]: 'proc:regs',
  [SYS_PROC_START]: 'proc:start',
  [SYS_SPAWN]: 'spawn',
  [SYS_THREAD_JOIN]: 'thread_join',
  [SYS_PROC_HANDLE_OPEN]: 'proc:open',
  [SYS_PROC_HANDLE_READ]: 'proc:read',
  [SYS_PROC_HANDLE_WRITE]: 'proc:write',
  [SYS_PROC_HANDLE_CLOSE]: 'proc:close',
  [SYS_SHM_OPEN]: 'shm:open',
  [SYS_SHM_UNLINK]: 'shm:unlink',
  [SYS_PROC_NEW_THREAD_REGS]: 'proc:new-thread+regs',
  [SYS_PROC_SPAWN_VFORK]: 'proc:spawn-vfork',
  [SYS_SETPGID]: 'setpgid',
  [SYS_GETPGID]: 'getpgid',
  [SYS_PCI_OPEN]: 'pci:open',
  [SYS_MMIO_READ]: 'memory:mmio_read',
  [SYS_MMIO_WRITE]: 'memory:mmio_write',
  [SYS_DMA_ALLOC]: 'memory:dma_alloc',
  [SYS_DMA_MAP]: 'memory:dma_map',
  [SYS_DMA_UNMAP]: 'memory:dma_unmap',
  [SYS_IRQ_OPEN]: 'irq:open',
  [SYS_IRQ_READ]: 'irq:read',
  [SYS_IRQ_WRITE]: 'irq:write',
  [SYS_IRQ_AFFINITY]: 'irq:affinity',
  [SYS_IRQ_CLOSE]: 'irq:close',
  [SYS_SHM_TRUNCATE]: 'shm:truncate',
  // services (issue 19)
  [SYS_CENSUS]: 'sys:census',
};

/** futex(2) operations (include/uapi/linux/futex.h). */
export const FUTEX_WAIT = 0;
export const FUTEX_WAKE = 1;
/** Redox's WAIT64 (models.md §2); Linux numbers op 3 FUTEX_REQUEUE. */
export const FUTEX_WAIT64 = 3;
export const FUTEX_REQUEUE = 3;
export const FUTEX_CMP_REQUEUE = 4;
export const FUTEX_WAKE_OP = 5;
export const FUTEX_LOCK_PI = 6;
export const FUTEX_UNLOCK_PI = 7;
export const FUTEX_TRYLOCK_PI = 8;
export const FUTEX_WAIT_BITSET = 9;
export const FUTEX_WAKE_BITSET = 10;
export const FUTEX_WAIT_REQUEUE_PI = 11;
export const FUTEX_CMP_REQUEUE_PI = 12;
/** LOCK_PI with a CLOCK_MONOTONIC deadline unless FUTEX_CLOCK_REALTIME (Linux 5.14). */
export const FUTEX_LOCK_PI2 = 13;
export const FUTEX_BITSET_MATCH_ANY = 0xffffffff;
export const FUTEX_PRIVATE_FLAG = 128;
export const FUTEX_CLOCK_REALTIME = 256;
export const FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
/** The PI / robust futex word: owner TID in bits 0..29, OWNER_DIED bit 30, WAITERS bit 31. */
export const FUTEX_TID_MASK = 0x3fffffff;
export const FUTEX_OWNER_DIED = 0x40000000;
export const FUTEX_WAITERS = 0x80000000;

/** clock ids (include/uapi/linux/time.h). */
export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const CLOCK_PROCESS_CPUTIME_ID = 2;
export const CLOCK_THREAD_CPUTIME_ID = 3;

/** mmap protection and flags (asm-generic/mman-common.h). */
export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const PROT_EXEC = 4;
/** MAP_SHARED_VALIDATE: MAP_SHARED that refuses flags it does not know (EOPNOTSUPP). */
export const MAP_SHARED_VALIDATE = 0x03;
/** The mapping-type bits of the flags (one of SHARED, PRIVATE, SHARED_VALIDATE). */
export const MAP_TYPE = 0x0f;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
/** MAP_FIXED that fails with EEXIST instead of replacing what is there. */
export const MAP_FIXED_NOREPLACE = 0x100000;
/** mremap flags (uapi/linux/mman.h). */
export const MREMAP_MAYMOVE = 1;
export const MREMAP_FIXED = 2;
/** madvise advice (asm-generic/mman-common.h): only MADV_DONTNEED is implemented. */
export const MADV_DONTNEED = 4;

/** open(2) flags (asm-generic/fcntl.h), as shm_open and sem_open take them. */
export const O_RDONLY = 0;
export const O_RDWR = 2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
/** Longest name a path component may have (limits.h). */
export const NAME_MAX = 255;

/** wait4 status encoding, as Linux's: exit code in bits 8..15, or the killing signal in 0..6. */
export { SIGABRT, SIGKILL, SIGSEGV } from './signal.ts';
export function exitStatus(code: number): number {
  return (code & 0xff) << 8;
}
export function signalStatus(signal: number): number {
  return signal & 0x7f;
}
export function WIFEXITED(status: number): boolean {
  return (status & 0x7f) === 0;
}
export function WEXITSTATUS(status: number): number {
  return (status >> 8) & 0xff;
}
export function WIFSIGNALED(status: number): boolean {
  return (status & 0x7f) !== 0 && (status & 0x7f) !== 0x7f;
}
export function WTERMSIG(status: number): number {
  return status & 0x7f;
}
