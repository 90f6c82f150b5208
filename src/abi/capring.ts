/**
 * The capring personality's ABI (issue 20, RING-1..RING-4): the capability ring's layout as 32-bit
 * words in one shared guest page, the entry layouts, the opcodes and the capability slots. Guest
 * libc (libc/capring/) and the kernel (kernel/capring/) both read and write these words: the
 * kernel only through uaccess, the guest with plain loads and stores.
 *
 * The shape follows io_uring (models-2.md §11.1, liburing src/include/liburing/io_uring.h): the
 * user produces the SQ tail and the kernel its head; the kernel produces the CQ tail and the user
 * its head; entries are powers of two with mask = entries - 1, and indexes run freely (a slot is
 * index & mask, the fill is tail - head, all mod 2^32). Sizes follow capOS (models-2.md §11.6):
 * one 4 KiB ring page per ring, a 16-entry SQ and a 32-entry CQ. capOS does not publish its
 * CapSqe/CapCqe layout, so ours is io_uring's cut down to words: an SQE of 8 words (opcode, cap
 * index, four arguments, user_data as two words) and a CQE of 8 words (user_data, result, flags
 * and a 64-bit value, as IORING_SETUP_CQE32's extra words carry one).
 *
 * CQ overflow is io_uring's FEAT_NODROP (§11.5): a completion that finds the CQ full goes to the
 * kernel's overflow list and RING_SQ_CQ_OVERFLOW is set in the SQ flags; the list is flushed into
 * the CQ as the user frees slots (at every cap_enter); only when the list is at its capacity is a
 * completion dropped, `cq_overflow` counted, and the next cap_enter that would wait answers
 * -EBADR once (io_uring_enter's EBADR).
 */

/** Bytes of one ring (capOS: one 4 KiB page at RING_VADDR). */
export const RING_BYTES = 4096;
/**
 * Where the process ring is mapped (capOS's RING_VADDR), and per-thread rings after it: the ring
 * of thread slot `s` is at RING_VADDR + s * RING_BYTES (slot 0, the process's first thread, owns
 * the process ring in thread mode too).
 */
export const RING_VADDR = 0x7e00_0000;
/** Thread slots per process: how many per-thread rings fit the window after RING_VADDR. */
export const RING_THREAD_SLOTS = 64;

/** SQ entries (capOS: 16). */
export const SQ_ENTRIES = 16;
/** CQ entries (capOS: 32; io_uring's default 2 × SQ). */
export const CQ_ENTRIES = 32;

/** Header word offsets (bytes from the ring's start). */
export const RING_SQ_HEAD = 0;
export const RING_SQ_TAIL = 4;
export const RING_SQ_MASK = 8;
export const RING_SQ_ENTRIES = 12;
/** SQ flags: RING_SQ_NEED_WAKEUP, RING_SQ_CQ_OVERFLOW (io_uring's IORING_SQ_* bits 0 and 1). */
export const RING_SQ_FLAGS = 16;
/** SQEs the kernel could not read (a bad opcode is a CQE; this counts unreadable entries). */
export const RING_SQ_DROPPED = 20;
export const RING_CQ_HEAD = 24;
export const RING_CQ_TAIL = 28;
export const RING_CQ_MASK = 32;
export const RING_CQ_ENTRIES = 36;
/** Completions dropped because the CQ and the overflow list were full (io_uring's cq overflow). */
export const RING_CQ_OVERFLOW = 40;
export const RING_CQ_FLAGS = 44;
/** Where the SQE array starts. */
export const RING_SQES = 64;
/** Bytes per SQE: opcode, cap, arg0..arg3, user_data lo, hi. */
export const SQE_BYTES = 32;
/** Where the CQE array starts. */
export const RING_CQES = RING_SQES + SQ_ENTRIES * SQE_BYTES;
/** Bytes per CQE: user_data lo, hi, result, flags, value lo, hi, two reserved words. */
export const CQE_BYTES = 32;

/** SQE word offsets. */
export const SQE_OPCODE = 0;
export const SQE_CAP = 4;
export const SQE_ARG0 = 8;
export const SQE_ARG1 = 12;
export const SQE_ARG2 = 16;
export const SQE_ARG3 = 20;
export const SQE_USER_DATA = 24;

/** CQE word offsets. */
export const CQE_USER_DATA = 0;
export const CQE_RESULT = 8;
export const CQE_FLAGS = 12;
export const CQE_VALUE = 16;

/** The SQ poller sleeps: write the tail, then cap_enter with CAP_ENTER_SQ_WAKEUP (IORING_SQ_NEED_WAKEUP). */
export const RING_SQ_NEED_WAKEUP = 1 << 0;
/** Completions wait on the kernel's overflow list (IORING_SQ_CQ_OVERFLOW). */
export const RING_SQ_CQ_OVERFLOW = 1 << 1;

/** The one trap of the personality: cap_enter(minComplete, timeoutNs, sinceTail?, flags?). */
export const SYS_CAP_ENTER = 1300;
/** cap_enter flag (4th argument): wake the ring's SQ poller (IORING_ENTER_SQ_WAKEUP). */
export const CAP_ENTER_SQ_WAKEUP = 1 << 1;
/**
 * cap_enter flag (4th argument): the 5th argument is the address of a 32-bit signal mask (the
 * rt_sigprocmask set) held for the wait and restored on the way out, io_uring_enter's sigset as
 * pselect takes its (kernel/capring/enter.ts). Other flag bits are -EINVAL.
 */
export const CAP_ENTER_SIGMASK = 1 << 2;
/** The SQ poller's own body (kernel/capring/sqpoll.ts); refused to any other thread. */
export const SYS_CAP_SQPOLL = 1301;
/** cap_enter timeout meaning "no timeout". */
export const CAP_NO_TIMEOUT = -1;

/** Opcodes (the capability-number range 1300-1399 of this personality). */
export const CapOp = {
  /** Completes at once with result 0. */
  Nop: 1310,
  /** Timer cap: completes at once with the monotonic clock in `value`, ns. */
  ClockRead: 1311,
  /** Thread cap: arg0 = entry number in CAP_CODE_TABLE; result = slot, value = generation. */
  ThreadSpawn: 1312,
  /** Thread cap: this thread exits with arg0; never completes. */
  ThreadExit: 1313,
  /** Thread cap: completes when the thread (slot arg0, generation arg1) has exited; value = its code. */
  ThreadJoin: 1314,
  /** Park cap: parks on the word at arg0 while it holds arg1; completes when unparked (0) or -EAGAIN. */
  Park: 1315,
  /** Park cap: unparks up to arg1 threads parked on the word at arg0; result = how many. */
  Unpark: 1316,
  /** Memory cap: maps arg0 bytes (arg1 = 1: shared with children); value = address. */
  Map: 1317,
  /** Process cap: spawns entry arg0 of CAP_CODE_TABLE as a new process; result = pid. */
  Spawn: 1318,
  /** Process cap: completes when child pid arg0 has exited; result = pid, value = status. */
  Wait: 1319,
  /**
   * Thread cap: puts the caller's ring in SQPOLL mode (RING-3; io_uring IORING_SETUP_SQPOLL): a
   * kernel poller thread consumes its SQ from now on; result 0, or -EEXIST if it has one.
   */
  SqpollStart: 1321,
  /** Thread cap: ends the caller's ring's SQPOLL mode; its poller exits. */
  SqpollStop: 1322,
  /** Endpoint cap: a new endpoint served by the caller's process; result = its id. */
  EndpointCreate: 1323,
  /** Endpoint cap: calls endpoint arg0 with the word arg1; completes with the server's RETURN. */
  Call: 1324,
  /** Endpoint cap: the server takes the next call on its endpoint arg0: result = call id, value = word. */
  Recv: 1325,
  /** Endpoint cap: the server answers call arg0 with result arg1 and value arg2; result 0 or -ESRCH. */
  Return: 1326,
  // --- issue 20, second wave (rings): 1327-1349 ---
  /**
   * Timer cap: a timeout as a ring operation (io_uring's IORING_OP_TIMEOUT, io_uring/timeout.c):
   * arg0/arg1 = the time in ns (low, high word), relative unless arg3 has CAP_TIMEOUT_ABS (then
   * CLOCK_MONOTONIC); arg2 = the completion count, which must be 0 (a pure timer; io_uring's
   * `off`). Completes with -ETIME when the time passes, as io_timeout_fn posts it.
   */
  Timeout: 1327,
  /**
   * Endpoint cap: transfers a capability to the server in a call (capOS's CALL carries caps in
   * its message): arg0 = endpoint, arg1 = the word, arg2 = the endpoint id to hand over (the
   * caller must hold it). The server's RECV gets it in the CQE's value high word (docs/capring.md).
   */
  CallGrant: 1328,
} as const;

/** Timeout SQE flag (arg3): the time is an absolute CLOCK_MONOTONIC instant (IORING_TIMEOUT_ABS). */
export const CAP_TIMEOUT_ABS = 1 << 0;

/**
 * Capability slots every capring process starts with (its capability table; capOS hands a
 * process its initial caps the same way). An SQE names a slot; a slot of the wrong kind for the
 * opcode completes with -EBADF.
 */
export const CapSlot = {
  Memory: 0,
  Threads: 1,
  Timer: 2,
  /** Park space on private keys (the process's own address space). */
  ParkSpace: 3,
  /** Park space on shared keys (the word's memory object: its physical frame). */
  SharedParkSpace: 4,
  Processes: 5,
  /**
   * Endpoints (server processes): the endpoints this process created or was granted (a child is
   * granted its parent's at its first cap_enter).
   */
  Endpoints: 6,
} as const;

/**
 * A thread's start argument on this personality: the argument its creator gave, its thread
 * slot and the generation that makes its reference (slot, generation), and its ring's address
 * (RING_VADDR + slot × RING_BYTES in thread mode, RING_VADDR in process mode).
 */
export interface CapThreadStart {
  arg: unknown;
  slot: number;
  generation: number;
  ringAddr: number;
}

/**
 * Where libc keeps the numbered entries (CapImage) that ThreadSpawn and Spawn name by arg0: a
 * Map<number, CapImage> in the process's data segment, the model's code addresses (uaccess.ts
 * userCode).
 */
export const CAP_CODE_TABLE = 'capring.code';

/** An entry a ThreadSpawn or Spawn SQE names by its number in CAP_CODE_TABLE. */
export interface CapImage {
  entry: (t: import('./guest.ts').Guest, arg: unknown) => import('./effects.ts').Program<unknown>;
  arg: unknown;
  /** For Spawn: the program's name. */
  name?: string;
}

/** Ring modes (`[kernel] rings`): one process-wide ring, or one ring per thread (RING-2, RING-3). */
export type RingMode = 'process' | 'thread';
export const RING_MODES: readonly RingMode[] = ['process', 'thread'];
/** Kernel personalities (`[kernel] abi`). */
export type KernelAbi = 'redox' | 'capring';
export const KERNEL_ABIS: readonly KernelAbi[] = ['redox', 'capring'];
/** Environment key that tells guest programs which personality they run on. */
export const ABI_ENV = 'SMPSIM_ABI';
/** Environment key of the ring mode (guest libc picks its completion demux by it). */
export const RINGS_ENV = 'SMPSIM_RINGS';
