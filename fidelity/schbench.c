/*
 * The schbench workload as a host program, step for step as smpsim's guest program
 * (src/workloads/schbench.ts, after Chris Mason's schbench): MESSAGES message threads each
 * sleep SLEEP_US, post the time (in whole us, as the guest's 32-bit word) and wake their WORKERS
 * worker threads one by one, each through its own futex word (a store of the round, then
 * FUTEX_WAKE 1; shared futex keys, as the guest's raw futex calls). A worker waits
 * (FUTEX_WAIT while its word is below the round), reads the clock, records now - posted, and
 * works THINK_CYCLES (at MHZ). HOGS threads compute in 300,000-cycle chunks until the message
 * threads are done. Latency percentiles are nearest-rank, as schbench's and the guest's.
 *
 *   schbench MESSAGES WORKERS ROUNDS SLEEP_US THINK_CYCLES HOGS MHZ
 * prints one JSON object: samples, p50_ns, p90_ns, p99_ns, p999_ns, max_ns.
 */
#include "sync.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define HOG_CHUNK_CYCLES 300000

static int rounds;
static uint64_t sleep_ns_per_round, think_cycles;
static _Atomic uint32_t *words;  /* one per worker, each on its own cache line */
static _Atomic uint32_t *posted; /* one per message thread, us */
static uint64_t *latencies;      /* worker w's round r at w * rounds + r - 1 */
static _Atomic uint32_t stop;
/* The guest's clock starts at boot; the host's is offset so that µs fit the 32-bit word too. */
static uint64_t origin_ns;

static uint64_t clock_ns(void) { return now_ns() - origin_ns; }

struct worker_arg {
  int message, index;
};

static _Atomic uint32_t *word_of(int index) { return (_Atomic uint32_t *)((char *)words + 64 * index); }
static _Atomic uint32_t *posted_of(int message) { return (_Atomic uint32_t *)((char *)posted + 64 * message); }

static void *worker(void *raw) {
  struct worker_arg *a = raw;
  _Atomic uint32_t *word = word_of(a->index);
  for (int round = 1; round <= rounds; round++) {
    for (;;) {
      uint32_t v = atomic_load(word);
      if ((int)v >= round) break;
      futex(word, FUTEX_WAIT, v, 0, 0, 0);
    }
    uint64_t now = clock_ns();
    latencies[(size_t)a->index * rounds + round - 1] =
        now - (uint64_t)atomic_load_explicit(posted_of(a->message), memory_order_relaxed) * 1000;
    work(think_cycles);
  }
  return 0;
}

struct messenger_arg {
  int message, first, count;
};

static void *messenger(void *raw) {
  struct messenger_arg *a = raw;
  for (int round = 1; round <= rounds; round++) {
    sleep_ns(sleep_ns_per_round);
    atomic_store_explicit(posted_of(a->message), (uint32_t)(clock_ns() / 1000), memory_order_relaxed);
    for (int i = a->first; i < a->first + a->count; i++) {
      atomic_store(word_of(i), (uint32_t)round);
      futex(word_of(i), FUTEX_WAKE, 1, 0, 0, 0);
    }
  }
  return 0;
}

static void *hog(void *raw) {
  (void)raw;
  while (atomic_load(&stop) == 0) work(HOG_CHUNK_CYCLES);
  return 0;
}

static int cmp(const void *x, const void *y) {
  uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
  return a < b ? -1 : a > b;
}

/* Nearest rank, as src/workloads/percentile.ts (per mille, so that 99.9 is exact). */
static uint64_t rank(const uint64_t *sorted, size_t n, int per_mille) {
  size_t r = (size_t)(((uint64_t)per_mille * n + 999) / 1000);
  if (r < 1) r = 1;
  return sorted[(r > n ? n : r) - 1];
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: schbench MESSAGES WORKERS ROUNDS SLEEP_US THINK_CYCLES HOGS MHZ\n");
    return 2;
  }
  int messages = atoi(argv[1]), per_message = atoi(argv[2]), hogs = atoi(argv[6]);
  rounds = atoi(argv[3]);
  sleep_ns_per_round = strtoull(argv[4], 0, 10) * 1000;
  think_cycles = strtoull(argv[5], 0, 10);
  calibrate_work(atoi(argv[7]));
  origin_ns = now_ns();
  int workers = messages * per_message;
  words = aligned_alloc(64, 64 * (size_t)workers);
  posted = aligned_alloc(64, 64 * (size_t)messages);
  for (int i = 0; i < workers; i++) atomic_store(word_of(i), 0);
  latencies = calloc((size_t)workers * rounds, sizeof *latencies);
  pthread_t *hog_ids = calloc(hogs + 1, sizeof *hog_ids);
  pthread_t *ids = calloc(workers + messages, sizeof *ids);
  struct worker_arg *wa = calloc(workers, sizeof *wa);
  struct messenger_arg *ma = calloc(messages, sizeof *ma);
  for (int h = 0; h < hogs; h++) pthread_create(&hog_ids[h], 0, hog, 0);
  int n = 0;
  for (int m = 0; m < messages; m++) {
    for (int w = 0; w < per_message; w++) {
      wa[m * per_message + w] = (struct worker_arg){m, m * per_message + w};
      pthread_create(&ids[n++], 0, worker, &wa[m * per_message + w]);
    }
    ma[m] = (struct messenger_arg){m, m * per_message, per_message};
    pthread_create(&ids[n++], 0, messenger, &ma[m]);
  }
  for (int i = 0; i < n; i++) pthread_join(ids[i], 0);
  atomic_store(&stop, 1);
  for (int h = 0; h < hogs; h++) pthread_join(hog_ids[h], 0);
  size_t samples = (size_t)workers * rounds;
  qsort(latencies, samples, sizeof *latencies, cmp);
  printf("{\"samples\":%zu,\"p50_ns\":%llu,\"p90_ns\":%llu,\"p99_ns\":%llu,\"p999_ns\":%llu,\"max_ns\":%llu}\n",
         samples, (unsigned long long)rank(latencies, samples, 500), (unsigned long long)rank(latencies, samples, 900),
         (unsigned long long)rank(latencies, samples, 990), (unsigned long long)rank(latencies, samples, 999),
         (unsigned long long)latencies[samples - 1]);
  return 0;
}
