/**
 * Constants and memory layouts shared by libc's primitives. Values follow glibc's headers
 * (bits/pthreadtypes.h, pthread.h, limits.h) so code written against glibc reads the same.
 * Objects live in guest memory (a zeroed object is the static initializer, as
 * PTHREAD_MUTEX_INITIALIZER is all zeros); attribute objects are plain TypeScript records,
 * since they never reach the kernel.
 */

/** C's INT_MAX: a wake count meaning "all". */
export const INT_MAX = 0x7fffffff;
export const PAGE_SIZE = 4096;

export const PTHREAD_CREATE_JOINABLE = 0;
export const PTHREAD_CREATE_DETACHED = 1;
export const PTHREAD_INHERIT_SCHED = 0;
export const PTHREAD_EXPLICIT_SCHED = 1;
export const PTHREAD_SCOPE_SYSTEM = 0;
export const PTHREAD_SCOPE_PROCESS = 1;
/** Smallest stack pthread_attr_setstacksize accepts (glibc's PTHREAD_STACK_MIN on x86-64). */
export const PTHREAD_STACK_MIN = 16384;
export const PTHREAD_STACK_DEFAULT = 64 * 1024;
export const PTHREAD_GUARD_DEFAULT = PAGE_SIZE;
export const PTHREAD_KEYS_MAX = 1024;
export const PTHREAD_DESTRUCTOR_ITERATIONS = 4;

export const PTHREAD_MUTEX_NORMAL = 0;
export const PTHREAD_MUTEX_RECURSIVE = 1;
export const PTHREAD_MUTEX_ERRORCHECK = 2;
export const PTHREAD_MUTEX_DEFAULT = PTHREAD_MUTEX_NORMAL;
export const PTHREAD_PROCESS_PRIVATE = 0;
export const PTHREAD_PROCESS_SHARED = 1;
export const PTHREAD_MUTEX_STALLED = 0;
export const PTHREAD_MUTEX_ROBUST = 1;
export const PTHREAD_PRIO_NONE = 0;
export const PTHREAD_PRIO_INHERIT = 1;
export const PTHREAD_PRIO_PROTECT = 2;

export const PTHREAD_RWLOCK_PREFER_READER_NP = 0;
export const PTHREAD_RWLOCK_PREFER_WRITER_NP = 1;
export const PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP = 2;
export const PTHREAD_BARRIER_SERIAL_THREAD = -1;

export const SEM_VALUE_MAX = 0x7fffffff;
/** The recursion count is a u32, as glibc's __count and relibc's recursive_count. */
export const RECURSIVE_COUNT_MAX = 0xffffffff;

/**
 * pthread_mutex_t, 32 bytes: the lock word, the kind, the owner's tid (improved libc; relibc
 * keeps the owner in the lock word itself) and the recursion count, then the robust-list node
 * {prev, next} (glibc's __list; `next` is the entry address the kernel walks, LIBC-2), two
 * 8-byte pointers as on x86-64 (issue 15: addresses are 48-bit, a 32-bit word cannot hold one).
 */
export const MUTEX_BYTES = 32;
export const MUTEX_LOCK = 0;
export const MUTEX_KIND = 4;
export const MUTEX_OWNER = 8;
export const MUTEX_COUNT = 12;
export const MUTEX_PREV = 16;
export const MUTEX_NEXT = 24;
/**
 * Kind word, with glibc's bit values (pthreadP.h): the type in bits 0-1, robust bit 4,
 * priority inheritance bit 5, priority protection bit 6, process-shared bit 7.
 */
export const KIND_TYPE_MASK = 3;
export const KIND_ROBUST = 0x10;
export const KIND_PI = 0x20;
export const KIND_PP = 0x40;
export const KIND_PSHARED = 0x80;
/**
 * The owner word of a robust mutex whose owner died (EOWNERDEAD handed it on; the new owner has
 * not called pthread_mutex_consistent yet), and of one unlocked in that state: unusable for good.
 * glibc's PTHREAD_MUTEX_INCONSISTENT and PTHREAD_MUTEX_NOTRECOVERABLE.
 */
export const MUTEX_INCONSISTENT = 0x7fffffff;
export const MUTEX_NOTRECOVERABLE = 0x7ffffffe;
/**
 * A PTHREAD_PRIO_PROTECT mutex keeps its ceiling in the lock word's bits 19-31 (glibc's
 * PTHREAD_MUTEX_PRIO_CEILING_SHIFT/MASK), beside the 0/1/2 lock state in the low bits.
 */
export const PRIO_CEILING_SHIFT = 19;
export const PRIO_CEILING_MASK = 0xfff80000;

/**
 * pthread_cond_t, 24 bytes; each variant lays out its words below COND_FLAGS (relibc: cur, prev;
 * improved: seq, waiters, then the 8-byte mutex pointer, which is why it grew from 16 in issue 15).
 */
export const COND_BYTES = 24;
export const COND_FLAGS = 16;
/** Cond flags: bit 0 CLOCK_MONOTONIC, bit 7 process-shared. */
export const COND_MONOTONIC = 1;

/** pthread_rwlock_t, 32 bytes. */
export const RWLOCK_BYTES = 32;
export const RWLOCK_FLAGS = 28;

/** pthread_barrier_t, 32 bytes. */
export const BARRIER_BYTES = 32;
/** sem_t, 16 bytes. */
export const SEM_BYTES = 16;
/** pthread_spinlock_t and pthread_once_t: one word. */
export const SPINLOCK_BYTES = 4;
export const ONCE_BYTES = 4;
export const PTHREAD_ONCE_INIT = 0;

/** pthread_setcancelstate / pthread_setcanceltype values (glibc's pthread.h; LIBC-7). */
export const PTHREAD_CANCEL_ENABLE = 0;
export const PTHREAD_CANCEL_DISABLE = 1;
export const PTHREAD_CANCEL_DEFERRED = 0;
export const PTHREAD_CANCEL_ASYNCHRONOUS = 1;

/**
 * A thread descriptor (pthread_t points at it), 16 bytes: the tid word the kernel clears at exit,
 * then the cancellation word (cancel.ts).
 */
export const THREAD_TID = 0;
export const THREAD_CANCEL = 4;

/** sem_open's failure value (glibc's SEM_FAILED is a null sem_t *). */
export const SEM_FAILED = 0;
