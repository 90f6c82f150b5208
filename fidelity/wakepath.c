/*
 * A diagnostic for docs/fidelity.md (not run by `smpsim fidelity`): where a schbench-style
 * wakeup's time goes on this host. One message thread and one worker, as fidelity/schbench.c
 * with -m 1 -t 1: the messenger sleeps SLEEP_NS (or, with `spin`, spins that long and then
 * yields, so the CPU never idles and the worker preempts a thread that has run), stamps the time,
 * stores the round and calls FUTEX_WAKE; the worker stamps the time it runs and works 30,000
 * cycles at 3000 MHz. Prints the median time from the stamp to the return of FUTEX_WAKE and to
 * the worker running, and the worker's p99.
 *
 *   taskset -c 0 wakepath SLEEP_NS [spin]      (cc -O2 -pthread fidelity/wakepath.c)
 */
#include "sync.h"
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 400
static _Atomic uint32_t word;
static uint64_t posted[ROUNDS + 1], woke[ROUNDS + 1], ran[ROUNDS + 1];

static void *worker(void *arg) {
  (void)arg;
  for (int r = 1; r <= ROUNDS; r++) {
    for (;;) {
      uint32_t v = atomic_load(&word);
      if ((int)v >= r) break;
      futex(&word, FUTEX_WAIT, v, 0, 0, 0);
    }
    ran[r] = now_ns();
    work(30000);
  }
  return 0;
}

static int cmp(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return a < b ? -1 : a > b;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: wakepath SLEEP_NS [spin]\n");
    return 2;
  }
  uint64_t pause = strtoull(argv[1], 0, 10);
  int spin = argc > 2;
  calibrate_work(3000);
  pthread_t w;
  pthread_create(&w, 0, worker, 0);
  for (int r = 1; r <= ROUNDS; r++) {
    if (spin) {
      uint64_t end = now_ns() + pause;
      while (now_ns() < end) {
      }
    } else
      sleep_ns(pause);
    posted[r] = now_ns();
    atomic_store(&word, (uint32_t)r);
    futex(&word, FUTEX_WAKE, 1, 0, 0, 0);
    woke[r] = now_ns();
    if (spin) sched_yield();
  }
  pthread_join(w, 0);
  int64_t call[ROUNDS], run[ROUNDS];
  for (int r = 1; r <= ROUNDS; r++) {
    call[r - 1] = (int64_t)(woke[r] - posted[r]);
    run[r - 1] = (int64_t)(ran[r] - posted[r]);
  }
  qsort(call, ROUNDS, sizeof *call, cmp);
  qsort(run, ROUNDS, sizeof *run, cmp);
  printf("{\"wake_call_p50_ns\":%lld,\"worker_p50_ns\":%lld,\"worker_p99_ns\":%lld}\n", (long long)call[ROUNDS / 2],
         (long long)run[ROUNDS / 2], (long long)run[ROUNDS * 99 / 100]);
  return 0;
}
