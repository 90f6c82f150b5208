/*
 * What the mutexloop, condherd and schbench host programs share: the clock, work measured in
 * smpsim's cycles, raw futex calls, and the improved libc's mutex and condition variable written
 * out in C so the host runs the guest's algorithm step for step (not glibc's, whose condvar
 * since 2.25 is a different design):
 * - the mutex is Drepper's three-state word ("Futexes Are Tricky", mutex 2), as
 *   src/libc/improved/mutex.ts lockWord/unlock and glibc's lowlevellock (nptl/lowlevellock.c
 *   __lll_lock_wait, sysdeps/nptl/lowlevellock.h lll_unlock);
 * - the condvar is src/libc/improved/cond.ts: a sequence word, a waiter count and the mutex;
 *   signal bumps the sequence and wakes one, broadcast bumps it and FUTEX_CMP_REQUEUEs one
 *   awake and the rest onto the mutex word (glibc before 2.25, nptl/pthread_cond_broadcast.c),
 *   and a woken waiter relocks as a contender (state 2; __pthread_mutex_cond_lock).
 * The harness hashes this header with each program's source, so a change here rebuilds them.
 */
#ifndef SMPSIM_FIDELITY_SYNC_H
#define SMPSIM_FIDELITY_SYNC_H
#define _GNU_SOURCE
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

static inline uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The work calibration: TSC ticks per smpsim cycle (work of C cycles at the simulated clock lasts
   C / mhz us) and the ticks a spin overshoots by on average (the last RDTSC read, about 20 ns in
   a VM), taken off each spin so that work(100) lasts 33 ns as the guest's t.compute(100) does.
   Read-only after calibration and a cache line of its own, so that no thread's work shares a line
   with the words the threads write (the guest's parameters are not in guest memory at all). */
static struct {
  _Alignas(64) double tsc_per_cycle;
  uint64_t spin_overshoot_tsc;
  char pad[48];
} work_cal;
#define tsc_per_cycle work_cal.tsc_per_cycle
#define spin_overshoot_tsc work_cal.spin_overshoot_tsc

static inline void spin_tsc(uint64_t ticks) {
  uint64_t end = __rdtsc() + ticks;
  while (__rdtsc() < end) {
  }
}

/* Measures the TSC against CLOCK_MONOTONIC for 20 ms, then a spin's overshoot; `mhz` is
   smpsim's cpu_mhz. */
static inline void calibrate_work(int mhz) {
  uint64_t t0 = now_ns(), c0 = __rdtsc();
  while (now_ns() - t0 < 20000000u) {
  }
  uint64_t t1 = now_ns(), c1 = __rdtsc();
  double tsc_per_ns = (double)(c1 - c0) / (double)(t1 - t0);
  tsc_per_cycle = tsc_per_ns * 1000.0 / mhz;
  const uint64_t ticks = 1000, spins = 20000;
  uint64_t s0 = __rdtsc();
  for (uint64_t i = 0; i < spins; i++) spin_tsc(ticks);
  uint64_t mean = (__rdtsc() - s0) / spins;
  spin_overshoot_tsc = mean > ticks ? mean - ticks : 0;
}

/* smpsim's t.compute(cycles): spin for the time `cycles` take at the simulated clock. */
static inline void work(uint64_t cycles) {
  if (cycles == 0) return;
  uint64_t ticks = (uint64_t)(cycles * tsc_per_cycle);
  spin_tsc(ticks > spin_overshoot_tsc ? ticks - spin_overshoot_tsc : 0);
}

static inline long futex(_Atomic uint32_t *word, int op, uint32_t val, uintptr_t val2, _Atomic uint32_t *word2,
                  uint32_t val3) {
  return syscall(SYS_futex, word, op, val, val2, word2, val3);
}

/* Counted: how many times a thread slept on the mutex (a contended lock's FUTEX_WAIT); only on
   the slow path, on a line of its own. */
static struct {
  _Alignas(64) _Atomic uint64_t n;
  char pad[56];
} mutex_waits_line;
#define mutex_waits mutex_waits_line.n

static inline void mutex_lock_word(_Atomic uint32_t *m, int contended) {
  uint32_t c;
  if (contended)
    c = atomic_exchange(m, 2);
  else {
    c = 0;
    if (atomic_compare_exchange_strong(m, &c, 1)) return;
    if (c != 2) c = atomic_exchange(m, 2);
  }
  while (c != 0) {
    atomic_fetch_add_explicit(&mutex_waits, 1, memory_order_relaxed);
    futex(m, FUTEX_WAIT_PRIVATE, 2, 0, 0, 0);
    c = atomic_exchange(m, 2);
  }
}

static inline void mutex_lock(_Atomic uint32_t *m) { mutex_lock_word(m, 0); }

static inline void mutex_unlock(_Atomic uint32_t *m) {
  if (atomic_exchange(m, 0) == 2) futex(m, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
}

struct cond {
  _Atomic uint32_t seq, waiters;
  _Atomic uint32_t *mutex;
};

static inline void cond_wait(struct cond *c, _Atomic uint32_t *m) {
  atomic_fetch_add(&c->waiters, 1);
  uint32_t seq = atomic_load(&c->seq);
  c->mutex = m;
  mutex_unlock(m);
  futex(&c->seq, FUTEX_WAIT_PRIVATE, seq, 0, 0, 0);
  atomic_fetch_sub(&c->waiters, 1);
  mutex_lock_word(m, 1);
}

static inline void cond_signal(struct cond *c) {
  if (atomic_load(&c->waiters) == 0) return;
  atomic_fetch_add(&c->seq, 1);
  futex(&c->seq, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
}

static inline void cond_broadcast(struct cond *c) {
  if (atomic_load(&c->waiters) == 0) return;
  uint32_t seq = atomic_fetch_add(&c->seq, 1) + 1;
  if (futex(&c->seq, FUTEX_CMP_REQUEUE_PRIVATE, 1, INT_MAX, c->mutex, seq) >= 0) return;
  futex(&c->seq, FUTEX_WAKE_PRIVATE, INT_MAX, 0, 0, 0);
}

static inline void sleep_ns(uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
  nanosleep(&ts, 0);
}

#endif
