/*
 * Host microbenchmarks for `smpsim calibrate` (issue 23). Each mode prints one JSON object with
 * the median over ROUNDS of the per-operation time in ns (and what it divided by):
 *   divide LO HI    trial division of [LO, HI) as fidelity/primes.c: ns, divisions, candidates;
 *                   timed in this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that another
 *                   process sharing the CPU does not count as division cost
 *   syscall         syscall(SYS_getppid) round trip
 *   atomic          an uncontended compare-and-swap on a word only this thread touches
 *   pipe            two processes on one CPU ping-pong a byte over two pipes (lat_ctx style):
 *                   ns per round trip (2 switches, 2 writes, 2 reads)
 *   futex           two threads on two CPUs ping-pong through FUTEX_WAIT/FUTEX_WAKE: round trip
 *   cacheline       two threads on two CPUs bounce one atomic word: ns per round trip (2 transfers)
 *   wake SLEEP [busy]  a thread on CPU 0 sleeps SLEEP ns, stamps the time and FUTEX_WAKEs a thread
 *                   waiting on CPU 1, which stamps when it runs: the median of WAKE_ROUNDS of the
 *                   wake-up (ns) and of the FUTEX_WAKE call (call_ns). With `busy` a SCHED_IDLE
 *                   spinner keeps CPU 1 from halting (the woken thread preempts it at once)
 *   thread          pthread_create + pthread_join of an empty thread
 *   fork            fork + _exit + waitpid of a small process
 * Pinning to CPUs 0 and 1 is done here with sched_setaffinity (the pipe mode pins both
 * processes to CPU 0).
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 7

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v) {
  qsort(v, ROUNDS, sizeof *v, cmp);
  return v[ROUNDS / 2];
}

static volatile uint64_t sink;

static uint64_t thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void divide(uint64_t lo, uint64_t hi) {
  uint32_t limit = (uint32_t)ceil(sqrt((double)hi));
  unsigned char *composite = calloc(limit + 1, 1);
  uint32_t *bases = malloc(sizeof *bases * (limit + 1));
  size_t nb = 0;
  for (uint32_t i = 2; i <= limit; i++) {
    if (composite[i]) continue;
    bases[nb++] = i;
    for (uint64_t j = (uint64_t)i * i; j <= limit; j += i) composite[j] = 1;
  }
  double t[ROUNDS];
  uint64_t divisions = 0, count = 0;
  for (int r = 0; r < ROUNDS; r++) {
    divisions = 0;
    count = 0;
    uint64_t t0 = thread_cpu_ns();
    for (uint64_t n = lo; n < hi; n++) {
      int prime = 1;
      for (size_t i = 0; i < nb; i++) {
        uint64_t p = bases[i];
        if (p * p > n) break;
        divisions++;
        if ((uint32_t)n % (uint32_t)p == 0) {
          prime = 0;
          break;
        }
      }
      count += prime;
    }
    t[r] = (double)(thread_cpu_ns() - t0);
  }
  sink = count;
  printf("{\"mode\":\"divide\",\"ns\":%.0f,\"divisions\":%llu,\"candidates\":%llu}\n", median(t),
         (unsigned long long)divisions, (unsigned long long)(hi - lo));
}

static void report(const char *mode, double *t, int ops) {
  for (int r = 0; r < ROUNDS; r++) t[r] /= ops;
  printf("{\"mode\":\"%s\",\"ns\":%.1f,\"ops\":%d}\n", mode, median(t), ops);
}

static void bench_syscall(void) {
  double t[ROUNDS];
  const int ops = 200000;
  for (int r = 0; r < ROUNDS; r++) {
    uint64_t t0 = now_ns();
    for (int i = 0; i < ops; i++) syscall(SYS_getppid);
    t[r] = (double)(now_ns() - t0);
  }
  report("syscall", t, ops);
}

static _Atomic uint32_t own_word;

/* lock cmpxchg, L1-local: each succeeds (the expected value is the word's), as an uncontended
   mutex lock does; the dependency through `expected` keeps them from overlapping. */
static void bench_atomic(void) {
  double t[ROUNDS];
  const int ops = 2000000;
  for (int r = 0; r < ROUNDS; r++) {
    uint32_t expected = atomic_load(&own_word);
    uint64_t t0 = now_ns();
    for (int i = 0; i < ops; i++) {
      atomic_compare_exchange_strong(&own_word, &expected, expected + 1);
      expected++;
    }
    t[r] = (double)(now_ns() - t0);
  }
  report("atomic", t, ops);
}

static void bench_pipe(void) {
  int a[2], b[2];
  char c = 0;
  const int ops = 20000;
  double t[ROUNDS];
  if (pipe(a) || pipe(b)) exit(1);
  pin(0);
  pid_t child = fork();
  if (child == 0) {
    close(a[1]);
    close(b[0]);
    for (;;) {
      if (read(a[0], &c, 1) != 1) _exit(0);
      if (write(b[1], &c, 1) != 1) _exit(0);
    }
  }
  close(a[0]);
  close(b[1]);
  for (int r = 0; r < ROUNDS; r++) {
    uint64_t t0 = now_ns();
    for (int i = 0; i < ops; i++) {
      if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1) exit(1);
    }
    t[r] = (double)(now_ns() - t0);
  }
  close(a[1]);
  waitpid(child, 0, 0);
  report("pipe", t, ops);
}

static _Atomic uint32_t word;
static const int FUTEX_OPS = 20000;

static long futex(void *addr, int op, uint32_t val) { return syscall(SYS_futex, addr, op, val, 0, 0, 0); }

static void *futex_peer(void *arg) {
  (void)arg;
  pin(1);
  for (int i = 0; i < FUTEX_OPS * ROUNDS; i++) {
    while (atomic_load(&word) != 1) futex(&word, FUTEX_WAIT_PRIVATE, 0);
    atomic_store(&word, 0);
    futex(&word, FUTEX_WAKE_PRIVATE, 1);
  }
  return 0;
}

static void bench_futex(void) {
  pthread_t peer;
  double t[ROUNDS];
  pin(0);
  pthread_create(&peer, 0, futex_peer, 0);
  for (int r = 0; r < ROUNDS; r++) {
    uint64_t t0 = now_ns();
    for (int i = 0; i < FUTEX_OPS; i++) {
      atomic_store(&word, 1);
      futex(&word, FUTEX_WAKE_PRIVATE, 1);
      while (atomic_load(&word) != 0) futex(&word, FUTEX_WAIT_PRIVATE, 1);
    }
    t[r] = (double)(now_ns() - t0);
  }
  pthread_join(peer, 0);
  report("futex", t, FUTEX_OPS);
}

static _Atomic uint64_t line;
static const int LINE_OPS = 200000;

static void *line_peer(void *arg) {
  (void)arg;
  pin(1);
  for (uint64_t i = 0; i < (uint64_t)LINE_OPS * ROUNDS; i++) {
    while (atomic_load_explicit(&line, memory_order_acquire) != 2 * i + 1) {
    }
    atomic_store_explicit(&line, 2 * i + 2, memory_order_release);
  }
  return 0;
}

static void bench_cacheline(void) {
  pthread_t peer;
  double t[ROUNDS];
  pin(0);
  pthread_create(&peer, 0, line_peer, 0);
  uint64_t k = 0;
  for (int r = 0; r < ROUNDS; r++) {
    uint64_t t0 = now_ns();
    for (int i = 0; i < LINE_OPS; i++, k++) {
      atomic_store_explicit(&line, 2 * k + 1, memory_order_release);
      while (atomic_load_explicit(&line, memory_order_acquire) != 2 * k + 2) {
      }
    }
    t[r] = (double)(now_ns() - t0);
  }
  pthread_join(peer, 0);
  report("cacheline", t, LINE_OPS);
}

/* The wake mode: the waker's stamps, the wakee's, and the spinner's stop flag. */
#define WAKE_ROUNDS 400
static _Atomic uint32_t wake_word;
static _Atomic int wake_stop;
static uint64_t wake_posted[WAKE_ROUNDS + 1], wake_called[WAKE_ROUNDS + 1], wake_ran[WAKE_ROUNDS + 1];

static void *wakee(void *arg) {
  (void)arg;
  pin(1);
  for (int r = 1; r <= WAKE_ROUNDS; r++) {
    for (;;) {
      uint32_t v = atomic_load(&wake_word);
      if ((int)v >= r) break;
      futex(&wake_word, FUTEX_WAIT_PRIVATE, v);
    }
    wake_ran[r] = now_ns();
  }
  return 0;
}

static void *idle_spinner(void *arg) {
  (void)arg;
  pin(1);
  struct sched_param p = {0};
  sched_setscheduler(0, SCHED_IDLE, &p);
  while (!atomic_load(&wake_stop)) {
  }
  return 0;
}

static double median_of(double *v, int n) {
  qsort(v, n, sizeof *v, cmp);
  return v[n / 2];
}

static void bench_wake(uint64_t sleep, int busy) {
  pthread_t w, s;
  pin(0);
  if (busy) pthread_create(&s, 0, idle_spinner, 0);
  pthread_create(&w, 0, wakee, 0);
  struct timespec ts = {(time_t)(sleep / 1000000000u), (long)(sleep % 1000000000u)};
  for (int r = 1; r <= WAKE_ROUNDS; r++) {
    nanosleep(&ts, 0);
    wake_posted[r] = now_ns();
    atomic_store(&wake_word, (uint32_t)r);
    futex(&wake_word, FUTEX_WAKE_PRIVATE, 1);
    wake_called[r] = now_ns();
  }
  pthread_join(w, 0);
  atomic_store(&wake_stop, 1);
  if (busy) pthread_join(s, 0);
  static double ran[WAKE_ROUNDS], called[WAKE_ROUNDS];
  for (int r = 1; r <= WAKE_ROUNDS; r++) {
    ran[r - 1] = (double)(wake_ran[r] - wake_posted[r]);
    called[r - 1] = (double)(wake_called[r] - wake_posted[r]);
  }
  printf("{\"mode\":\"wake\",\"sleep_ns\":%llu,\"busy\":%d,\"ns\":%.0f,\"call_ns\":%.0f}\n",
         (unsigned long long)sleep, busy, median_of(ran, WAKE_ROUNDS), median_of(called, WAKE_ROUNDS));
}

static void *empty(void *arg) { return arg; }

static void bench_thread(void) {
  double t[ROUNDS];
  const int ops = 2000;
  for (int r = 0; r < ROUNDS; r++) {
    uint64_t t0 = now_ns();
    for (int i = 0; i < ops; i++) {
      pthread_t th;
      pthread_create(&th, 0, empty, 0);
      pthread_join(th, 0);
    }
    t[r] = (double)(now_ns() - t0);
  }
  report("thread", t, ops);
}

static void bench_fork(void) {
  double t[ROUNDS];
  const int ops = 300;
  for (int r = 0; r < ROUNDS; r++) {
    uint64_t t0 = now_ns();
    for (int i = 0; i < ops; i++) {
      pid_t p = fork();
      if (p == 0) _exit(0);
      waitpid(p, 0, 0);
    }
    t[r] = (double)(now_ns() - t0);
  }
  report("fork", t, ops);
}

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "";
  if (strcmp(m, "divide") == 0 && argc == 4) divide(strtoull(argv[2], 0, 10), strtoull(argv[3], 0, 10));
  else if (strcmp(m, "syscall") == 0) bench_syscall();
  else if (strcmp(m, "atomic") == 0) bench_atomic();
  else if (strcmp(m, "pipe") == 0) bench_pipe();
  else if (strcmp(m, "futex") == 0) bench_futex();
  else if (strcmp(m, "cacheline") == 0) bench_cacheline();
  else if (strcmp(m, "wake") == 0 && argc >= 3) bench_wake(strtoull(argv[2], 0, 10), argc > 3);
  else if (strcmp(m, "thread") == 0) bench_thread();
  else if (strcmp(m, "fork") == 0) bench_fork();
  else {
    fprintf(stderr, "usage: calibrate divide LO HI | syscall | atomic | pipe | futex | cacheline | wake SLEEP_NS [busy] | thread | fork\n");
    return 2;
  }
  return 0;
}
