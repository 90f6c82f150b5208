/*
 * The condherd workload as a host program, step for step as smpsim's guest program
 * (src/workloads/condherd.ts) with the improved libc's mutex and condvar (sync.h): WAITERS
 * threads each take one token per round under one mutex, waiting on one condvar while none is
 * theirs; a waiter works 3000 cycles (at MHZ) with each token, outside the lock. Each round the
 * main thread polls, sleeping 200 us between looks, until every token of the last round is
 * taken and every waiter is back in the wait, then under the mutex opens the round and either
 * (broadcast) puts out one token per waiter and broadcasts once, or (signal) hands out one token
 * at a time with a signal each, polling until it is taken. The timed section is the guest's:
 * from after the waiters are created to after they are joined.
 *
 *   condherd WAITERS ROUNDS broadcast|signal MHZ
 * prints one JSON object: wakeups, resleeps, tokens, mutex_waits, elapsed_ns.
 */
#include "sync.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORK_CYCLES 3000
#define SETTLE_NS 200000

/* The words the threads share (the guest's mutex, condvar and three malloc'd words), on lines
   apart from the read-only `rounds` and the work calibration. */
static _Alignas(64) _Atomic uint32_t m;
static struct cond c;
static _Atomic uint32_t round_no, tokens, sleeping;
static uint64_t wakeups, resleeps; /* under the mutex */
static _Alignas(64) int rounds;

/* The guest's t.load32/t.store32: plain moves (relaxed), not read-modify-writes. */
static uint32_t ld(_Atomic uint32_t *w) { return atomic_load_explicit(w, memory_order_relaxed); }
static void st(_Atomic uint32_t *w, uint32_t v) { atomic_store_explicit(w, v, memory_order_relaxed); }

static int ready(int r) { return (int)ld(&round_no) > r && ld(&tokens) > 0; }

static void *waiter(void *arg) {
  (void)arg;
  for (int r = 0; r < rounds; r++) {
    mutex_lock(&m);
    while (!ready(r)) {
      st(&sleeping, ld(&sleeping) + 1);
      cond_wait(&c, &m);
      st(&sleeping, ld(&sleeping) - 1);
      wakeups++;
      if (!ready(r)) resleeps++;
    }
    st(&tokens, ld(&tokens) - 1);
    mutex_unlock(&m);
    work(WORK_CYCLES);
  }
  return 0;
}

static void until_tokens_zero(void) {
  while (atomic_load(&tokens) != 0) sleep_ns(SETTLE_NS);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: condherd WAITERS ROUNDS broadcast|signal MHZ\n");
    return 2;
  }
  int waiters = atoi(argv[1]);
  rounds = atoi(argv[2]);
  int broadcast = strcmp(argv[3], "broadcast") == 0;
  calibrate_work(atoi(argv[4]));
  pthread_t *ids = calloc(waiters, sizeof *ids);
  for (int i = 0; i < waiters; i++) pthread_create(&ids[i], 0, waiter, 0);
  uint64_t t0 = now_ns();
  for (int r = 0; r < rounds; r++) {
    until_tokens_zero();
    while (atomic_load(&sleeping) != (uint32_t)waiters) sleep_ns(SETTLE_NS);
    mutex_lock(&m);
    st(&round_no, r + 1);
    if (broadcast) {
      st(&tokens, waiters);
      cond_broadcast(&c);
    }
    mutex_unlock(&m);
    if (broadcast) continue;
    for (int i = 0; i < waiters; i++) {
      mutex_lock(&m);
      st(&tokens, 1);
      cond_signal(&c);
      mutex_unlock(&m);
      until_tokens_zero();
    }
  }
  for (int i = 0; i < waiters; i++) pthread_join(ids[i], 0);
  uint64_t elapsed = now_ns() - t0;
  printf("{\"wakeups\":%llu,\"resleeps\":%llu,\"tokens\":%d,\"mutex_waits\":%llu,\"elapsed_ns\":%llu}\n",
         (unsigned long long)wakeups, (unsigned long long)resleeps, waiters * rounds,
         (unsigned long long)mutex_waits, (unsigned long long)elapsed);
  return 0;
}
