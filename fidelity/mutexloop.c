/*
 * The mutexloop workload as a host program, step for step as smpsim's guest program
 * (src/workloads/mutexloop.ts): THREADS threads each take one mutex (the improved libc's
 * three-state word, sync.h) ITERATIONS times: lock, add one to a shared counter and work
 * CS_CYCLES, unlock, work OUTSIDE_CYCLES. Work is in smpsim cycles at MHZ (sync.h work()). The
 * timed section is the guest's: from before the first thread is created to after the last is
 * joined.
 *
 *   mutexloop THREADS ITERATIONS CS_CYCLES OUTSIDE_CYCLES MHZ
 * prints one JSON object: acquisitions, waits (FUTEX_WAITs on the mutex), elapsed_ns.
 */
#include "sync.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* The two words the threads share, on one line as the guest's neighbouring allocations are,
   apart from the read-only parameters (below). */
static struct {
  _Alignas(64) _Atomic uint32_t lock_word;
  uint64_t counter;
  char pad[48];
} shared;
#define lock_word shared.lock_word
#define counter shared.counter
static int iterations;
static uint64_t cs_cycles, outside_cycles;

static void *locker(void *arg) {
  (void)arg;
  for (int i = 0; i < iterations; i++) {
    mutex_lock(&lock_word);
    counter++;
    work(cs_cycles);
    mutex_unlock(&lock_word);
    work(outside_cycles);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: mutexloop THREADS ITERATIONS CS_CYCLES OUTSIDE_CYCLES MHZ\n");
    return 2;
  }
  int threads = atoi(argv[1]);
  iterations = atoi(argv[2]);
  cs_cycles = strtoull(argv[3], 0, 10);
  outside_cycles = strtoull(argv[4], 0, 10);
  calibrate_work(atoi(argv[5]));
  pthread_t *ids = calloc(threads, sizeof *ids);
  uint64_t t0 = now_ns();
  for (int i = 0; i < threads; i++) pthread_create(&ids[i], 0, locker, 0);
  for (int i = 0; i < threads; i++) pthread_join(ids[i], 0);
  uint64_t elapsed = now_ns() - t0;
  printf("{\"acquisitions\":%llu,\"waits\":%llu,\"elapsed_ns\":%llu}\n", (unsigned long long)counter,
         (unsigned long long)mutex_waits, (unsigned long long)elapsed);
  return 0;
}
