/*
 * The pingpong workload as a host program, step for step as smpsim's guest program
 * (src/workloads/pingpong.ts): PAIRS pairs of threads hand a token back and forth through one
 * futex word each. A side waits until the word holds its value (FUTEX_WAIT while it does not),
 * works CYCLES_PER_TURN (200) TSC cycles holding the token, stores the other side's value and
 * wakes it (FUTEX_WAKE 1). The timed section is the guest's: from before the threads are created
 * to after they are joined.
 *
 *   pingpong PAIRS ROUNDS
 * prints one JSON object: handoffs, elapsed_ns.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define CYCLES_PER_TURN 200

struct side {
  _Atomic uint32_t *word;
  uint32_t mine;
  int rounds;
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *side(void *arg) {
  struct side *s = arg;
  for (int r = 0; r < s->rounds; r++) {
    for (;;) {
      uint32_t v = atomic_load(s->word);
      if (v == s->mine) break;
      syscall(SYS_futex, s->word, FUTEX_WAIT_PRIVATE, v, 0, 0, 0);
    }
    uint64_t end = __rdtsc() + CYCLES_PER_TURN;
    while (__rdtsc() < end) {
    }
    atomic_store(s->word, 1 - s->mine);
    syscall(SYS_futex, s->word, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: pingpong PAIRS ROUNDS\n");
    return 2;
  }
  int pairs = atoi(argv[1]), rounds = atoi(argv[2]);
  _Atomic uint32_t *words = calloc(pairs, 64); /* one cache line per pair's word */
  struct side *sides = calloc(2 * pairs, sizeof *sides);
  pthread_t *threads = calloc(2 * pairs, sizeof *threads);
  uint64_t t0 = now_ns();
  for (int p = 0; p < pairs; p++) {
    for (int m = 0; m < 2; m++) {
      sides[2 * p + m] = (struct side){(_Atomic uint32_t *)((char *)words + 64 * p), (uint32_t)m, rounds};
      pthread_create(&threads[2 * p + m], 0, side, &sides[2 * p + m]);
    }
  }
  for (int i = 0; i < 2 * pairs; i++) pthread_join(threads[i], 0);
  uint64_t elapsed = now_ns() - t0;
  printf("{\"handoffs\":%d,\"elapsed_ns\":%llu}\n", pairs * rounds * 2, (unsigned long long)elapsed);
  return 0;
}
