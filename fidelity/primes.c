/*
 * The primes workload as a host program, operation for operation as smpsim's guest program
 * (src/workloads/primes.ts and primes-math.ts): each worker sieves the base primes up to
 * ceil(sqrt(hi)), tests its segments [lo, hi) by trial division by those primes, stopping at
 * p * p > n, and counts the divisions it performed; segments are dealt round-robin
 * (interleaved) or as one block each (contiguous). Workers are threads or forked processes that
 * write their tallies to a shared mapping. The timed section is the guest's: from before the
 * first worker is started to after the last is joined or reaped.
 *
 *   primes MODE WORKERS LO HI SEGMENT PARTITION
 *   MODE thread|process, PARTITION interleaved|contiguous
 * prints one JSON object: count, sum (mod 2^32), divisions, elapsed_ns.
 */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct tally {
  uint64_t count, divisions;
  uint32_t sum;
};

struct job {
  int index, workers, interleaved;
  uint64_t lo, hi, segment;
  struct tally *out;
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t *base_primes(uint32_t limit, size_t *n) {
  unsigned char *composite = calloc(limit + 1, 1);
  uint32_t *primes = malloc(sizeof *primes * (limit + 1));
  *n = 0;
  for (uint32_t i = 2; i <= limit; i++) {
    if (composite[i]) continue;
    primes[(*n)++] = i;
    for (uint64_t j = (uint64_t)i * i; j <= limit; j += i) composite[j] = 1;
  }
  free(composite);
  return primes;
}

static void trial_divide(uint64_t lo, uint64_t hi, const uint32_t *bases, size_t nb, struct tally *t) {
  for (uint64_t n = lo < 2 ? 2 : lo; n < hi; n++) {
    int prime = 1;
    for (size_t i = 0; i < nb; i++) {
      uint64_t p = bases[i];
      if (p * p > n) break;
      t->divisions++;
      if ((uint32_t)n % (uint32_t)p == 0) {
        prime = 0;
        break;
      }
    }
    if (prime) {
      t->count++;
      t->sum += (uint32_t)n;
    }
  }
}

static void *work(void *arg) {
  struct job *j = arg;
  size_t nb;
  uint32_t *bases = base_primes((uint32_t)ceil(sqrt((double)j->hi)), &nb);
  uint64_t total = (j->hi - j->lo + j->segment - 1) / j->segment;
  struct tally t = {0, 0, 0};
  uint64_t per = (total + j->workers - 1) / j->workers;
  uint64_t first = j->interleaved ? (uint64_t)j->index : j->index * per;
  uint64_t step = j->interleaved ? (uint64_t)j->workers : 1;
  uint64_t end = j->interleaved ? total : (total < (j->index + 1) * per ? total : (j->index + 1) * per);
  for (uint64_t s = first; s < end; s += step) {
    uint64_t from = j->lo + s * j->segment, to = from + j->segment;
    trial_divide(from, to < j->hi ? to : j->hi, bases, nb, &t);
  }
  *j->out = t;
  free(bases);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: primes thread|process WORKERS LO HI SEGMENT interleaved|contiguous\n");
    return 2;
  }
  int process = strcmp(argv[1], "process") == 0, workers = atoi(argv[2]);
  uint64_t lo = strtoull(argv[3], 0, 10), hi = strtoull(argv[4], 0, 10), segment = strtoull(argv[5], 0, 10);
  int interleaved = strcmp(argv[6], "interleaved") == 0;
  struct tally *out = mmap(0, sizeof *out * workers, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  struct job *jobs = calloc(workers, sizeof *jobs);
  pthread_t *threads = calloc(workers, sizeof *threads);
  pid_t *pids = calloc(workers, sizeof *pids);
  uint64_t t0 = now_ns();
  for (int i = 0; i < workers; i++) {
    jobs[i] = (struct job){i, workers, interleaved, lo, hi, segment, &out[i]};
    if (!process) {
      pthread_create(&threads[i], 0, work, &jobs[i]);
    } else if ((pids[i] = fork()) == 0) {
      work(&jobs[i]);
      _exit(0);
    }
  }
  for (int i = 0; i < workers; i++) {
    if (!process) pthread_join(threads[i], 0);
    else waitpid(pids[i], 0, 0);
  }
  uint64_t elapsed = now_ns() - t0;
  struct tally sum = {0, 0, 0};
  for (int i = 0; i < workers; i++) {
    sum.count += out[i].count;
    sum.divisions += out[i].divisions;
    sum.sum += out[i].sum;
  }
  printf("{\"count\":%llu,\"sum\":%u,\"divisions\":%llu,\"elapsed_ns\":%llu}\n", (unsigned long long)sum.count,
         sum.sum, (unsigned long long)sum.divisions, (unsigned long long)elapsed);
  return 0;
}
